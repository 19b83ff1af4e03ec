using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Tests;

/// <summary>A restart on the same data folder continues from the checkpoint: late readings correct intervals written before it.</summary>
public sealed class RestartTests
{
    private static readonly Dictionary<string, string?> FastTicks = new() { ["Ingestion:TickInterval"] = "00:00:00.1" };

    private static string Reading(DateTimeOffset start, int minute, double value) => string.Create(CultureInfo.InvariantCulture,
        $"meter,site=casa-aero,meter=compressors energy_import_kwh={value} {start.AddMinutes(minute).ToUnixTimeSeconds()}");

    private static async Task<RollupInterval> QuarterAsync(RunningServer server, DateTimeOffset start)
    {
        var store = server.Host.Services.GetRequiredService<LatestIntervalStore>();
        var node = store.Topology.Find(RollupLevel.Meter, "compressors", Monitoring.Domain.Registry.Carrier.Electricity, "casa-aero")!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var quarters = store.GetNodeIntervals(node, IntervalResolution.FifteenMinutes, start.AddMinutes(45), start.AddMinutes(60));
            if (quarters.Count == 1)
            {
                return quarters[0];
            }

            Assert.True(DateTime.UtcNow < deadline, "the 15-minute roll-up at +45 min was not written");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_late_reading_after_a_restart_corrects_an_interval_written_before_it()
    {
        var data = RunningServer.NewDataDirectory();
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1);
        try
        {
            await using (var before = await RunningServer.StartAsync(FastTicks, data))
            {
                // 5 kWh a minute, no reading from minute 40 to 50: the 60 kWh from 39 to 51 are spread evenly,
                // so the quarter from +45 min gets 30 + 45 = 75 kWh.
                var body = string.Join('\n', Enumerable.Range(0, 76).Where(m => m is < 40 or > 50).Select(m => Reading(start, m, 10_000 + (5 * m))));
                using var response = await before.Http.SendAsync(RunningServer.Write(body, before.Tokens["telegraf"], "/api/v2/write?precision=s"));
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                Assert.Equal(75, (await QuarterAsync(before, start)).Consumption, 9);
            }

            // After the restart, the reading of minute 50 arrives: only 5 kWh were used from 39 to 50, 55 from 50 to 51.
            await using var after = await RunningServer.StartAsync(FastTicks, data);
            using (var late = await after.Http.SendAsync(RunningServer.Write(Reading(start, 50, 10_000 + (5 * 39) + 5), after.Tokens["telegraf"], "/api/v2/write?precision=s")))
            {
                Assert.Equal(HttpStatusCode.NoContent, late.StatusCode);
            }

            await after.Host.Pipeline.CheckpointAsync();
            Assert.Equal(0, after.Host.Pipeline.Statistics.LoopFailures);
            Assert.Equal(1, after.Host.Pipeline.Statistics.ReadingsApplied);
            var corrected = await WaitForAsync(after, start, q => Math.Abs(q.Consumption - 75) > 1e-6);
            Assert.Equal(45 + 55 + (5.0 * 5 / 11), corrected.Consumption, 9);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Quarantine_counts_per_site_reason_and_hour_go_on_after_a_restart()
    {
        var data = RunningServer.NewDataDirectory();
        var hour = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(6);
        var unknownMeter = string.Create(CultureInfo.InvariantCulture, $"meter,site=casa-aero,meter=compressor-9 energy_import_kwh=1 {hour.AddMinutes(5).ToUnixTimeSeconds()}");
        try
        {
            await using (var before = await RunningServer.StartAsync(FastTicks, data))
            {
                using var response = await before.Http.SendAsync(RunningServer.Write(unknownMeter + "\n" + unknownMeter, before.Tokens["telegraf"], "/api/v2/write?precision=s"));
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }

            await using var after = await RunningServer.StartAsync(FastTicks, data);
            using (var response = await after.Http.SendAsync(RunningServer.Write(unknownMeter, after.Tokens["telegraf"], "/api/v2/write?precision=s")))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }

            var counts = after.Host.Pipeline.Quarantine.HourlyCounts();
            Assert.Equal([new Monitoring.Ingestion.QuarantineHour("casa-aero", Monitoring.Ingestion.RejectionReason.UnknownMeter, hour, 3)], counts);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<RollupInterval> WaitForAsync(RunningServer server, DateTimeOffset start, Func<RollupInterval, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var quarter = await QuarterAsync(server, start);
            if (condition(quarter))
            {
                return quarter;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the quarter still holds {quarter.Consumption} kWh");
            await Task.Delay(50);
        }
    }
}
