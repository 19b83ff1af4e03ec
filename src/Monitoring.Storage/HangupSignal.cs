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

    /// <summary>
    /// True when the process was started with SIGHUP ignored (under <c>nohup</c>, or by a supervisor that ignores it):
    /// the runtime keeps an inherited ignore, so no SIGHUP reaches <see cref="WaitAsync"/>. Read from
    /// <c>/proc/self/status</c> (Linux); false where that cannot be read.
    /// </summary>
    public static bool IsIgnoredByProcess()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                {
                    return ulong.TryParse(line.AsSpan("SigIgn:".Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var mask)
                        && (mask & 1) != 0; // bit 0 is signal 1, SIGHUP
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or no /proc: nothing to say.
        }

        return false;
    }

    public void Dispose()
    {
        _registration?.Dispose();
        _received.Dispose();
    }
}
