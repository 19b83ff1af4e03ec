using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Simulators.Devices;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Server.Demo;

/// <summary>How a site's edge agent reaches the server.</summary>
internal enum DemoUplink
{
    /// <summary>MQTT 5 to the server's embedded broker, the writer token's name as user name.</summary>
    Mqtt,

    /// <summary>The InfluxDB v2 write API over HTTP.</summary>
    Http,
}

/// <summary>One live plant: its Modbus TCP devices, its MQTT meters and the edge agent that reads them.</summary>
internal sealed record LiveSite(Scenario Scenario, ModbusDevices Modbus, MqttMeters Meters, EdgeAgent Agent, DemoUplink Uplink);

/// <summary>Where the live agents send their readings, and the writer token each site's agent holds.</summary>
internal sealed record LiveServer(Uri HttpAddress, int MqttPort, IReadOnlyDictionary<string, (string Name, string File)> SiteTokens);

/// <summary>
/// The example plants live on a virtual clock: every plant's devices on loopback (Modbus TCP, one port per meter or
/// gateway; MQTT meters on a plant-floor broker), and per site an edge agent (<c>monitoring-edge run</c> in process)
/// that polls them, buffers on disk and forwards to the server: the first site over MQTT, the others over HTTP.
/// </summary>
internal sealed class LiveSites : IAsyncDisposable
{
    private readonly PlantFloorBroker _broker;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _agents = [];

    private LiveSites(VirtualClock clock, PlantFloorBroker broker, IReadOnlyList<LiveSite> sites)
    {
        Clock = clock;
        _broker = broker;
        Sites = sites;
    }

    public VirtualClock Clock { get; }

    public IReadOnlyList<LiveSite> Sites { get; }

    /// <summary>
    /// Runs each plant's model up to <paramref name="start"/> (from its scenario start: seconds per simulated year),
    /// then starts devices and agents; virtual time starts at <paramref name="start"/> when this returns.
    /// </summary>
    public static async Task<LiveSites> StartAsync(
        IReadOnlyList<Scenario> scenarios, DateTimeOffset start, double speed, LiveServer server, string dataDirectory, CancellationToken cancellationToken)
    {
        var clock = new VirtualClock(start, speed);
        var accelerated = new AcceleratedClock(clock);
        var plants = await Task.WhenAll(scenarios.Select(s => Task.Run(() => new LivePlant(s, clock), cancellationToken))).ConfigureAwait(false);
        var broker = await PlantFloorBroker.StartAsync().ConfigureAwait(false);
        var sites = new List<LiveSite>();
        var live = new LiveSites(clock, broker, sites);
        try
        {
            clock.Restart();
            for (var i = 0; i < plants.Length; i++)
            {
                var plant = plants[i];
                var modbus = new ModbusDevices(plant, IPAddress.Loopback, 0);
                modbus.Start();
                var meters = new MqttMeters(plant, broker.Url, PollInterval(speed));
                await meters.StartAsync(cancellationToken).ConfigureAwait(false);
                var uplink = i == 0 ? DemoUplink.Mqtt : DemoUplink.Http;
                var yaml = EdgeYaml(plant.Scenario, modbus, meters, broker, server, uplink, Path.Combine(dataDirectory, "edge-" + plant.Scenario.Site.Id), speed);
                var loaded = EdgeConfigurationLoader.Load(Path.Combine(dataDirectory, $"edge-{plant.Scenario.Site.Id}.yaml"), yaml);
                if (loaded.Configuration is null)
                {
                    throw new InvalidOperationException($"edge configuration of {plant.Scenario.Site.Id}: {string.Join("; ", loaded.Errors)}");
                }

                var agent = new EdgeAgent(loaded.Configuration, out _, accelerated, TextWriter.Null);
                sites.Add(new LiveSite(plant.Scenario, modbus, meters, agent, uplink));
                live._agents.Add(Task.Run(() => agent.RunAsync(live._stopping.Token), CancellationToken.None));
            }
        }
        catch
        {
            await live.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return live;
    }

    /// <summary>
    /// Plant time between two polls: a quarter of a real second's worth (so the agents poll about four times a
    /// second), at least one minute and at most five so that every 15-minute interval has several readings.
    /// </summary>
    public static TimeSpan PollInterval(double speed) =>
        TimeSpan.FromSeconds(Math.Clamp(Math.Round(speed / 4.0 / 60.0) * 60.0, 60.0, 300.0));

    /// <summary>Stops the agents first (what they buffered but did not send stays on their disk), then the devices.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_agents).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        foreach (var site in Sites)
        {
            await site.Agent.DisposeAsync().ConfigureAwait(false);
            await site.Meters.DisposeAsync().ConfigureAwait(false);
            await site.Modbus.DisposeAsync().ConfigureAwait(false);
        }

        await _broker.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>
    /// The agent's configuration as an integrator would write it: the devices the simulator serves, its MQTT meters
    /// through the plant-floor broker, a disk buffer, the uplink; durations are plant time (the agent runs on the
    /// accelerated clock).
    /// </summary>
    private static string EdgeYaml(Scenario scenario, ModbusDevices modbus, MqttMeters meters, PlantFloorBroker broker, LiveServer server, DemoUplink uplink, string bufferDirectory, double speed)
    {
        var site = scenario.Site.Id;
        var (tokenName, tokenFile) = server.SiteTokens[site];
        var poll = Duration(PollInterval(speed));
        var text = new StringBuilder(modbus.EdgeConfiguration("127.0.0.1", meters.MeterIds));
        text.Append(CultureInfo.InvariantCulture, $"poll_groups: {{ fast: {poll}, slow: {poll} }}\n");
        text.Append(CultureInfo.InvariantCulture, $"health_interval: {Duration(PollInterval(speed) * 4)}\n");
        // No fsync: the buffer stays crash-safe against a killed process, and the demo spares a shared laptop disk.
        text.Append(CultureInfo.InvariantCulture, $"buffer: {{ directory: {bufferDirectory}, fsync: false }}\n");
        text.Append("uplink:\n");
        if (uplink == DemoUplink.Mqtt)
        {
            text.Append(CultureInfo.InvariantCulture, $"  url: mqtt://127.0.0.1:{server.MqttPort}\n  username: {tokenName}\n  password_file: {tokenFile}\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"  url: {server.HttpAddress.GetLeftPart(UriPartial.Authority)}\n  org: demo\n  bucket: demo\n  token_file: {tokenFile}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  batch_age: {poll}\n");
        var fields = scenario.Meters.Where(m => m.Device == DeviceKind.Mqtt).SelectMany(m => m.ReportedFields).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        text.Append(CultureInfo.InvariantCulture, $"mqtt_inputs:\n  - url: {broker.Url}\n    client_id: demo-edge-{site}-meters\n    subscriptions:\n");
        text.Append(CultureInfo.InvariantCulture, $"      - topic: \"{MqttMeters.TopicPrefix}/{site}/{{meter}}\"\n        format: json\n        fields:\n");
        foreach (var field in fields)
        {
            text.Append(CultureInfo.InvariantCulture, $"          - {{ field: {field}, path: $.{field} }}\n");
        }

        text.Append("        timestamp: { path: $.ts, format: iso8601 }\n");
        return text.ToString();
    }

    private static string Duration(TimeSpan span) => span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s";
}
