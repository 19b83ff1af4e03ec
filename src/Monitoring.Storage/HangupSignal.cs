using System.Runtime.InteropServices;

namespace Monitoring.Storage;

/// <summary>
/// SIGHUP, the conventional "read your configuration again", as an awaitable event (and not a termination): the
/// edge agent reloads its configuration, <c>monitoring serve</c> its registry.
/// </summary>
public sealed class HangupSignal : IDisposable
{
    private readonly SemaphoreSlim _received = new(0);
    private readonly PosixSignalRegistration? _registration;

    public HangupSignal()
    {
        if (!OperatingSystem.IsWindows())
        {
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _received.Release();
            });
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _received.WaitAsync(cancellationToken);

    public void Dispose()
    {
        _registration?.Dispose();
        _received.Dispose();
    }
}
