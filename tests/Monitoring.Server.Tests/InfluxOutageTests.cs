using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Sinks.InfluxDb;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// InfluxDB stopped for minutes while <c>monitoring serve</c> keeps taking writes, then started again on the same data:
/// the server went on acknowledging, spooled what it could not deliver, and once InfluxDB is back every raw reading
/// and every interval is there with exact values. A private <c>influxd</c> (the Debian package test.sh installs) is
/// stopped and started, so the shared one stays up for the other tests. The outage lasts
/// <c>MONITORING_TEST_INFLUX_OUTAGE_SECONDS</c> (default 120).
/// </summary>
public sealed class InfluxOutageTests(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime
{
    private const string Influxd = "/usr/bin/influxd";
    private const int LinesPerBatch = 60;
    private static readonly string[] Meters = ["compressors", "chillers"];
    private readonly string _work = Directory.CreateTempSubdirectory("monitoring-outage-").FullName;
    private readonly int _influxPort = ServeProcess.FreePort();
    private Process? _influxd;

    public Task InitializeAsync() => StartInfluxAsync();

    public Task DisposeAsync()
    {
        StopInflux();
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task InfluxDB_stopped_for_minutes_under_load_then_restarted_receives_every_point_once_with_exact_values()
    {
        var outage = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("MONITORING_TEST_INFLUX_OUTAGE_SECONDS") ?? "120", CultureInfo.InvariantCulture));
        var influxUrl = new Uri($"http://127.0.0.1:{_influxPort}");
        using var influx = new InfluxDb1Client(influxUrl);
        await influx.CreateDatabaseAsync("outage", CancellationToken.None);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Influx:Kind"] = "v1",
            ["Influx:Url"] = influxUrl.ToString(),
            ["Influx:Database"] = "outage",
            ["Influx:WriteRawReadings"] = "true",
            ["Influx:MaxBackoff"] = "00:00:02",
            // Every failed attempt logs a warning: a two-minute outage would fill the test output with them.
            ["Logging:LogLevel:Monitoring.Sinks.InfluxDb.SinkForwarder"] = "Error",
            ["Ingestion:FlushInterval"] = "00:00:00.2",
            ["Ingestion:TickInterval"] = "00:00:00.2",
        });
        var sink = (SinkForwarder)server.Host.Services.GetService(typeof(SinkForwarder))!;
        var outbox = (InfluxOutbox)server.Host.Services.GetService(typeof(InfluxOutbox))!;

        // Each batch: the next hour of both meters, read every minute (a counter at 5 kWh a minute and a gauge); at most
        // 40 hours a second, so a 2-minute outage covers about 200 days of readings, all in the past.
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-400);
        var batches = 0;
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++, batches++)
            {
                var body = new StringBuilder();
                foreach (var meter in Meters)
                {
                    for (var minute = batches * LinesPerBatch; minute < (batches + 1) * LinesPerBatch; minute++)
                    {
                        body.Append(CultureInfo.InvariantCulture,
                            $"meter,site=casa-aero,meter={meter} energy_import_kwh={100_000 + (5 * minute)},power_kw={minute % 500} {start.AddMinutes(minute).ToUnixTimeSeconds()}\n");
                    }
                }

                using var response = await server.Http.SendAsync(RunningServer.Write(body.ToString(), server.Tokens["telegraf"]));
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            }
        }

        await SendAsync(24);
        await WaitDeliveredAsync(sink, TimeSpan.FromMinutes(1));

        StopInflux();
        var down = Stopwatch.StartNew();
        while (down.Elapsed < outage)
        {
            await SendAsync(4);
            await Task.Delay(100);
        }

        var status = sink.Status;
        log.WriteLine($"after {outage.TotalSeconds:0} s down: {batches} batches sent, {status.PendingRecords} spool records pending, {status.Failures} failed attempts, last error: {status.LastError}");
        Assert.False(status.Connected);
        Assert.True(status.PendingRecords > 0, "the spool holds what could not be delivered");
        Assert.True(status.Failures > 0);

        await StartInfluxAsync();
        await SendAsync(24);
        await server.Host.Pipeline.CheckpointAsync();
        await WaitDeliveredAsync(sink, TimeSpan.FromMinutes(3));

        var minutes = batches * LinesPerBatch;
        foreach (var meter in Meters)
        {
            var raw = await ScalarsAsync(influx, $"SELECT count(\"energy_import_kwh\"), count(\"power_kw\") FROM \"meter\" WHERE \"meter\"='{meter}'");
            Assert.Equal(new double[] { minutes, minutes }, raw);

            // Every closed quarter once, with its exact consumption (a point written twice would hold the same values;
            // one lost or merged twice would not): the last quarter of the feed stays open.
            var quarters = await ScalarsAsync(influx,
                $"SELECT count(\"consumption\"), min(\"consumption\"), max(\"consumption\"), sum(\"consumption\") FROM \"interval_series\" WHERE \"meter\"='{meter}' AND \"field\"='energy_import_kwh' AND \"resolution\"='15m'");
            var closed = (long)quarters[0];
            Assert.InRange(closed, (minutes / 15) - 2, (minutes / 15) - 1);
            Assert.Equal(75, quarters[1], 9);
            Assert.Equal(75, quarters[2], 9);
            Assert.Equal(75.0 * closed, quarters[3], 6);
        }

        status = sink.Status;
        var formatted = outbox.Statistics.LinesFormatted;
        log.WriteLine($"{minutes} minutes per meter; {formatted} lines formatted, {status.LinesWritten} written ({status.LinesWritten - formatted} sent again after an answer was lost), {status.Failures} failed attempts");
        Assert.True(status.LinesWritten >= formatted, "every formatted line was written");
        Assert.Equal(0, status.SpoolDropped);
    }

    private static async Task<double[]> ScalarsAsync(InfluxDb1Client influx, string query)
    {
        var series = await influx.QueryAsync("outage", query, CancellationToken.None);
        var row = series.Single().Values.Single();
        return [.. Enumerable.Range(1, row.Count - 1).Select(i => row[i].GetDouble())];
    }

    private static async Task WaitDeliveredAsync(SinkForwarder sink, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (sink.Status.PendingRecords > 0)
        {
            Assert.True(clock.Elapsed < deadline, $"the sink still holds {sink.Status.PendingRecords} records after {deadline}: {sink.Status.LastError}");
            await Task.Delay(200);
        }
    }

    private async Task StartInfluxAsync()
    {
        Assert.True(File.Exists(Influxd), $"{Influxd} is missing: ./test.sh installs the influxdb package");
        var config = Path.Combine(_work, "influxdb.conf");
        if (!File.Exists(config))
        {
            File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $"""
                reporting-disabled = true
                bind-address = "127.0.0.1:{ServeProcess.FreePort()}"
                [meta]
                  dir = "{_work}/meta"
                [data]
                  dir = "{_work}/data"
                  wal-dir = "{_work}/wal"
                  query-log-enabled = false
                [http]
                  bind-address = "127.0.0.1:{_influxPort}"
                  log-enabled = false
                [monitor]
                  store-enabled = false
                """));
        }

        _influxd = Process.Start(new ProcessStartInfo(Influxd, ["-config", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _influxd.ErrorDataReceived += (_, _) => { };
        _influxd.OutputDataReceived += (_, _) => { };
        _influxd.BeginErrorReadLine();
        _influxd.BeginOutputReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ping = await http.GetAsync($"http://127.0.0.1:{_influxPort}/ping");
                if (ping.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(30) && !_influxd.HasExited)
            {
            }

            Assert.False(_influxd.HasExited, $"influxd exited with {(_influxd.HasExited ? _influxd.ExitCode : 0)}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "influxd did not answer /ping within 30 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Stops influxd as an operator would (SIGTERM: it closes its files) and waits for it to exit.</summary>
    private void StopInflux()
    {
        if (_influxd is null)
        {
            return;
        }

        if (!_influxd.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _influxd.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            if (!_influxd.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _influxd.Kill();
                _influxd.WaitForExit();
            }
        }

        _influxd.Dispose();
        _influxd = null;
    }
}
