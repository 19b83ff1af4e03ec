using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Cli;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// <c>monitoring serve</c> killed with SIGKILL twenty times at random moments while an HTTP writer and an MQTT writer
/// (the embedded broker, QoS 1) send their batches and retry until acknowledged: the intervals it ends with are those
/// of the same input replayed once through <c>monitoring replay</c>, to the value and sample count. Nothing
/// acknowledged is lost, nothing is applied twice.
/// </summary>
public sealed class ServerKillTests(ITestOutputHelper log) : IDisposable
{
    private const int Batches = 48;
    private const int MinutesPerBatch = 10;
    private static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-3);
    private readonly string _data = RunningServer.NewDataDirectory();

    public void Dispose() => Directory.Delete(_data, recursive: true);

    /// <summary>Batch <paramref name="b"/> of a meter: ten minutes of its energy register and power.</summary>
    private static string Batch(string meter, int b) => string.Concat(Enumerable.Range(b * MinutesPerBatch, MinutesPerBatch).Select(m => string.Create(CultureInfo.InvariantCulture,
        $"meter,site=casa-aero,meter={meter} energy_import_kwh={50_000 + (3.25 * m)},power_kw={150 + ((m * 7) % 23)} {Start.AddMinutes(m).ToUnixTimeSeconds() * 1_000_000_000}\n")));

    [Fact]
    public async Task Killed_twenty_times_under_http_and_mqtt_load_it_ends_with_the_intervals_of_one_replay()
    {
        var tokens = RunningServer.CreateTokens(_data);
        var (httpPort, mqttPort) = (ServeProcess.FreePort(), ServeProcess.FreePort());
        var environment = new Dictionary<string, string>
        {
            ["MONITORING_Mqtt__Mode"] = "embedded",
            ["MONITORING_Mqtt__Port"] = mqttPort.ToString(CultureInfo.InvariantCulture),
            ["MONITORING_Ingestion__CheckpointInterval"] = "00:00:01",
            ["MONITORING_Ingestion__TickInterval"] = "00:00:00.2",
        };
        var serve = await ServeProcess.StartAsync(_data, log, environment, httpPort);
        using var done = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var progress = new int[2];
        var http = Task.Run(() => SendOverHttpAsync(httpPort, tokens["agent-casa"], progress, done.Token));
        var mqtt = Task.Run(() => SendOverMqttAsync(mqttPort, tokens["agent-casa"], progress, done.Token));

        // Twenty SIGKILLs at random moments while both writers send (each waits for its acknowledgement).
        var random = new Random(20261202);
        try
        {
            for (var kill = 0; kill < 20; kill++)
            {
                await Task.Delay(random.Next(300, 1500), done.Token);
                await serve.DisposeAsync();
                log.WriteLine($"kill {kill + 1} at batches {Volatile.Read(ref progress[0])} (http) and {Volatile.Read(ref progress[1])} (mqtt)");
                serve = await ServeProcess.StartAsync(_data, log, environment, httpPort);
            }

            await Task.WhenAll(http, mqtt).WaitAsync(done.Token);
            Assert.Equal([Batches, Batches], progress);

            // The server's closed intervals against one replay of the same input, once everything acknowledged is applied.
            var replay = await ReplayAsync();
            foreach (var (meter, field, resolution) in new[]
            {
                ("compressors", "energy_import_kwh", "15m"), ("compressors", "power_kw", "15m"), ("compressors", "energy_import_kwh", "1h"),
                ("chillers", "energy_import_kwh", "15m"), ("chillers", "power_kw", "15m"), ("chillers", "power_kw", "1h"),
            })
            {
                var expected = replay.Where(r => r.Meter == meter && r.Field == field && r.Resolution == resolution).ToDictionary(r => r.Start, r => (r.Value, r.Count));
                // Replay closes everything at the end of its input; serve closes what its watermark (the newest reading
                // less the 15-minute lateness) has passed.
                var watermark = Start.AddMinutes((Batches * MinutesPerBatch) - 1 - 15);
                var closed = expected.Keys.Count(start => DateTimeOffset.Parse(start, CultureInfo.InvariantCulture) + (resolution == "15m" ? TimeSpan.FromMinutes(15) : TimeSpan.FromHours(1)) <= watermark);
                var served = await WaitForIntervalsAsync(serve, tokens["root"], meter, field, resolution, closed);
                Assert.True(served.Count >= closed, $"{meter} {field} {resolution}: {served.Count} of {closed} closed intervals");
                foreach (var (start, value, count) in served)
                {
                    Assert.True(expected.TryGetValue(start, out var once), $"{meter} {field} {resolution} {start}: not in the replay");
                    Assert.Equal(once.Value, value, 9);
                    Assert.Equal(once.Count, count);
                }
            }
        }
        finally
        {
            await done.CancelAsync();
            await serve.DisposeAsync();
        }
    }

    private static async Task SendOverHttpAsync(int port, string token, int[] progress, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        for (var b = 0; b < Batches; b++)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?org=o&bucket=b&precision=ns") { Content = new StringContent(Batch("compressors", b)) };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
                    request.Headers.Add("X-Batch-Id", $"gw-http@00000000000000a1:{(b * MinutesPerBatch) + 1}-{(b + 1) * MinutesPerBatch}");
                    using var response = await client.SendAsync(request, cancellationToken);
                    if (response.StatusCode == HttpStatusCode.NoContent)
                    {
                        break;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // The server is down or was killed mid-request: send the same batch again.
                }

                await Task.Delay(50, cancellationToken);
            }

            Volatile.Write(ref progress[0], b + 1);
        }
    }

    private static async Task SendOverMqttAsync(int port, string token, int[] progress, CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        IMqttClient? client = null;
        try
        {
            for (var b = 0; b < Batches; b++)
            {
                var message = new MqttApplicationMessageBuilder()
                    .WithTopic("monitoring/v1/casa-aero/gw-mqtt/lp")
                    .WithPayload(Batch("chillers", b))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithUserProperty("batch-id", Encoding.UTF8.GetBytes($"gw-mqtt@00000000000000b2:{(b * MinutesPerBatch) + 1}-{(b + 1) * MinutesPerBatch}"))
                    .Build();
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        if (client is not { IsConnected: true })
                        {
                            client?.Dispose();
                            client = factory.CreateMqttClient();
                            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("kill-test-mqtt")
                                .WithCredentials("agent-casa", token).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                                .WithTimeout(TimeSpan.FromSeconds(5)).Build();
                            await client.ConnectAsync(options, cancellationToken);
                        }

                        var result = await client.PublishAsync(message, cancellationToken);
                        if (result.ReasonCode == MqttClientPublishReasonCode.Success)
                        {
                            break;
                        }
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
                    {
                        // Refused, timed out or disconnected while the server was killed: publish the same batch again.
                    }

                    await Task.Delay(50, cancellationToken);
                }

                Volatile.Write(ref progress[1], b + 1);
            }
        }
        finally
        {
            client?.Dispose();
        }
    }

    /// <summary>The same input, once, through <c>monitoring replay</c> (corrections merged into their intervals).</summary>
    private async Task<List<(string Meter, string Field, string Resolution, string Start, double Value, int Count)>> ReplayAsync()
    {
        var input = Path.Combine(_data, "input.lp");
        await File.WriteAllTextAsync(input, string.Concat(Enumerable.Range(0, Batches).SelectMany(b => new[] { Batch("compressors", b), Batch("chillers", b) })));
        var output = Path.Combine(_data, "replay");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "monitoring.dll"), "replay", "--registry", MonitoringCommand.BundledRegistry, "--input", input, "--out", output })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, text);
        var rows = new Dictionary<(string, string, string, string), (double Value, int Count)>();
        foreach (var line in File.ReadAllLines(Path.Combine(output, "intervals.csv"))[1..])
        {
            // site,meter,field,kind,unit,resolution,start_utc,end_utc,value,min,max,count,estimated_fraction,peak_demand_kw,flags,correction
            var f = line.Split(',');
            var key = (f[1], f[2], f[5], f[6]);
            var value = double.Parse(f[8], CultureInfo.InvariantCulture);
            var count = int.Parse(f[11], CultureInfo.InvariantCulture);
            rows[key] = rows.TryGetValue(key, out var held) ? (held.Value + value, held.Count + count) : (value, count);
        }

        return [.. rows.Select(r => (r.Key.Item1, r.Key.Item2, r.Key.Item3, r.Key.Item4, r.Value.Value, r.Value.Count))];
    }

    private static async Task<List<(string Start, double Value, int Count)>> WaitForIntervalsAsync(
        ServeProcess serve, string token, string meter, string field, string resolution, int atLeast)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"/api/v1/sites/casa-aero/meters/{meter}/intervals?field={field}&resolution={resolution}&from={Start:yyyy-MM-ddTHH:mm:ssZ}&to={Start.AddDays(1):yyyy-MM-ddTHH:mm:ssZ}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await serve.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var intervals = json.RootElement.GetProperty("intervals").EnumerateArray().Select(i =>
            {
                var isCounter = i.TryGetProperty("consumption", out var c) && c.ValueKind == JsonValueKind.Number;
                var value = isCounter ? c.GetDouble() : i.GetProperty("mean").GetDouble();
                var count = i.TryGetProperty("count", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : 0;
                return (i.GetProperty("start").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), value, count);
            }).ToList();
            if (intervals.Count >= atLeast || DateTime.UtcNow > deadline)
            {
                return intervals;
            }

            await Task.Delay(200);
        }
    }
}
