using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// The promise of <c>serve</c>, tested on the real executable: killed with SIGKILL while two writers send batches,
/// then restarted on the same data folder, every reading it acknowledged is in InfluxDB exactly once, and the
/// intervals computed across the crash are those of an uninterrupted run (write-ahead log replay + checkpoint).
/// </summary>
public sealed class ServerCrashTests(InfluxDb1Fixture influx, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<InfluxDb1Fixture>, IDisposable
{
    private const int Batches = 120;
    private const int LinesPerBatch = 60;
    private readonly string _data = RunningServer.NewDataDirectory();
    private readonly List<ServeProcess> _servers = [];

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Killed_under_load_and_restarted_every_acknowledged_reading_is_in_InfluxDB_once_and_the_intervals_are_exact()
    {
        var database = InfluxDb1Fixture.UniqueDatabaseName("crash");
        await influx.Client.CreateDatabaseAsync(database, CancellationToken.None);
        var tokens = RunningServer.CreateTokens(_data);
        var port = ServeProcess.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", tokens["telegraf"]);

        // Two writers, as two edge agents: each sends its meter's batches in order and retries until acknowledged.
        // Batch b holds minutes [b*60, b*60+60) of a counter (5 kWh a minute) and a gauge: 120 hours per meter.
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-10);
        string[] meters = ["compressors", "chillers"];
        string Batch(string meter, int b) => string.Concat(Enumerable.Range(b * LinesPerBatch, LinesPerBatch).Select(minute => string.Create(CultureInfo.InvariantCulture,
            $"meter,site=casa-aero,meter={meter} energy_import_kwh={100_000 + (5 * minute)},power_kw={minute} {start.AddMinutes(minute).ToUnixTimeSeconds()}\n")));

        await StartServerAsync(port, database);
        var progress = new int[meters.Length];
        var refusals = new int[meters.Length];
        var writers = meters.Select((meter, w) => Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
            {
                while (!await SendAsync(http, Batch(meter, b), $"{meter}-{b}"))
                {
                    refusals[w]++;
                    await Task.Delay(50);
                }

                Volatile.Write(ref progress[w], b + 1);
            }
        })).ToArray();

        // SIGKILL once the first writer is half way, while both are sending; restart on the same data folder.
        while (Volatile.Read(ref progress[0]) < Batches / 2)
        {
            await Task.Delay(5);
        }

        await _servers[^1].KillAsync();
        log.WriteLine($"killed at batches {progress[0]} and {progress[1]}");
        await StartServerAsync(port, database);
        await Task.WhenAll(writers);
        log.WriteLine($"writes refused while the server was down: {refusals[0]} and {refusals[1]}");
        Assert.True(refusals.Sum() > 0, "the kill should have refused some writes");

        foreach (var meter in meters)
        {
            // Every acknowledged reading is a raw point, once (InfluxDB keeps one point per series and time).
            var expectedRaw = Batches * LinesPerBatch;
            var rawCount = await WaitForCountAsync(database, $"SELECT count(\"power_kw\") FROM \"meter\" WHERE \"meter\"='{meter}'", expectedRaw);
            Assert.Equal(expectedRaw, rawCount);
            var sum = await influx.Client.QueryAsync(database, $"SELECT sum(\"power_kw\") FROM \"meter\" WHERE \"meter\"='{meter}'", CancellationToken.None);
            Assert.Equal((double)expectedRaw * (expectedRaw - 1) / 2, sum.Single().Values[0][1].GetDouble());

            // The hourly consumption across the crash: every closed hour holds exactly 300 kWh, as without a crash.
            var query = $"\"interval_series\" WHERE \"meter\"='{meter}' AND \"field\"='energy_import_kwh' AND \"resolution\"='1h'";
            var hours = await WaitForCountAsync(database, $"SELECT count(\"consumption\") FROM {query}", Batches - 1);
            Assert.True(hours >= Batches - 1, $"{meter}: {hours} hours");
            var rows = (await influx.Client.QueryAsync(database, $"SELECT \"consumption\", \"flags\" FROM {query} ORDER BY time", CancellationToken.None)).Single().Values;
            for (var i = 0; i < Batches - 1; i++)
            {
                Assert.Equal(start.AddHours(i), DateTimeOffset.FromUnixTimeMilliseconds(rows[i][0].GetInt64() / 1_000_000));
                Assert.Equal(300, rows[i][1].GetDouble(), 9);
            }
        }
    }

    private static async Task<bool> SendAsync(HttpClient http, string body, string batchId)
    {
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "text/plain");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?precision=s") { Content = content };
            request.Headers.Add("X-Batch-Id", batchId);
            using var response = await http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private async Task StartServerAsync(int port, string database) => _servers.Add(await ServeProcess.StartAsync(_data, log, new Dictionary<string, string>
    {
        ["MONITORING_Influx__Kind"] = "v1",
        ["MONITORING_Influx__Url"] = influx.BaseAddress.ToString(),
        ["MONITORING_Influx__Database"] = database,
        ["MONITORING_Influx__WriteRawReadings"] = "true",
        ["MONITORING_Ingestion__CheckpointInterval"] = "00:00:02",
        ["MONITORING_Ingestion__FlushInterval"] = "00:00:00.2",
        ["MONITORING_Ingestion__TickInterval"] = "00:00:00.2",
    }, port));

    private async Task<long> WaitForCountAsync(string database, string query, long expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        long count = 0;
        while (DateTime.UtcNow < deadline)
        {
            var series = await influx.Client.QueryAsync(database, query, CancellationToken.None);
            count = series.Count == 0 ? 0 : series[0].Values[0][1].GetInt64();
            if (count >= expected)
            {
                return count;
            }

            await Task.Delay(250);
        }

        return count;
    }
}
