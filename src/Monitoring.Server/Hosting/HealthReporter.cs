using Monitoring.Ingestion;
using Monitoring.Storage;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting;

/// <summary>One dependency's state in <c>/health</c>.</summary>
internal sealed record DependencyHealth(string Status, string Detail, IReadOnlyDictionary<string, object?>? Figures = null);

/// <summary><c>/health</c>: live (the process answers) and ready (it can take and keep writes), with each dependency's state.</summary>
internal sealed record HealthReport(string Status, bool Live, bool Ready, IReadOnlyDictionary<string, DependencyHealth> Checks);

/// <summary>Builds <see cref="HealthReport"/> from the pipeline, its loops, the broker and the sink.</summary>
internal sealed class HealthReporter(
    IngestPipeline pipeline, EmbeddedBroker broker, ExternalBrokerIntake external, MqttIntakeOptions mqtt, SinkForwarder? sink, RegistryReloader registry, TimeProvider time)
{
    /// <summary>A loop with work waiting and no progress for this long is stuck.</summary>
    internal static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(30);

    public HealthReport Report()
    {
        var now = time.GetUtcNow();
        var checks = new Dictionary<string, DependencyHealth>(StringComparer.Ordinal);
        var statistics = pipeline.Statistics;
        var walFull = statistics.WalBytes >= pipeline.Options.WalMaxBytes * 9 / 10;
        var walFailure = pipeline.WalFailure;
        var walFigures = new Dictionary<string, object?>
        {
            ["bytes"] = statistics.WalBytes,
            ["records"] = statistics.WalRecords,
            ["queue"] = statistics.SubmitQueueDepth,
            ["queue_bytes"] = statistics.QueuedBytes,
            ["refused_busy"] = statistics.RefusedBusy,
            ["refused_full"] = statistics.RefusedFull,
            ["refused_failed"] = statistics.RefusedFailed,
            ["batches_stored"] = statistics.BatchesStored,
            ["batches_duplicate"] = statistics.BatchesDuplicate,
        };
        AddFileSystem(walFigures, pipeline.WalDirectory);
        checks["wal"] = walFailure is { } failure
            ? new DependencyHealth("unhealthy", $"appends to {pipeline.WalDirectory} fail since {failure.At:O}: {failure.Reason}; writes get 503 until the file system takes them again", walFigures)
            : new DependencyHealth(walFull ? "degraded" : "healthy",
                walFull ? "the write-ahead log is over 90 % full: checkpoints are not keeping up" : "appending", walFigures);
        var checkpointAge = statistics.LastCheckpoint is { } last ? now - last : TimeSpan.Zero;
        var checkpointLimit = TimeSpan.FromTicks(Math.Max(3 * pipeline.Options.CheckpointInterval.Ticks, TimeSpan.FromMinutes(2).Ticks));
        var stale = checkpointAge > checkpointLimit;
        checks["aggregation"] = new DependencyHealth(stale ? "degraded" : "healthy",
            stale ? $"the last checkpoint is {checkpointAge.TotalSeconds:0} s old (the log grows until one succeeds)" : "applying writes in log order", new Dictionary<string, object?>
        {
            ["checkpoint_age_seconds"] = checkpointAge.TotalSeconds,
            ["applied_position"] = statistics.AppliedLsn,
            ["checkpoint_position"] = statistics.CheckpointLsn,
            ["last_checkpoint"] = statistics.LastCheckpoint,
            ["watermark"] = statistics.Watermark,
            ["queue"] = statistics.ApplyQueueDepth,
            ["readings_applied"] = statistics.ReadingsApplied,
            ["readings_duplicate"] = statistics.ReadingsDuplicate,
            ["passthrough_lines"] = statistics.PassthroughLines,
            ["quarantined"] = pipeline.Quarantine.Total,
            ["quarantine_not_persisted"] = pipeline.Quarantine.NotPersisted,
            ["quarantine_write_error"] = pipeline.Quarantine.LastWriteError,
        });
        foreach (var loop in pipeline.Loops.Concat(sink is null ? [] : [sink.Loop]))
        {
            checks["loop: " + loop.Name] = LoopHealth(loop, now);
        }

        var registryStatus = registry.Status;
        var registryFigures = new Dictionary<string, object?>
        {
            ["directory"] = registryStatus.Directory,
            ["fingerprint"] = registryStatus.Fingerprint,
            ["applied_at"] = registryStatus.AppliedAt,
            ["generation"] = registryStatus.Generation,
            ["sites"] = registryStatus.Sites,
            ["meters"] = registryStatus.Meters,
            ["series"] = registryStatus.Series,
            ["reloads"] = registryStatus.Reloads,
            ["refusals"] = registryStatus.Refusals,
        };
        checks["registry"] = registryStatus.Refused is { } refused
            ? new DependencyHealth("degraded",
                $"registry reload refused ({refused.Errors.Count} errors) at {refused.At:O}: the registry in force since {registryStatus.AppliedAt:O} stays; GET /api/v1/admin/registry lists the errors",
                registryFigures)
            : new DependencyHealth("healthy", $"in force since {registryStatus.AppliedAt:O} ({registryStatus.Series} series)", registryFigures);
        checks["mqtt"] = mqtt.Mode switch
        {
            "embedded" => new DependencyHealth(broker.IsRunning ? "healthy" : "unhealthy",
                broker.IsRunning ? $"embedded broker on {mqtt.Address}:{broker.Port}" : "embedded broker not running"),
            "external" => new DependencyHealth(external.IsConnected ? "healthy" : "degraded",
                external.IsConnected ? $"subscribed on {mqtt.BrokerHost}:{mqtt.BrokerPort}" : $"not connected to {mqtt.BrokerHost}:{mqtt.BrokerPort} (retrying; the broker keeps the messages)"),
            _ => new DependencyHealth("healthy", "MQTT intake off"),
        };
        if (sink is null)
        {
            checks["influxdb"] = new DependencyHealth("healthy", "no InfluxDB configured: intervals kept in memory only");
        }
        else
        {
            var status = sink.Status;
            checks["influxdb"] = new DependencyHealth(status.Healthy ? "healthy" : "degraded",
                status.Healthy ? $"writing to {status.Target}" : $"{status.Target}: {status.LastError ?? "behind"} (spooled on disk, nothing lost)",
                new Dictionary<string, object?>
                {
                    ["connected"] = status.Connected,
                    ["pending_records"] = status.PendingRecords,
                    ["lag_seconds"] = status.Lag.TotalSeconds,
                    ["lines_written"] = status.LinesWritten,
                    ["failures"] = status.Failures,
                    ["spool_dropped"] = status.SpoolDropped,
                    ["last_error_at"] = status.LastErrorAt,
                });
        }

        // A degraded sink does not stop intake (its spool absorbs the outage); a dead broker, a full or failing log, or
        // a stuck or dead loop does.
        var ready = !walFull && walFailure is null && checks["mqtt"].Status != "unhealthy"
            && !checks.Where(c => c.Key.StartsWith("loop: ", StringComparison.Ordinal)).Any(c => c.Value.Status == "unhealthy");
        var overall = checks.Values.Any(c => c.Status == "unhealthy") ? "unhealthy"
            : checks.Values.Any(c => c.Status == "degraded") ? "degraded" : "healthy";
        return new HealthReport(overall, Live: true, ready, checks);
    }

    private static DependencyHealth LoopHealth(LoopStatus loop, DateTimeOffset now)
    {
        var idle = loop.LastProgress is { } at ? now - at : TimeSpan.Zero;
        var figures = new Dictionary<string, object?>
        {
            ["state"] = loop.State,
            ["last_progress"] = loop.LastProgress,
            ["busy"] = loop.Busy,
            ["restarts"] = loop.Restarts,
            ["last_error"] = loop.LastError,
            ["last_error_at"] = loop.LastErrorAt,
        };
        return loop.State switch
        {
            "failed" => new DependencyHealth("unhealthy", $"gave up after repeated failures: {loop.LastError}; the process stops", figures),
            "restarting" => new DependencyHealth("degraded", $"restarting after a failure: {loop.LastError}", figures),
            _ when loop.Busy && idle > StuckAfter => new DependencyHealth("unhealthy", $"work is waiting and nothing moved for {idle.TotalSeconds:0} s", figures),
            _ => new DependencyHealth("healthy", loop.State, figures),
        };
    }

    /// <summary>Where a folder's file system stands (its mount point and free space), so that a full disk is named on the health page.</summary>
    private static void AddFileSystem(Dictionary<string, object?> figures, string directory)
    {
        try
        {
            var mount = MountPointOf(Path.GetFullPath(directory));
            var drive = new DriveInfo(mount);
            figures["file_system"] = mount;
            figures["file_system_free_bytes"] = drive.AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            figures["file_system"] = $"unknown ({ex.Message})";
        }
    }

    /// <summary>The mount point holding <paramref name="path"/>: the longest one of <c>/proc/mounts</c> it lies under (Linux), else its root.</summary>
    internal static string MountPointOf(string path)
    {
        const string Mounts = "/proc/mounts";
        if (!File.Exists(Mounts))
        {
            return Path.GetPathRoot(path) ?? path;
        }

        var best = "/";
        foreach (var line in File.ReadLines(Mounts))
        {
            // device mount-point type options...; spaces in a mount point are written as \040.
            var fields = line.Split(' ');
            if (fields.Length < 2)
            {
                continue;
            }

            var mount = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
            if (mount.Length > best.Length && (path == mount || path.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal)))
            {
                best = mount;
            }
        }

        return best;
    }
}
