using Monitoring.Ingestion;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting;

/// <summary>One dependency's state in <c>/health</c>.</summary>
internal sealed record DependencyHealth(string Status, string Detail, IReadOnlyDictionary<string, object?>? Figures = null);

/// <summary><c>/health</c>: live (the process answers) and ready (it can take and keep writes), with each dependency's state.</summary>
internal sealed record HealthReport(string Status, bool Live, bool Ready, IReadOnlyDictionary<string, DependencyHealth> Checks);

/// <summary>Builds <see cref="HealthReport"/> from the pipeline, the broker and the sink.</summary>
internal sealed class HealthReporter(IngestPipeline pipeline, EmbeddedBroker broker, ExternalBrokerIntake external, MqttIntakeOptions mqtt, SinkForwarder? sink)
{
    public HealthReport Report()
    {
        var checks = new Dictionary<string, DependencyHealth>(StringComparer.Ordinal);
        var statistics = pipeline.Statistics;
        var walFull = statistics.WalBytes >= pipeline.Options.WalMaxBytes * 9 / 10;
        checks["wal"] = new DependencyHealth(walFull ? "degraded" : "healthy",
            walFull ? "the write-ahead log is over 90 % full: checkpoints are not keeping up" : "appending",
            new Dictionary<string, object?>
            {
                ["bytes"] = statistics.WalBytes,
                ["records"] = statistics.WalRecords,
                ["queue"] = statistics.SubmitQueueDepth,
                ["refused_busy"] = statistics.RefusedBusy,
                ["refused_full"] = statistics.RefusedFull,
            });
        checks["aggregation"] = new DependencyHealth("healthy", "applying writes in log order", new Dictionary<string, object?>
        {
            ["applied_position"] = statistics.AppliedLsn,
            ["checkpoint_position"] = statistics.CheckpointLsn,
            ["last_checkpoint"] = statistics.LastCheckpoint,
            ["watermark"] = statistics.Watermark,
            ["queue"] = statistics.ApplyQueueDepth,
            ["readings_applied"] = statistics.ReadingsApplied,
            ["quarantined"] = pipeline.Quarantine.Total,
        });
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

        // A degraded sink does not stop intake (its spool absorbs the outage); a dead broker or a full log does.
        var ready = !walFull && checks["mqtt"].Status != "unhealthy";
        var overall = checks.Values.Any(c => c.Status == "unhealthy") ? "unhealthy"
            : checks.Values.Any(c => c.Status == "degraded") ? "degraded" : "healthy";
        return new HealthReport(overall, Live: true, ready, checks);
    }
}
