using Microsoft.Extensions.Time.Testing;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using static Monitoring.Sinks.InfluxDb.Tests.TestPlant;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>Corrections are merged into the record they name and the point is rewritten with the merged values.</summary>
public sealed class CorrectionTests : IDisposable
{
    private readonly TestPlant _plant = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_series_correction_rewrites_the_point_with_the_merged_fields()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool"));
        await using var spool = OpenSpool(options);
        var store = new LatestIntervalStore(_plant.Topology, options.StoreOptions());
        var outbox = new InfluxOutbox(options, store, spool);

        var original = _plant.EnergyQuarter(0, 60, IntervalQuality.Incomplete) with { CoveredMilliseconds = 600_000 };
        var correction = _plant.EnergyQuarter(0, 5.5, IntervalQuality.Estimated) with
        {
            EstimatedConsumption = 5.5, PeakQuarterConsumption = 0, CoveredMilliseconds = 300_000, IsCorrection = true,
        };
        outbox.Write(original);
        outbox.Write(correction);
        await outbox.FlushAsync();

        Assert.Equal(
            [
                "interval_series,site=site-a,meter=main,field=energy_import_kwh,resolution=15m consumption=60,estimated=0,demand=240,covered_s=600,flags=\"INCOMPLETE\" 1736935200000",
                "interval_series,site=site-a,meter=main,field=energy_import_kwh,resolution=15m consumption=65.5,estimated=5.5,demand=240,covered_s=900,flags=\"ESTIMATED,INCOMPLETE\" 1736935200000",
            ],
            SpooledLines(spool));
        var stored = Assert.Single(store.GetSeriesIntervals(_plant.MainEnergy, IntervalResolution.FifteenMinutes, T0, T0.AddDays(1)));
        Assert.Equal((65.5, 5.5, 900_000L, false), (stored.Consumption, stored.EstimatedConsumption, stored.CoveredMilliseconds, stored.IsCorrection));
        Assert.Equal(1, outbox.Statistics.CorrectionsMerged);
    }

    [Fact]
    public async Task A_gauge_correction_adds_its_sample_to_mean_min_max_and_last()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool"));
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool);
        ClosedInterval Hour(int count, double sum, double min, double max, double last, int lastMinute, bool correction) => new()
        {
            Series = _plant.MainPower, Resolution = IntervalResolution.Hour, Start = T0, End = T0.AddHours(1),
            Count = count, Sum = sum, Min = min, Max = max, Last = last, LastTime = T0.AddMinutes(lastMinute), IsCorrection = correction,
        };

        outbox.Write(Hour(3, 30, 9, 11, 10, 45, correction: false));
        outbox.Write(Hour(1, 14, 14, 14, 14, 20, correction: true));   // late sample, older than the last one
        await outbox.FlushAsync();

        Assert.Equal(
            "interval_series,site=site-a,meter=main,field=power_kw,resolution=1h mean=11,min=9,max=14,last=10,count=4i 1736935200000",
            SpooledLines(spool)[^1]);
    }

    [Fact]
    public async Task A_rollup_correction_recomputes_the_power_factor_from_the_merged_sums()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool"));
        await using var spool = OpenSpool(options);
        var store = new LatestIntervalStore(_plant.Topology);
        var outbox = new InfluxOutbox(options, store, spool);

        outbox.Write(_plant.MainDay(1000, 750));
        outbox.Write(_plant.MainDay(200, 150, isCorrection: true));
        await outbox.FlushAsync();

        var merged = Fields(SpooledLines(spool)[^1]);
        Assert.Equal("1200", merged["consumption"]);
        Assert.Equal("900", merged["reactive_kvarh"]);
        Assert.Equal("0.8", merged["pf"]);
        Assert.Equal("1040", merged["demand_kw"]);            // peaks are not corrected: the original's stays
        Assert.Equal(693.6, Number(merged["co2e_kg"]), 9);
        Assert.Equal("1i", merged["inputs"]);
        Assert.Equal(1200, store.GetNodeIntervals(RollupLevel.Meter, IntervalResolution.Day, T0, T0.AddDays(1), "main").Single().Consumption);
    }

    [Fact]
    public async Task A_correction_without_its_record_is_written_as_the_whole_content_and_counted()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool"));
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool);

        outbox.Write(_plant.MainDay(200, 150, isCorrection: true));
        outbox.Write(_plant.MainDay(10, 0, isCorrection: true));
        await outbox.FlushAsync();

        var lines = SpooledLines(spool);
        Assert.Equal("200", Fields(lines[0])["consumption"]);
        Assert.Equal("0.8", Fields(lines[0])["pf"]);           // the whole content: ratios are defined
        Assert.Equal("210", Fields(lines[1])["consumption"]);  // and the next correction merges into it
        Assert.Equal((1, 1), (outbox.Statistics.CorrectionsUnmatched, outbox.Statistics.CorrectionsMerged));
    }

    [Fact]
    public async Task A_correction_older_than_the_store_keeps_is_not_written_over_the_point()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool")) with { StoreMaxAge = TimeSpan.FromDays(2) };
        await using var spool = OpenSpool(options);
        var store = new LatestIntervalStore(_plant.Topology, options.StoreOptions());
        var outbox = new InfluxOutbox(options, store, spool);

        outbox.Write(_plant.EnergyQuarter(0, 60));
        outbox.Write(_plant.EnergyQuarter(4 * 24 * 3, 61));    // three days later: the first quarter leaves the store
        outbox.Write(_plant.EnergyQuarter(0, 1) with { IsCorrection = true });
        await outbox.FlushAsync();

        Assert.Equal(2, SpooledLines(spool).Count);
        Assert.Equal(1, outbox.Statistics.CorrectionsExpired);
        Assert.Empty(store.GetSeriesIntervals(_plant.MainEnergy, IntervalResolution.FifteenMinutes, T0, T0.AddDays(1)));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void The_store_restored_from_a_snapshot_merges_later_corrections()
    {
        var store = new LatestIntervalStore(_plant.Topology);
        store.Apply(_plant.EnergyQuarter(0, 60, IntervalQuality.Incomplete), out _);
        store.Apply(_plant.EnergyQuarter(1, 62), out _);
        store.Apply(_plant.MainDay(1000, 750), out _);
        store.Apply(new IntensityInterval
        {
            Definition = _plant.Line1PerPart, Resolution = IntervalResolution.Day, Start = T0, End = T0.AddDays(1),
            Consumption = 40, EnergyKwh = 40, Co2eKg = 24, Output = 80,
        }, out _);
        using var snapshot = new MemoryStream();
        store.WriteSnapshot(snapshot);

        // A new process: a new topology from the same registry, the snapshot read back.
        var restarted = new TestPlant();
        var restored = new LatestIntervalStore(restarted.Topology);
        snapshot.Position = 0;
        Assert.Equal(new StoreRestoreResult(4, 0), restored.RestoreSnapshot(snapshot));

        Assert.Equal(StoreOutcome.Merged, restored.Apply(restarted.EnergyQuarter(0, 5) with { IsCorrection = true, PeakQuarterConsumption = 0 }, out var quarter));
        Assert.Equal((65.0, 60.0, IntervalQuality.Incomplete), (quarter.Consumption, quarter.PeakQuarterConsumption, quarter.Flags));
        Assert.Same(restarted.MainEnergy, quarter.Series);
        Assert.Equal(StoreOutcome.Merged, restored.Apply(restarted.MainDay(200, 150, isCorrection: true), out var day));
        Assert.Equal((1200.0, 900.0, 0.8), (day.Consumption, day.ReactiveKvarh, day.PowerFactor));
        var intensity = Assert.Single(restored.GetIntensities("line-1", IntervalResolution.Day, T0, T0.AddDays(1)));
        Assert.Equal(0.5, intensity.ConsumptionPerUnit);
        Assert.Equal([60.0 + 5, 62], restored.GetSeriesIntervals(restarted.MainEnergy, IntervalResolution.FifteenMinutes, T0, T0.AddHours(1)).Select(r => r.Consumption));
    }

    [Fact]
    public void A_snapshot_taken_under_another_registry_skips_what_no_longer_exists()
    {
        var store = new LatestIntervalStore(_plant.Topology);
        store.Apply(_plant.EnergyQuarter(0, 60), out _);
        store.Apply(_plant.MainDay(1000, 750), out _);
        using var snapshot = new MemoryStream();
        store.WriteSnapshot(snapshot);
        snapshot.Position = 0;

        var renamed = new TestPlant(mainId: "incomer");
        Assert.Equal(new StoreRestoreResult(0, 2), new LatestIntervalStore(renamed.Topology).RestoreSnapshot(snapshot));
    }

    [Fact]
    public async Task Raw_readings_are_off_by_default_and_downsampled_per_series_when_asked()
    {
        var off = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("off"));
        await using (var spool = OpenSpool(off))
        {
            var outbox = new InfluxOutbox(off, new LatestIntervalStore(_plant.Topology), spool);
            outbox.WriteReading(_plant.MainPower, T0, 1);
            Assert.Equal(0, outbox.PendingLines);
        }

        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("on")) with
        {
            WriteRawReadings = true, RawDownsampling = TimeSpan.FromSeconds(60),
        };
        await using var raw = OpenSpool(options);
        var sampled = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), raw);
        foreach (var second in new[] { 0, 10, 59, 60, 61, 130 })
        {
            sampled.WriteReading(_plant.MainPower, T0.AddSeconds(second), second);
            sampled.WriteReading(_plant.MainEnergy, T0.AddSeconds(second), 1000 + second);
        }

        await sampled.FlushAsync();
        Assert.Equal(
            [
                "meter,site=site-a,meter=main power_kw=0 1736935200000", "meter,site=site-a,meter=main energy_import_kwh=1000 1736935200000",
                "meter,site=site-a,meter=main power_kw=60 1736935260000", "meter,site=site-a,meter=main energy_import_kwh=1060 1736935260000",
                "meter,site=site-a,meter=main power_kw=130 1736935330000", "meter,site=site-a,meter=main energy_import_kwh=1130 1736935330000",
            ],
            SpooledLines(raw));
        Assert.Equal(6, sampled.Statistics.ReadingsDownsampled);
    }

    [Fact]
    public async Task Series_intervals_can_be_turned_off_and_batches_hold_at_most_the_configured_lines()
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool")) with { WriteSeriesIntervals = false, BatchLines = 3 };
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool);

        outbox.Write(_plant.EnergyQuarter(0, 60));
        for (var day = 0; day < 7; day++)
        {
            outbox.Write(_plant.MainDay(1000 + day, 0) with { Start = T0.AddDays(day), End = T0.AddDays(day + 1) });
        }

        Assert.Equal(7, outbox.PendingLines);
        await outbox.FlushAsync();

        Assert.Equal(0, outbox.PendingLines);
        Assert.Equal([3, 3, 1], spool.Peek(100).Select(r => r.Payload.Span.Count((byte)'\n')));
        Assert.DoesNotContain(SpooledLines(spool), l => l.StartsWith("interval_series", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Records_older_than_their_resolution_keeps_are_not_sent_but_stay_in_the_store()
    {
        // The database keeps quarter hours 30 days and days for ever; the clock is 25 days after the plant's T0.
        var clock = new FakeTimeProvider(T0.AddDays(25));
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool")) with
        {
            Retention = new Dictionary<string, TimeSpan> { ["15m"] = TimeSpan.FromDays(30), ["1h"] = TimeSpan.FromDays(30) },
        };
        await using var spool = OpenSpool(options);
        var store = new LatestIntervalStore(_plant.Topology);
        var outbox = new InfluxOutbox(options, store, spool, time: clock);

        outbox.Write(_plant.EnergyQuarter(0, 60));
        await outbox.FlushAsync();
        clock.Advance(TimeSpan.FromDays(15)); // 40 days: the next quarter hour is older than the database keeps, the day is not
        await outbox.FlushAsync();
        outbox.Write(_plant.EnergyQuarter(1, 61));
        outbox.Write(_plant.MainDay(1000, 750));

        await outbox.FlushAsync();
        var lines = SpooledLines(spool);
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("interval_series,site=site-a,meter=main,field=energy_import_kwh,resolution=15m consumption=60,", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("interval_meter,", lines[1], StringComparison.Ordinal);
        Assert.Equal(1, outbox.Statistics.LinesBeyondRetention);
        Assert.Equal(2, store.GetSeriesIntervals(_plant.MainEnergy, IntervalResolution.FifteenMinutes, DateTimeOffset.MinValue, DateTimeOffset.MaxValue).Count);
    }

    [Theory]
    [InlineData("5m")]
    [InlineData("day")]
    public void An_unknown_retention_key_is_refused(string key)
    {
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool")) with { Retention = new Dictionary<string, TimeSpan> { [key] = TimeSpan.FromDays(1) } };
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Contains($"Retention '{key}'", error.Message, StringComparison.Ordinal);
    }
}
