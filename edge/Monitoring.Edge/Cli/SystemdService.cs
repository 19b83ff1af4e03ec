using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;
using Monitoring.Edge.Polling;

namespace Monitoring.Edge.Cli;

/// <summary>
/// Tells systemd (<c>Type=notify</c>) when the agent is ready and when it stops, and confirms the watchdog only while
/// the agent is healthy (every loop running, every polling loop heard from): a hung or failing agent is restarted by
/// systemd. Does nothing outside systemd (no <c>NOTIFY_SOCKET</c>). docs/edge.md, "Running under systemd".
/// </summary>
internal sealed class SystemdService : IDisposable
{
    private readonly SystemdNotifier _notifier = new();
    private readonly string _agent;
    private readonly TimeSpan? _watchdog = WatchdogInterval();
    private bool _ready;
    private CancellationTokenSource? _confirming;

    public SystemdService(string agent) => _agent = agent;

    /// <summary>An agent started (the first one, or one after a reload).</summary>
    public void Started(EdgeAgent agent, CancellationToken stopping)
    {
        if (!_notifier.IsEnabled)
        {
            return;
        }

        _notifier.Notify(new ServiceState(_ready ? $"READY=1\nSTATUS=reloaded {_agent}" : $"READY=1\nSTATUS=polling as {_agent}"));
        _ready = true;
        if (_watchdog is { } interval)
        {
            _confirming?.Dispose();
            _confirming = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            _ = ConfirmWhileHealthyAsync(agent, interval, _confirming.Token);
        }
    }

    public void Stopping()
    {
        _confirming?.Cancel();
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(ServiceState.Stopping);
        }
    }

    public void Dispose() => _confirming?.Dispose();

    /// <summary><c>WATCHDOG_USEC</c>, when systemd set it for this process (<c>WATCHDOG_PID</c>).</summary>
    private static TimeSpan? WatchdogInterval()
    {
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) && microseconds > 0
            ? TimeSpan.FromMicroseconds(microseconds)
            : null;
    }

    private async Task ConfirmWhileHealthyAsync(EdgeAgent agent, TimeSpan interval, CancellationToken cancellationToken)
    {
        var watchdog = new ServiceState("WATCHDOG=1");
        using var timer = new PeriodicTimer(interval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (agent.IsHealthy(slack: interval))
                {
                    _notifier.Notify(watchdog);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping or reloading.
        }
    }
}
