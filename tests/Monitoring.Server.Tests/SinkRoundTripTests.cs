using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// Readings written to <c>monitoring serve</c> come out in InfluxDB: 1.x through the v1 <c>/write</c> sink (read back
/// with InfluxQL) and VictoriaMetrics through the v2 sink (InfluxDB.Client), as intervals and raw readings.
/// </summary>
public sealed class SinkRoundTripTests(InfluxDb1Fixture influx, VictoriaMetricsFixture victoria) : IClassFixture<InfluxDb1Fixture>, IClassFixture<VictoriaMetricsFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Three hours of a main incomer read every minute, 5 kWh a minute: every closed quarter hour holds 75 kWh.</summary>
    internal static (string Body, DateTimeOffset Start) Readings(int minutes = 180)
    {
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(6);
        var body = new StringBuilder();
        for (var i = 0; i <= minutes; i++)
        {
            var seconds = start.AddMinutes(i).ToUnixTimeSeconds();
            body.Append(CultureInfo.InvariantCulture, $"meter,site=casa-aero,meter=main-incomer energy_import_kwh={10_000 + (5 * i)},power_kw=300 {seconds}\n");
        }

        return (body.ToString(), start);
    }

    [Fact]
    public async Task Readings_sent_to_serve_are_found_in_InfluxDB_1x_as_raw_points_and_15_minute_intervals()
    {
        var database = InfluxDb1Fixture.UniqueDatabaseName("serve");
        await influx.Client.CreateDatabaseAsync(database, CancellationToken.None);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Influx:Kind"] = "v1",
            ["Influx:Url"] = influx.BaseAddress.ToString(),
            ["Influx:Database"] = database,
            ["Influx:WriteRawReadings"] = "true",
            ["Ingestion:FlushInterval"] = "00:00:00.2",
            ["Ingestion:TickInterval"] = "00:00:00.2",
        });
        var (body, start) = Readings();
        using var response = await server.Http.SendAsync(RunningServer.Write(body, server.Tokens["telegraf"], "/write?db=x&precision=s"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await server.Host.Pipeline.CheckpointAsync();

        var raw = await WaitForCountAsync(database, "SELECT count(\"energy_import_kwh\") FROM \"meter\" WHERE \"meter\"='main-incomer'", 181);
        Assert.Equal(181, raw);
        // Per series, a quarter closes once a reading at or after its end is final: 11 of the 12 (the last waits for more).
        await WaitForCountAsync(database, "SELECT count(\"consumption\") FROM \"interval_series\" WHERE \"meter\"='main-incomer' AND \"field\"='energy_import_kwh' AND \"resolution\"='15m'", 11);
        // The meter roll-up waits for its reactive input too, then is forced at watermark - completion grace: 10 quarters.
        await WaitForCountAsync(database, "SELECT count(\"consumption\") FROM \"interval_meter\" WHERE \"meter\"='main-incomer' AND \"resolution\"='15m'", 10);
        var series = await influx.Client.QueryAsync(database,
            "SELECT \"consumption\", \"demand\" FROM \"interval_series\" WHERE \"meter\"='main-incomer' AND \"field\"='energy_import_kwh' AND \"resolution\"='15m' ORDER BY time", CancellationToken.None);
        var meter = await influx.Client.QueryAsync(database,
            "SELECT \"consumption\", \"demand_kw\", \"co2e_kg\" FROM \"interval_meter\" WHERE \"meter\"='main-incomer' AND \"resolution\"='15m' ORDER BY time", CancellationToken.None);
        var seriesRows = series.Single().Values;
        var meterRows = meter.Single().Values;
        Assert.Equal(start, DateTimeOffset.FromUnixTimeMilliseconds(seriesRows[0][0].GetInt64() / 1_000_000));
        Assert.Equal(start, DateTimeOffset.FromUnixTimeMilliseconds(meterRows[0][0].GetInt64() / 1_000_000));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(75, seriesRows[i][1].GetDouble(), 9);
            Assert.Equal(300, seriesRows[i][2].GetDouble(), 9);
            Assert.Equal(75, meterRows[i][1].GetDouble(), 9);
            Assert.Equal(300, meterRows[i][2].GetDouble(), 9);
            Assert.True(meterRows[i][3].GetDouble() > 0, "CO2e of electricity");
        }
    }

    [Fact]
    public async Task Readings_sent_to_serve_reach_VictoriaMetrics_through_the_v2_sink()
    {
        var site = "casa-aero";
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Influx:Kind"] = "v2",
            ["Influx:Url"] = victoria.BaseAddress.ToString(),
            ["Influx:Organization"] = VictoriaMetricsFixture.Organization,
            ["Influx:Bucket"] = VictoriaMetricsFixture.Bucket,
            ["Influx:WriteRawReadings"] = "true",
            ["Ingestion:FlushInterval"] = "00:00:00.2",
            ["Ingestion:TickInterval"] = "00:00:00.2",
        });
        var start = DateTimeOffset.UtcNow.AddMinutes(-90);
        var marker = Random.Shared.Next(1_000_000, 9_000_000);
        var body = string.Join('\n', Enumerable.Range(0, 30).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"meter,site={site},meter=chillers power_kw={marker + i} {start.AddMinutes(i).ToUnixTimeSeconds()}")));
        using var response = await server.Http.SendAsync(RunningServer.Write(body, server.Tokens["telegraf"]));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await server.Host.Pipeline.CheckpointAsync();

        var deadline = DateTime.UtcNow + Deadline;
        List<double> values = [];
        while (DateTime.UtcNow < deadline)
        {
            await victoria.ForceFlushAsync(CancellationToken.None);
            var series = await victoria.ExportAsync("{__name__=\"meter_power_kw\",meter=\"chillers\"}", CancellationToken.None);
            values = series.SelectMany(s => s.Values).Where(v => v >= marker && v < marker + 30).ToList();
            if (values.Count >= 30)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (double)(marker + i)), values.Order());
    }

    private async Task<long> WaitForCountAsync(string database, string query, long expected)
    {
        var deadline = DateTime.UtcNow + Deadline;
        long count = 0;
        while (DateTime.UtcNow < deadline)
        {
            var series = await influx.Client.QueryAsync(database, query, CancellationToken.None);
            count = series.Count == 0 ? 0 : series[0].Values[0][1].GetInt64();
            if (count >= expected)
            {
                return count;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"'{query}' gave {count} after {Deadline.TotalSeconds} s, expected {expected}");
        return count;
    }
}
