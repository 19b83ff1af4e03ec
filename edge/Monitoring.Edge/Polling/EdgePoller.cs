using Monitoring.Edge.Configuration;
using Monitoring.Modbus;

namespace Monitoring.Edge.Polling;

/// <summary>
/// Every device of a configuration, grouped by endpoint: one <see cref="ModbusClient"/> per endpoint (so
/// devices behind a gateway, or on one RS-485 bus, share its single request slot), endpoints polled in parallel.
/// </summary>
public sealed class EdgePoller : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly List<Endpoint> _endpoints;
    private readonly Dictionary<string, int> _order;

    public EdgePoller(EdgeConfiguration configuration, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        _time = time ?? TimeProvider.System;
        _order = configuration.Devices.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        _endpoints = configuration.Devices
            .GroupBy(d => d.Endpoint, StringComparer.Ordinal)
            .Select(g =>
            {
                var client = CreateClient([.. g]);
                return new Endpoint(client, [.. g.Select(d => new DevicePoller(d, client, _time))]);
            })
            .ToList();
    }

    public EdgeConfiguration Configuration { get; }

    /// <summary>Device pollers in configuration order.</summary>
    public IReadOnlyList<DevicePoller> Devices =>
        [.. _endpoints.SelectMany(e => e.Devices).OrderBy(d => IndexOf(d.Device))];

    /// <summary>Communication statistics per endpoint (<c>host:port</c> or serial port).</summary>
    public IReadOnlyDictionary<string, ModbusStatistics> Statistics =>
        _endpoints.ToDictionary(e => e.Devices[0].Device.Endpoint, e => e.Client.Statistics, StringComparer.Ordinal);

    /// <summary>One cycle: every group of every device once; results in configuration order.</summary>
    public async Task<IReadOnlyList<DevicePoll>> PollOnceAsync(CancellationToken cancellationToken)
    {
        var perEndpoint = await Task.WhenAll(_endpoints.Select(async endpoint =>
        {
            var polls = new List<DevicePoll>();
            foreach (var device in endpoint.Devices)
            {
                ModbusException? unreachable = null;
                foreach (var group in Configuration.PollGroups.Keys.Where(device.Groups.Contains))
                {
                    var poll = unreachable is null
                        ? await device.PollAsync(group, cancellationToken).ConfigureAwait(false)
                        : device.Skipped(group, unreachable);
                    unreachable ??= poll.Errors.Select(e => e.Error).FirstOrDefault(e => e is ModbusTimeoutException or ModbusConnectionException);
                    polls.Add(poll);
                }
            }

            await EndCycleAsync(endpoint).ConfigureAwait(false);
            return polls;
        })).ConfigureAwait(false);
        return [.. perEndpoint.SelectMany(p => p).OrderBy(p => IndexOf(p.Device))];
    }

    /// <summary>
    /// Polls each group at its own interval until cancelled, handing every result to <paramref name="onPoll"/>.
    /// Starts are staggered across devices so that they are not all hit at the same instant.
    /// </summary>
    public Task RunAsync(Func<DevicePoll, CancellationToken, ValueTask> onPoll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onPoll);
        return Task.WhenAll(EndpointLoops(onPoll).Select(loop => loop.Run(cancellationToken)));
    }

    /// <summary>
    /// The polling loop of each endpoint (a TCP endpoint or a serial bus), for a caller that supervises them one by one:
    /// a loop restarted after a failure starts its schedule again from now.
    /// </summary>
    public IReadOnlyList<(string Endpoint, Func<CancellationToken, Task> Run)> EndpointLoops(Func<DevicePoll, CancellationToken, ValueTask> onPoll)
    {
        ArgumentNullException.ThrowIfNull(onPoll);
        var deviceCount = Configuration.Devices.Count;
        return [.. _endpoints.Select(endpoint => (
            endpoint.Devices[0].Device.Endpoint,
            (Func<CancellationToken, Task>)(cancellationToken => RunEndpointAsync(endpoint, deviceCount, onPoll, cancellationToken))))];
    }

    /// <summary>The longest poll interval of any device on <paramref name="endpoint"/>: how long its loop may rightly be quiet.</summary>
    public TimeSpan LongestInterval(string endpoint) =>
        _endpoints.Where(e => e.Devices[0].Device.Endpoint == endpoint)
            .SelectMany(e => e.Devices).SelectMany(d => d.Groups).Select(g => Configuration.PollGroups[g]).DefaultIfEmpty(TimeSpan.Zero).Max();

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            await endpoint.Client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunEndpointAsync(Endpoint endpoint, int deviceCount, Func<DevicePoll, CancellationToken, ValueTask> onPoll, CancellationToken cancellationToken)
    {
        var start = SlotStart(_time.GetUtcNow());
        var schedule = endpoint.Devices
            .SelectMany(device => device.Groups.Select(group =>
            {
                var interval = Configuration.PollGroups[group];
                var stagger = SlotStart(interval * IndexOf(device.Device) / Math.Max(1, deviceCount));
                return new ScheduledPoll(device, group, interval, start + stagger);
            }))
            .ToList();
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = schedule[0];
            foreach (var scheduled in schedule)
            {
                next = scheduled.Due < next.Due ? scheduled : next;
            }

            var wait = next.Due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            DevicePoll poll;
            try
            {
                poll = await next.Device.PollAsync(next.Group, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            await onPoll(poll, cancellationToken).ConfigureAwait(false);

            // Fixed rate; a poll that overran its interval starts the next one from now rather than bursting.
            var now = _time.GetUtcNow();
            next.Due = next.Due + next.Interval > now ? next.Due + next.Interval : now;
            if (endpoint.Devices[0].Device.ConnectPerCycle && !IsAnyDue(schedule, now))
            {
                await EndCycleAsync(endpoint).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Starts are staggered in slots of 20 ms on a common clock: the polls due in one slot run together, so the agent
    /// wakes 50 times a second instead of once per device (with 1 000 devices, thread wake-ups were most of its CPU:
    /// bench/README.md), and no more than a slot's share of the devices is hit at one instant.
    /// </summary>
    private static readonly TimeSpan StaggerSlot = TimeSpan.FromMilliseconds(20);

    private static DateTimeOffset SlotStart(DateTimeOffset instant) => new(instant.UtcTicks - (instant.UtcTicks % StaggerSlot.Ticks), TimeSpan.Zero);

    private static TimeSpan SlotStart(TimeSpan offset) => TimeSpan.FromTicks(offset.Ticks - (offset.Ticks % StaggerSlot.Ticks));

    private static bool IsAnyDue(List<ScheduledPoll> schedule, DateTimeOffset now)
    {
        foreach (var scheduled in schedule)
        {
            if (scheduled.Due <= now)
            {
                return true;
            }
        }

        return false;
    }

    private static async ValueTask EndCycleAsync(Endpoint endpoint)
    {
        if (endpoint.Devices[0].Device.ConnectPerCycle)
        {
            await endpoint.Client.DisconnectAsync().ConfigureAwait(false);
        }
    }

    private int IndexOf(DeviceConfiguration device) => _order[device.Id];

    /// <summary>One client for the devices of one endpoint; they agree on everything but their timeouts (checked at load).</summary>
    private ModbusClient CreateClient(IReadOnlyList<DeviceConfiguration> devices)
    {
        var device = devices[0];
        return new ModbusClient(
            new ModbusClientOptions
            {
                Host = device.Host,
                Port = device.Port,
                Transport = device.Transport,
                Serial = device.Serial,
                RequestTimeout = device.Timeout,
                UnitRequestTimeouts = devices.DistinctBy(d => d.Unit).ToDictionary(d => d.Unit, d => d.Timeout),
                ConnectTimeout = device.ConnectTimeout,
                PauseBetweenRequests = device.Pause,
            },
            _time);
    }

    private sealed record Endpoint(ModbusClient Client, IReadOnlyList<DevicePoller> Devices);

    private sealed class ScheduledPoll(DevicePoller device, string group, TimeSpan interval, DateTimeOffset due)
    {
        public DevicePoller Device { get; } = device;

        public string Group { get; } = group;

        public TimeSpan Interval { get; } = interval;

        public DateTimeOffset Due { get; set; } = due;
    }
}
