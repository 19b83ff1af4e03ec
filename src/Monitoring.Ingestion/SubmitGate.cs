namespace Monitoring.Ingestion;

/// <summary>
/// The door of the write-ahead log for a registry swap: writes pass freely and at once; <see cref="CloseAsync"/> makes
/// new writes wait (not fail) and returns when every write already inside has its outcome, so that the log holds
/// series ids of one registry after each swap's checkpoint; <see cref="Open"/> lets the waiting writes in.
/// </summary>
internal sealed class SubmitGate
{
    private readonly Lock _lock = new();
    private int _inside;
    private TaskCompletionSource? _opened;
    private TaskCompletionSource? _emptied;

    /// <summary>Waits while the gate is closed, then counts the caller in (leave with <see cref="Exit"/>).</summary>
    public async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_opened is null)
                {
                    _inside++;
                    return;
                }

                wait = _opened.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Exit()
    {
        lock (_lock)
        {
            _inside--;
            if (_inside == 0)
            {
                _emptied?.TrySetResult();
            }
        }
    }

    /// <summary>Closes the gate; completes once nobody is inside. One closer at a time.</summary>
    public Task CloseAsync()
    {
        lock (_lock)
        {
            if (_opened is not null)
            {
                throw new InvalidOperationException("the gate is already closed");
            }

            _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inside == 0)
            {
                _emptied.TrySetResult();
            }

            return _emptied.Task;
        }
    }

    public void Open()
    {
        TaskCompletionSource? opened;
        lock (_lock)
        {
            (opened, _opened, _emptied) = (_opened, null, null);
        }

        opened?.TrySetResult();
    }
}
