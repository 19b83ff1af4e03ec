using Microsoft.Extensions.Logging;

namespace Monitoring.Storage;

/// <summary>A background loop's state for <c>/health</c> and <c>/metrics</c>.</summary>
/// <param name="Busy">The loop has work waiting (so a stale <paramref name="LastProgress"/> means it is stuck).</param>
public sealed record LoopStatus(string Name, string State, DateTimeOffset? LastProgress, bool Busy, long Restarts, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>
/// Runs a background loop so that it never dies silently: an exception that escapes it is logged with its cause and
/// counted, and the loop is started again after a backoff (0.1 s doubling to 5 s). After
/// <see cref="MaxConsecutiveFailures"/> failures without progress in between it gives up and completes
/// <see cref="Dead"/>, for the host to stop the process with a non-zero exit so that its supervisor restarts it.
/// The loop reports progress with <see cref="Progress"/>.
/// </summary>
public sealed partial class SupervisedLoop
{
    public const int MaxConsecutiveFailures = 5;
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<bool> _busy;
    private readonly TaskCompletionSource<string> _dead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private long _lastProgressMs;
    private long _restarts;
    private int _consecutiveFailures;
    private string _state = "starting";
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    /// <param name="busy">Whether work is waiting for the loop (queued items), for <see cref="LoopStatus.Busy"/>.</param>
    public SupervisedLoop(string name, ILogger logger, TimeProvider time, Func<bool>? busy = null)
    {
        Name = name;
        _logger = logger;
        _time = time;
        _busy = busy ?? (() => false);
        _lastProgressMs = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    public string Name { get; }

    /// <summary>Completes (with the last error) when the loop gave up.</summary>
    public Task<string> Dead => _dead.Task;

    public LoopStatus Status
    {
        get
        {
            lock (_lock)
            {
                return new LoopStatus(Name, _state, DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastProgressMs)), _busy(),
                    Interlocked.Read(ref _restarts), _lastError, _lastErrorAt);
            }
        }
    }

    /// <summary>The loop did something useful: its clock of liveness restarts and its failures are forgiven.</summary>
    public void Progress()
    {
        Interlocked.Exchange(ref _lastProgressMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        Volatile.Write(ref _consecutiveFailures, 0);
    }

    /// <summary>Runs <paramref name="loop"/> until it returns (stopping) or gives up.</summary>
    /// <param name="onFailure">Called after each failure, before the restart (to fail the work the loop held).</param>
    public async Task RunAsync(Func<Task> loop, Action<Exception>? onFailure = null)
    {
        var backoff = MinBackoff;
        while (true)
        {
            SetState("running");
            try
            {
                await loop().ConfigureAwait(false);
                SetState("stopped");
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                lock (_lock)
                {
                    (_lastError, _lastErrorAt) = ($"{ex.GetType().Name}: {ex.Message}", _time.GetUtcNow());
                }

                onFailure?.Invoke(ex);
                var failures = Interlocked.Increment(ref _consecutiveFailures);
                if (failures >= MaxConsecutiveFailures)
                {
                    SetState("failed");
                    LogGaveUp(_logger, Name, failures, ex);
                    _dead.TrySetResult($"{Name} failed {failures} times in a row: {ex.Message}");
                    return;
                }

                Interlocked.Increment(ref _restarts);
                SetState("restarting");
                LogRestarting(_logger, Name, backoff.TotalSeconds, ex);
                await Task.Delay(backoff, _time).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private void SetState(string state)
    {
        lock (_lock)
        {
            _state = state;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Loop {Loop} failed; restarting in {Seconds:0.#} s")]
    private static partial void LogRestarting(ILogger logger, string loop, double seconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Loop {Loop} failed {Failures} times in a row without progress: giving up, the process stops so that its supervisor restarts it")]
    private static partial void LogGaveUp(ILogger logger, string loop, int failures, Exception exception);
}
