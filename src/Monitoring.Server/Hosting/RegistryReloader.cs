using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.Storage;

namespace Monitoring.Server.Hosting;

/// <summary>How <c>serve</c> follows its registry folder (configuration section <c>Registry</c>; docs/operations.md).</summary>
internal sealed class RegistryReloadOptions
{
    public const string Section = "Registry";

    /// <summary>Reload when a file of the folder changes; SIGHUP and the admin route reload whatever this says.</summary>
    public bool Watch { get; set; } = true;

    /// <summary>Quiet time after the last change before reloading: an editor's save or a <c>git pull</c> is several events.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Also compare the folder's content this often, for file systems that raise no change events (NFS, some
    /// container bind mounts); zero: never.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>A registry on disk that was not put in force, with every error found in it.</summary>
internal sealed record RegistryRefusal(DateTimeOffset At, string Fingerprint, IReadOnlyList<string> Errors);

/// <summary>The registry in force and the last refused one (null once the folder is valid again).</summary>
/// <param name="Generation">1 for the registry loaded at start, one more for every reload that changed it.</param>
internal sealed record RegistryStatus(
    string Directory, string Fingerprint, DateTimeOffset AppliedAt, int Generation, int Sites, int Meters, int Series,
    RegistryRefusal? Refused, long Reloads, long Refusals);

internal enum RegistryReloadOutcome
{
    /// <summary>The folder's registry is now in force.</summary>
    Applied,
    /// <summary>The folder holds the registry already in force.</summary>
    Unchanged,
    /// <summary>The folder's registry is not valid (or could not be put in force): the one before stays.</summary>
    Refused,
}

internal sealed record RegistryReloadResult(RegistryReloadOutcome Outcome, string Detail, RegistrySwap? Swap, IReadOnlyList<string> Errors);

/// <summary>
/// Keeps <c>serve</c>'s registry in step with its folder while it runs: on a change of the folder (debounced), a
/// periodic comparison of its content, SIGHUP, or the admin route, it loads the folder and puts a valid registry in
/// force through <see cref="IngestPipeline.ReloadAsync"/> (no write refused, none lost). An invalid one is refused with
/// every <c>file:line:column</c> error in the log and in <see cref="Status"/> (<c>/health</c> is degraded meanwhile);
/// the registry in force stays.
/// </summary>
internal sealed partial class RegistryReloader : IHostedService, IDisposable
{
    private readonly string _directory;
    private readonly AppliedRegistry _applied;
    private readonly RegistryAtStart _atStart;
    private readonly IngestPipeline _pipeline;
    private readonly RegistryReloadOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private ITimer? _poll;
    // Registered when the host resolves its services, before any starts: a SIGHUP that comes once Kestrel listens
    // but before StartAsync ran would otherwise take the default action and end the process.
    private readonly HangupSignal _hangup = new();
    private Task _hangups = Task.CompletedTask;
    private RegistryStatus _status;
    private string? _lastSeen;

    public RegistryReloader(ServeArguments arguments, RegistryAtStart atStart, IngestPipeline pipeline, IOptions<RegistryReloadOptions> options, ServerMetrics metrics,
        ILogger<RegistryReloader> logger, TimeProvider time)
    {
        _directory = arguments.Registry;
        _applied = new AppliedRegistry(arguments.DataDirectory);
        _atStart = atStart;
        _pipeline = pipeline;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _lastSeen = atStart.FolderFingerprint;
        _status = StatusOf(pipeline.Catalog, atStart.Fingerprint, time.GetUtcNow(), generation: 1, atStart.Refused, reloads: 0, refusals: atStart.Refused is null ? 0 : 1);
    }

    public RegistryStatus Status => Volatile.Read(ref _status);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_atStart.Refused is { } refused)
        {
            foreach (var error in refused.Errors)
            {
                LogRegistryError(_logger, error);
            }

            LogStartedUnderCopy(_logger, _directory, refused.Errors.Count, _applied.Path);
        }

        _debounce = _time.CreateTimer(_ => Background("change in the folder", force: false), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_options.Watch)
        {
            try
            {
                _watcher = new FileSystemWatcher(_directory)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                };
                _watcher.Changed += (_, _) => Schedule();
                _watcher.Created += (_, _) => Schedule();
                _watcher.Deleted += (_, _) => Schedule();
                _watcher.Renamed += (_, _) => Schedule();
                _watcher.Error += (_, e) =>
                {
                    LogWatcherError(_logger, _directory, e.GetException());
                    Schedule();
                };
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
            {
                // inotify instances exhausted, or a file system without events: the periodic comparison still runs.
                LogWatcherError(_logger, _directory, ex);
                _watcher?.Dispose();
                _watcher = null;
            }
        }

        if (_options.PollInterval > TimeSpan.Zero)
        {
            _poll = _time.CreateTimer(_ => Background("periodic comparison", force: false), null, _options.PollInterval, _options.PollInterval);
        }

        _hangups = WaitForHangupsAsync(_hangup, _stopping.Token);
        if (HangupSignal.IsIgnoredByProcess())
        {
            LogHangupIgnored(_logger);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _watcher?.Dispose();
        _watcher = null;
        if (_debounce is not null)
        {
            await _debounce.DisposeAsync().ConfigureAwait(false);
        }

        if (_poll is not null)
        {
            await _poll.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _hangups.ConfigureAwait(false);

        // A reload under way finishes before the pipeline stops.
        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        _serial.Release();
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _hangup.Dispose();
        _stopping.Dispose();
        _serial.Dispose();
    }

    /// <summary>
    /// Loads the folder and puts its registry in force when it is valid and differs from the one in force.
    /// <paramref name="force"/>: even when the folder's content is the one last looked at (SIGHUP, the admin route).
    /// </summary>
    public async Task<RegistryReloadResult> ReloadAsync(string trigger, bool force, CancellationToken cancellationToken)
    {
        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReloadSeriallyAsync(trigger, force, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _serial.Release();
        }
    }

    private async Task<RegistryReloadResult> ReloadSeriallyAsync(string trigger, bool force, CancellationToken cancellationToken)
    {
        string fingerprint;
        try
        {
            fingerprint = RegistryFingerprint.Of(_directory).Value;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Refuse(trigger, "unreadable", [$"{_directory}: {ex.Message}"]);
        }

        if (!force && fingerprint == _lastSeen)
        {
            return new RegistryReloadResult(RegistryReloadOutcome.Unchanged, "the folder did not change since it was last read", null, []);
        }

        _lastSeen = fingerprint;
        var current = Status;
        if (fingerprint == current.Fingerprint)
        {
            if (current.Refused is not null)
            {
                LogBackToRegistryInForce(_logger, _directory);
                Volatile.Write(ref _status, current with { Refused = null });
            }

            return new RegistryReloadResult(RegistryReloadOutcome.Unchanged, "the folder holds the registry in force", null, []);
        }

        RegistryLoadResult load;
        try
        {
            load = SiteRegistryLoader.LoadDirectory(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _lastSeen = null;
            return Refuse(trigger, fingerprint, [$"{_directory}: {ex.Message}"]);
        }

        if (load.Registry is null)
        {
            return Refuse(trigger, fingerprint, [.. load.Errors.Select(e => e.ToString())]);
        }

        RegistrySwap swap;
        try
        {
            var topology = RollupTopology.Create(SeriesCatalog.Create(load.Registry));
            swap = await _pipeline.ReloadAsync(topology, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            // Valid, but not put in force (a checkpoint that cannot be written): tried again at the next change or comparison.
            _lastSeen = null;
            return Refuse(trigger, fingerprint, [$"the registry is valid but could not be put in force: {ex.Message}"]);
        }

        try
        {
            _applied.Keep(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCopyFailed(_logger, _applied.Path, ex);
        }

        var now = _time.GetUtcNow();
        Volatile.Write(ref _status, StatusOf(_pipeline.Catalog, fingerprint, now, current.Generation + 1, null, current.Reloads + 1, current.Refusals));
        _metrics.RegistryReloaded(applied: true);
        LogApplied(_logger, _directory, trigger, swap.SeriesAdded, swap.SeriesRemoved.Count, swap.SeriesKept, swap.WritesHeld.TotalMilliseconds);
        var detail = $"{swap.SeriesKept} series continue, {swap.SeriesAdded} new, {swap.SeriesRemoved.Count} removed ({swap.SeriesClosed} closed); writes waited {swap.WritesHeld.TotalMilliseconds:0} ms";
        return new RegistryReloadResult(RegistryReloadOutcome.Applied, detail, swap, []);
    }

    private RegistryReloadResult Refuse(string trigger, string fingerprint, IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            LogRegistryError(_logger, error);
        }

        var current = Status;
        LogRefused(_logger, _directory, trigger, errors.Count, current.AppliedAt);
        Volatile.Write(ref _status, current with { Refused = new RegistryRefusal(_time.GetUtcNow(), fingerprint, errors), Refusals = current.Refusals + 1 });
        _metrics.RegistryReloaded(applied: false);
        return new RegistryReloadResult(RegistryReloadOutcome.Refused, $"registry reload refused ({errors.Count} errors): the registry in force stays", null, errors);
    }

    private RegistryStatus StatusOf(SeriesCatalog catalog, string fingerprint, DateTimeOffset at, int generation, RegistryRefusal? refused, long reloads, long refusals) =>
        new(_directory, fingerprint, at, generation, catalog.Registry.Sites.Count, catalog.Registry.Sites.Sum(s => s.Meters.Count), catalog.Count, refused, reloads, refusals);

    private void Schedule() => _debounce?.Change(_options.ReloadDelay, Timeout.InfiniteTimeSpan);

    /// <summary>A reload from a timer or a signal: never throws into the timer (which would end the process).</summary>
    private void Background(string trigger, bool force) => _ = RunAsync(trigger, force);

    private async Task RunAsync(string trigger, bool force)
    {
        try
        {
            await ReloadAsync(trigger, force, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReloadFailed(_logger, trigger, ex);
        }
    }

    private async Task WaitForHangupsAsync(HangupSignal hangup, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await hangup.WaitAsync(cancellationToken).ConfigureAwait(false);
                await RunAsync("SIGHUP", force: true).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SIGHUP is ignored by this process (started under nohup, or by a supervisor that ignores it): it will not reload the registry; the folder watch, the periodic comparison and POST /api/v1/admin/registry/reload still do")]
    private static partial void LogHangupIgnored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry {Directory} reloaded ({Trigger}): {Added} series added, {Removed} removed, {Kept} continue; writes waited {HeldMs:0} ms")]
    private static partial void LogApplied(ILogger logger, string directory, string trigger, int added, int removed, int kept, double heldMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry folder {Directory} is not valid ({Count} error(s), listed above): started under the registry in force at the last stop ({Copy}); fix the folder and it is reloaded")]
    private static partial void LogStartedUnderCopy(ILogger logger, string directory, int count, string copy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The copy of the registry in force ({Copy}) could not be written: a restart with an invalid registry folder would not start")]
    private static partial void LogCopyFailed(ILogger logger, string copy, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry: {Error}")]
    private static partial void LogRegistryError(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry reload refused ({Trigger}): {Count} error(s) in {Directory} (listed above, and at GET /api/v1/admin/registry); the registry in force since {AppliedAt:O} stays")]
    private static partial void LogRefused(ILogger logger, string directory, string trigger, int count, DateTimeOffset appliedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry {Directory} holds the registry in force again: the refused reload is cleared")]
    private static partial void LogBackToRegistryInForce(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry folder {Directory}: change events unavailable or lost; the periodic comparison and SIGHUP still reload")]
    private static partial void LogWatcherError(ILogger logger, string directory, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry reload ({Trigger}) failed")]
    private static partial void LogReloadFailed(ILogger logger, string trigger, Exception exception);
}

/// <summary>The content of a registry folder as one value (SHA-256 of every .yaml/.yml file's path and bytes): what changed, and which registry is in force.</summary>
internal sealed record RegistryFingerprint(string Value)
{
    public static RegistryFingerprint Of(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(directory, f))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\0"));
            var bytes = File.ReadAllBytes(Path.Combine(directory, file));
            hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
            hash.AppendData(bytes);
        }

        return new RegistryFingerprint(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
