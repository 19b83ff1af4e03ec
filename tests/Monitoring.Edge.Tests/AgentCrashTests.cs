using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Monitoring.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Tests;

/// <summary>
/// The promise to integrators, tested on the real executable: a `monitoring-edge run` process is killed with SIGKILL
/// twenty times while MQTT meters publish 1 000 readings/s and the uplink is down; when the uplink returns, every
/// reading the broker accepted arrives upstream exactly once, in order per meter.
/// </summary>
/// <remarks>
/// "Exactly once" is what the agent and the server give together (docs/edge.md, delivery guarantees): the agent's
/// buffer holds each accepted reading once, also when the broker redelivers a message after a crash or long after
/// its records were forwarded; the uplink delivers each batch at least once under its batch id, and the server keeps
/// the first copy of a batch id. The stand-in uplink here does the same, so a batch sent again (a response that came
/// too late for the agent) is counted, not double-counted.
/// </remarks>
[Collection(UplinkServicesDefinition.Name)]
public sealed partial class AgentCrashTests(MosquittoFixture mosquitto, Xunit.Abstractions.ITestOutputHelper log) : IAsyncDisposable
{
    private const int Meters = 4;
    private const int FieldsPerMessage = 5;

    private readonly AgentWorkspace _workspace = new("agent-crash");

    public ValueTask DisposeAsync() => _workspace.DisposeAsync();

    [Fact]
    public async Task Killed_twenty_times_under_load_with_the_uplink_down_every_accepted_reading_arrives_once_in_order()
    {
        var uplinkPort = FreePort();
        var run = Guid.NewGuid().ToString("N")[..8];
        var config = Path.Combine(_workspace.Folder, "edge.yaml");
        await File.WriteAllTextAsync(config, $"""
            site: crash
            agent: gw-{run}
            health_interval: 1h
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                subscriptions:
                  - topic: "crash-{run}/{"{"}meter{"}"}/state"
                    format: json
                    fields:
                      - {"{"} field: energy_import_kwh, path: $.n {"}"}
                      - {"{"} field: energy_export_kwh, path: $.e {"}"}
                      - {"{"} field: power_kw, path: $.p {"}"}
                      - {"{"} field: voltage_v, path: $.v {"}"}
                      - {"{"} field: frequency_hz, path: $.f {"}"}
                    timestamp: {"{"} path: $.t, format: unix_ms {"}"}
            buffer: {"{"} directory: {Path.Combine(_workspace.Folder, "buffer")} {"}"}
            uplink: {"{"} url: 'http://127.0.0.1:{uplinkPort}', batch_records: 500, batch_age: 0ms {"}"}
            """);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var accepted = new List<int>();
        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();

        // The broker queues messages for the agent's session only once it exists: the first run subscribes before
        // the meters start publishing (as on a real site, where the agent was there before the outage).
        var random = new Random(20261126);
        var agent = _workspace.Start(config);
        await agent.WaitForOutputAsync("subscribed to", timeout.Token);
        var publisher = PublishAsync(run, start, accepted, stopPublishing.Token);

        // Twenty runs of the agent, each killed with SIGKILL after a random time, with the uplink down all along.
        for (var kill = 0; kill < 20; kill++)
        {
            await Task.Delay(random.Next(300, 1500), timeout.Token);
            await agent.KillAsync(timeout.Token);
            agent = _workspace.Start(config);
        }

        await agent.KillAsync(timeout.Token);

        await stopPublishing.CancelAsync();
        await publisher;
        int[] expected;
        lock (accepted)
        {
            expected = [.. accepted];
        }

        // The uplink returns: one last run forwards the buffer and whatever the broker kept for the session.
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{uplinkPort}/");
        listener.Start();
        var final = _workspace.Start(config);
        var counters = new List<(string Meter, long Time, int N)>();
        var gauges = new List<(string Meter, long Time)>();
        var gaugeSet = new HashSet<(string Meter, long Time)>();
        var seen = new HashSet<int>();
        var batchIds = new HashSet<string>(StringComparer.Ordinal);
        var resent = 0;
        bool Complete() => expected.All(seen.Contains) && counters.All(c => gaugeSet.Contains((c.Meter, c.Time)));
        while (!Complete())
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(60), timeout.Token);
            }
            catch (TimeoutException)
            {
                var missing = expected.Except(seen).ToList();
                Assert.Fail($"after the last batch {missing.Count} of {expected.Length} accepted messages are missing, e.g. {string.Join(", ", missing.Take(10))}");
                throw;
            }

            var batchId = context.Request.Headers["X-Batch-Id"];
            Assert.False(string.IsNullOrEmpty(batchId), "a batch without X-Batch-Id");
            if (!batchIds.Add(batchId))
            {
                // The server's rule: a batch id already applied is acknowledged and not applied again.
                resent++;
                context.Response.StatusCode = 204;
                context.Response.Close();
                continue;
            }

            using (var gzip = new GZipStream(context.Request.InputStream, CompressionMode.Decompress))
            using (var reader = new StreamReader(gzip))
            {
                foreach (var line in (await reader.ReadToEndAsync(timeout.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var match = ReadingLine().Match(line);
                    Assert.True(match.Success, line);
                    var (meter, time) = (match.Groups["meter"].Value, long.Parse(match.Groups["ns"].Value, CultureInfo.InvariantCulture));
                    if (match.Groups["n"].Success)
                    {
                        var n = int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
                        Assert.Equal($"m{n % Meters}", meter);
                        counters.Add((meter, time, n));
                        seen.Add(n);
                    }
                    else
                    {
                        gauges.Add((meter, time));
                        gaugeSet.Add((meter, time));
                    }
                }
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }

        await final.StopAsync(timeout.Token);

        // Every reading the broker accepted arrived, counters and gauges, and nothing that was never published. (A
        // message whose PUBACK the busy publisher missed may arrive too: the broker had accepted it after all.)
        Assert.True(expected.Length > 1000, $"only {expected.Length} messages were published");
        Assert.Empty(expected.Except(seen));
        Assert.All(seen, n => Assert.InRange(n, 0, expected.Max() + 100));

        // Exactly once and in order per meter. A message appended but not acknowledged when the process was killed comes
        // back from the broker marked DUP, maybe several runs later and after its records were forwarded and acknowledged
        // (a busy machine's short runs leave the broker's in-flight window unacknowledged): the input finds its records
        // among the buffer's recent ones and only acknowledges it.
        Assert.Equal(seen.Count, counters.Count);
        Assert.Equal(counters.Count, gauges.Count);
        Assert.Equal(gauges.Count, gauges.Distinct().Count());
        foreach (var meter in counters.GroupBy(c => c.Meter))
        {
            var arrivals = meter.Select(c => c.N).ToList();
            Assert.Equal(arrivals.Order(), arrivals);
        }

        Assert.All(counters, c => Assert.Equal(start + c.N, c.Time / 1_000_000));
        log.WriteLine($"{expected.Length} messages ({expected.Length * FieldsPerMessage} readings) accepted by the broker; all arrived once ({batchIds.Count} batches, {resent} sent again)");
    }

    /// <summary>Publishes QoS 1 JSON messages for <see cref="Meters"/> meters at about 200 messages (1 000 readings) per second.</summary>
    private async Task PublishAsync(string run, long start, List<int> accepted, CancellationToken stop)
    {
        var client = await mosquitto.ConnectClientAsync("crash-publisher-" + run, stop);
        var clock = Stopwatch.StartNew();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var payload = string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}},"e":1,"p":2.5,"v":230,"f":50,"t":{{start + n}}}""");
            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"crash-{run}/m{n % Meters}/state")
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            try
            {
                var result = await client.PublishAsync(message, stop);
                if (result.IsSuccess)
                {
                    lock (accepted)
                    {
                        accepted.Add(n);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                client.Dispose();
                return;
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // No PUBACK (the machine is busy starting agents): the message does not count as accepted.
                if (!client.IsConnected)
                {
                    client.Dispose();
                    client = await mosquitto.ConnectClientAsync("crash-publisher-" + run, stop);
                }
            }

            var ahead = TimeSpan.FromMilliseconds(n * 1000.0 / (1000 / FieldsPerMessage)) - clock.Elapsed;
            if (ahead > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(ahead, stop);
                }
                catch (OperationCanceledException)
                {
                    client.Dispose();
                    return;
                }
            }
        }

        client.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A counter line (energy_import_kwh = message number) or a gauge line, each with its nanosecond timestamp.</summary>
    [GeneratedRegex(@"^meter,site=crash,meter=(?<meter>m\d) (?:energy_import_kwh=(?<n>\d+),energy_export_kwh=1|power_kw=2\.5,voltage_v=230,frequency_hz=50) (?<ns>\d{19})$", RegexOptions.CultureInvariant)]
    private static partial Regex ReadingLine();
}
