using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Monitoring.Storage;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Edge.Uplink;
using Monitoring.Testing;
using MQTTnet;

namespace Monitoring.Edge.Tests;

[CollectionDefinition(Name)]
public sealed class UplinkServicesDefinition : ICollectionFixture<ModbusPeerFixture>, ICollectionFixture<VictoriaMetricsFixture>, ICollectionFixture<MosquittoFixture>
{
    public const string Name = "edge uplink services";
}

/// <summary>The whole agent: pymodbus devices → disk buffer → uplink → a real InfluxDB-compatible endpoint or MQTT broker.</summary>
[Collection(UplinkServicesDefinition.Name)]
public sealed class AgentTests(ModbusPeerFixture peer, VictoriaMetricsFixture victoria, MosquittoFixture mosquitto) : IDisposable
{
    private readonly string _bufferDirectory = Path.Combine(Path.GetTempPath(), "agent-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_bufferDirectory))
        {
            Directory.Delete(_bufferDirectory, recursive: true);
        }
    }

    private EdgeConfiguration Configuration(string site, string uplink) =>
        EdgeConfigurationLoader.Load("edge.yaml", $"""
            site: {site}
            agent: gw-01
            poll_groups: {"{"} fast: 500ms, slow: 500ms {"}"}
            health_interval: 500ms
            devices:
              - {"{"} id: water-main, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water {"}"}
            buffer: {"{"} directory: {_bufferDirectory}, fsync: false {"}"}
            uplink: {uplink}
            """).Configuration ?? throw new InvalidOperationException("invalid test configuration");

    [Fact]
    public async Task Readings_and_health_reach_victoria_metrics_through_the_http_uplink()
    {
        var site = "agent-http-" + Guid.NewGuid().ToString("N")[..8];
        var configuration = Configuration(site, $"{{ url: {victoria.BaseAddress}, batch_age: 0ms }}");
        await using var agent = new EdgeAgent(configuration, out _);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = agent.RunAsync(stop.Token);

        IReadOnlyList<ExportedSeries> volume = [], health = [];
        while (!stop.IsCancellationRequested && (volume.Count == 0 || health.Count == 0))
        {
            await Task.Delay(500, stop.Token);
            await victoria.ForceFlushAsync(stop.Token);
            volume = await victoria.ExportAsync($"{{__name__=\"meter_volume_m3\",site=\"{site}\"}}", stop.Token);
            health = await victoria.ExportAsync($"{{__name__=\"edge_status_buffer_records\",site=\"{site}\"}}", stop.Token);
        }

        await stop.CancelAsync();
        await run;

        var series = Assert.Single(volume);
        Assert.Equal("water-main", series.Labels["meter"]);
        Assert.All(series.Values, v => Assert.Equal(4321.5, v));
        Assert.Equal("gw-01", Assert.Single(health).Labels["agent"]);
        Assert.True(agent.Forwarder.Statistics.BatchesSent > 0);
    }

    [Fact]
    public async Task The_mqtt_uplink_publishes_line_protocol_with_a_batch_id_at_qos_1()
    {
        var site = "agent-mqtt-" + Guid.NewGuid().ToString("N")[..8];
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var subscriber = await mosquitto.ConnectClientAsync("agent-test-sub-" + site, stop.Token);
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await subscriber.SubscribeAsync(mosquitto.Factory.CreateSubscribeOptionsBuilder().WithTopicFilter($"monitoring/v1/{site}/gw-01/lp", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), stop.Token);

        var configuration = Configuration(site, $"{{ url: 'mqtt://{mosquitto.Endpoint}', batch_age: 0ms }}");
        await using var agent = new EdgeAgent(configuration, out _);
        var run = agent.RunAsync(stop.Token);
        var message = await received.Task.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await run;

        var payload = Encoding.UTF8.GetString(message.Payload);
        Assert.Equal(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        Assert.Matches(@"^gw-01@[0-9a-f]{16}:\d+-\d+$", Encoding.UTF8.GetString(Assert.Single(message.UserProperties!, p => p.Name == "batch-id").ValueBuffer.Span));
        Assert.Matches($@"(^|\n)meter,site={site},meter=water-main (volume_m3=4321\.5|flow_m3h=3\.25) \d{{19}}\n", payload);
    }

    [Fact]
    public async Task After_an_outage_every_buffered_record_arrives_once_and_in_order()
    {
        await using var buffer = DiskBuffer.Open(new DiskBufferOptions { Directory = _bufferDirectory, Fsync = false, SegmentBytes = 16 * 1024, MaxBytes = 1 << 20 }, out _);
        for (var i = 0; i < 1000; i++)
        {
            await buffer.AppendAsync(RecordPriority.Counter, Encoding.ASCII.GetBytes($"meter,site=s,meter=m energy_import_kwh={i} {i}\n"));
        }

        var port = FreePort();
        var settings = new UplinkSettings(UplinkKind.Http, new Uri($"http://127.0.0.1:{port}/"), "o", "b", "t", null, null, 100, 1 << 20, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        await using var uplink = new HttpUplink(settings.Url, "o", "b", "t", settings.Timeout);
        var forwarder = new Forwarder(buffer, uplink, "gw", settings);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = forwarder.RunAsync(stop.Token);

        while (forwarder.Statistics.Failures == 0) // the uplink is down: nothing listens on the port yet
        {
            await Task.Delay(20, stop.Token);
        }

        Assert.False(forwarder.Statistics.UplinkUp);
        Assert.Equal(1000, buffer.Statistics.Records);

        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var lines = new List<string>();
        var batchIds = new List<string>();
        while (lines.Count < 1000)
        {
            var context = await listener.GetContextAsync().WaitAsync(stop.Token);
            using (var gzip = new GZipStream(context.Request.InputStream, CompressionMode.Decompress))
            using (var reader = new StreamReader(gzip))
            {
                lines.AddRange((await reader.ReadToEndAsync(stop.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }

            batchIds.Add(context.Request.Headers["X-Batch-Id"]!);
            Assert.Equal("Token t", context.Request.Headers["Authorization"]);
            context.Response.StatusCode = 204;
            context.Response.Close();
        }

        while (buffer.Statistics.Records > 0 && !stop.IsCancellationRequested)
        {
            await Task.Delay(50, stop.Token);
        }

        await stop.CancelAsync();
        await run;

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"meter,site=s,meter=m energy_import_kwh={i} {i}"), lines);
        Assert.Equal(10, batchIds.Count);
        Assert.Equal($"gw@{buffer.InstanceId}:1-100", batchIds[0]);
        Assert.Matches("^[0-9a-f]{16}$", buffer.InstanceId);
        Assert.True(forwarder.Statistics.Failures > 0);
        Assert.True(forwarder.Statistics.UplinkUp);
    }

    [Fact]
    public async Task A_reload_swaps_the_configuration_keeps_the_buffer_and_refuses_an_invalid_file()
    {
        var port = FreePort(); // the uplink stays down: everything polled stays in the buffer
        var path = Path.Combine(_bufferDirectory + "-edge.yaml");
        string Yaml(string devices) => $"""
            site: reload
            agent: gw-01
            poll_groups: {"{"} fast: 200ms, slow: 200ms {"}"}
            health_interval: 1h
            devices:
            {devices}
            buffer: {"{"} directory: {_bufferDirectory}, fsync: false {"}"}
            uplink: {"{"} url: 'http://127.0.0.1:{port}' {"}"}
            """;
        var water = $"  - {{ id: water, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water }}";
        var flow = $"  - {{ id: flow, host: {peer.Host}, port: {peer.Port}, unit: 16, profile: tuf-2000m }}";
        await File.WriteAllTextAsync(path, Yaml(water));
        var outputText = new StringWriter();
        var errorText = new StringWriter();
        var output = TextWriter.Synchronized(outputText);
        var error = TextWriter.Synchronized(errorText);

        // A synchronized writer locks itself; read its text under the same lock.
        static string Read(TextWriter synchronized, StringWriter text)
        {
            lock (synchronized)
            {
                return text.ToString();
            }
        }

        var reload = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var run = Monitoring.Edge.Cli.EdgeCommand.RunAsync(path, output, error, reload.WaitAsync, stop.Token);
            await WaitUntilBufferedAsync("meter=water ", stop.Token);

            await File.WriteAllTextAsync(path, Yaml(water.Replace("xintai-water", "xintai-watter", StringComparison.Ordinal)), stop.Token);
            reload.Release();
            while (!Read(error, errorText).Contains("reload refused", StringComparison.Ordinal))
            {
                await Task.Delay(50, stop.Token);
            }

            await File.WriteAllTextAsync(path, Yaml(water + "\n" + flow), stop.Token);
            reload.Release();
            while (!Read(output, outputText).Contains("reloaded", StringComparison.Ordinal))
            {
                await Task.Delay(50, stop.Token);
            }

            await WaitUntilBufferedAsync("meter=flow ", stop.Token);
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }
        finally
        {
            File.Delete(path);
        }

        await using var buffer = DiskBuffer.Open(new DiskBufferOptions { Directory = _bufferDirectory, Fsync = false }, out var report);
        var records = buffer.Peek(100_000);
        var meters = records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Select(l => l.Split(' ')[0]).ToList();

        Assert.Contains("unknown profile 'xintai-watter'", errorText.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, outputText.ToString().Split("monitoring-edge gw-01").Length - 1);
        Assert.Equal(0, report.DiscardedRecords);
        Assert.Equal(records.Select(r => r.Sequence).Order(), records.Select(r => r.Sequence));
        Assert.Contains("meter,site=reload,meter=water", meters);
        Assert.Contains("meter,site=reload,meter=flow", meters);
        Assert.True(meters.IndexOf("meter,site=reload,meter=flow") > meters.IndexOf("meter,site=reload,meter=water"));
    }

    /// <summary>Waits until a segment file of the running agent's buffer holds <paramref name="text"/> (the files are shared for reading).</summary>
    private async Task WaitUntilBufferedAsync(string text, CancellationToken cancellationToken)
    {
        var wanted = Encoding.UTF8.GetBytes(text);
        while (!Directory.Exists(_bufferDirectory)
            || !Directory.GetFiles(_bufferDirectory, "*.seg").Any(file => ReadShared(file).AsSpan().IndexOf(wanted) >= 0))
        {
            await Task.Delay(50, cancellationToken);
        }

        static byte[] ReadShared(string file)
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            }
            catch (FileNotFoundException)
            {
                return [];
            }
        }
    }

    [Fact]
    public async Task The_agent_starts_on_a_damaged_buffer_says_what_it_discarded_and_keeps_the_rest()
    {
        await using (var buffer = DiskBuffer.Open(new DiskBufferOptions { Directory = _bufferDirectory, Fsync = false }, out _))
        {
            for (var i = 0; i < 5; i++)
            {
                await buffer.AppendAsync(RecordPriority.Counter, Encoding.ASCII.GetBytes($"meter,site=damaged,meter=m energy_import_kwh={i} {i}\n"));
            }
        }

        var segment = Directory.GetFiles(_bufferDirectory, "*.seg").Single();
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[(bytes.Length / 5 * 2) + 30] ^= 0xFF; // inside the third record
        await File.WriteAllBytesAsync(segment, bytes[..^3]); // and a torn tail
        var path = _bufferDirectory + "-edge.yaml";
        await File.WriteAllTextAsync(path, $"""
            site: damaged
            agent: gw-01
            devices:
              - {"{"} id: water, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water {"}"}
            buffer: {"{"} directory: {_bufferDirectory}, fsync: false {"}"}
            uplink: {"{"} url: 'http://127.0.0.1:{FreePort()}' {"}"}
            """);
        var output = new StringWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            Assert.Equal(0, await Monitoring.Edge.Cli.EdgeCommand.RunAsync(path, output, error, _ => Task.Delay(Timeout.Infinite, stop.Token), stop.Token));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Contains("buffer: 3 record(s) waiting in 1 segment(s); discarded 2 damaged record(s)", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("buffer: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Json_and_sparkplug_b_from_mosquitto_pub_reach_the_upstream_exactly_once()
    {
        var site = "mqtt-" + Guid.NewGuid().ToString("N")[..8];
        var uplinkPort = FreePort();
        var configuration = EdgeConfigurationLoader.Load("edge.yaml", $"""
            site: {site}
            agent: gw-01
            health_interval: 1h
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                subscriptions:
                  - topic: "json-{site}/{"{"}meter{"}"}/state"
                    format: json
                    fields:
                      - {"{"} field: energy_import_kwh, path: $.energy, unit: Wh {"}"}
                      - {"{"} field: power_kw, path: $.power {"}"}
                    timestamp: {"{"} path: $.ts, format: unix_ms {"}"}
                  - topic: spBv1.0/{"{"}site{"}"}/#
                    format: sparkplug_b
                    meters: {"{"} "EM 1": em-1 {"}"}
                    metrics:
                      - {"{"} metric: Energy/Import, field: energy_import_kwh, unit: Wh {"}"}
                      - {"{"} metric: Power, field: power_kw, unit: W {"}"}
            buffer: {"{"} directory: {_bufferDirectory}, fsync: false {"}"}
            uplink: {"{"} url: 'http://127.0.0.1:{uplinkPort}', batch_age: 0ms {"}"}
            """).Configuration ?? throw new InvalidOperationException("invalid test configuration");
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{uplinkPort}/");
        listener.Start();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var agent = new EdgeAgent(configuration, out _, log: TextWriter.Null);
        var run = agent.RunAsync(stop.Token);
        while (agent.MqttInputs[0].Statistics.Connects == 0)
        {
            await Task.Delay(50, stop.Token);
        }

        // mosquitto_pub, an independent publisher: two JSON meters, then a Sparkplug B node and device.
        const long T = 1764000000000;
        var qos = MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce;
        await mosquitto.PublishWithCliAsync($"json-{site}/m-1/state", $$"""{"energy":123456,"power":2.5,"ts":{{T}}}""", qos, stop.Token);
        await mosquitto.PublishWithCliAsync($"json-{site}/m-2/state", $$"""{"energy":7000,"power":0.75,"ts":{{T + 1000}}}""", qos, stop.Token);
        var file = _bufferDirectory + ".bin";
        foreach (var (topic, payload) in new (string, byte[])[]
        {
            ($"spBv1.0/{site}/NBIRTH/gw-7", SparkplugPayloads.Payload(0, T, SparkplugPayloads.BdSeq(1))),
            ($"spBv1.0/{site}/DBIRTH/gw-7/EM 1", SparkplugPayloads.Payload(1, T, SparkplugPayloads.Birth("Energy/Import", 1, 10000), SparkplugPayloads.BirthFloat("Power", 2, 500f))),
            ($"spBv1.0/{site}/DDATA/gw-7/EM 1", SparkplugPayloads.Payload(2, T + 1000, SparkplugPayloads.Data(1, 10500), SparkplugPayloads.DataFloat(2, 750.5f))),
        })
        {
            await File.WriteAllBytesAsync(file, payload, stop.Token);
            var published = await mosquitto.PublishFileWithCliAsync(topic, file, qos, stop.Token);
            Assert.True(published.ExitCode == 0, published.ToString());
        }

        File.Delete(file);
        string[] expected =
        [
            $"meter,site={site},meter=m-1 energy_import_kwh=123.456 1764000000000000000",
            $"meter,site={site},meter=m-1 power_kw=2.5 1764000000000000000",
            $"meter,site={site},meter=m-2 energy_import_kwh=7 1764000001000000000",
            $"meter,site={site},meter=m-2 power_kw=0.75 1764000001000000000",
            $"meter,site={site},meter=em-1 energy_import_kwh=10 1764000000000000000",
            $"meter,site={site},meter=em-1 power_kw=0.5 1764000000000000000",
            $"meter,site={site},meter=em-1 energy_import_kwh=10.5 1764000001000000000",
            $"meter,site={site},meter=em-1 power_kw=0.7505 1764000001000000000",
        ];
        var lines = new List<string>();
        var quiet = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < quiet)
        {
            var next = listener.GetContextAsync();
            if (await Task.WhenAny(next, Task.Delay(1000, stop.Token)) != next)
            {
                if (expected.All(lines.Contains))
                {
                    break; // everything arrived and nothing more came for a second: no duplicate on its way
                }

                continue;
            }

            var context = await next;
            using (var gzip = new GZipStream(context.Request.InputStream, CompressionMode.Decompress))
            using (var reader = new StreamReader(gzip))
            {
                lines.AddRange((await reader.ReadToEndAsync(stop.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("meter,", StringComparison.Ordinal)));
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }

        await stop.CancelAsync();
        await run;

        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
