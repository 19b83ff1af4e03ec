using Microsoft.Extensions.Time.Testing;
using Monitoring.Aggregation.Rollups;

namespace Monitoring.Aggregation.Tests;

/// <summary>
/// Checkpoints (issue: restart plus replay gives the same intervals as an uninterrupted run): the state saved in the
/// middle of a stream and loaded into new instances continues exactly as the instances that never stopped.
/// </summary>
public sealed class CheckpointTests
{
    private static readonly DateTimeOffset Start = TestRegistry.Utc("2025-03-28T22:00:00Z");

    /// <summary>Two days of the example plants' counters and gauges every 5 minutes, with late and shuffled readings.</summary>
    private static List<(int Id, long Ms, double Value)> Readings(SeriesCatalog catalog)
    {
        var random = new Random(7);
        var readings = new List<(int, long, double)>();
        var counters = new double[catalog.Count];
        for (var step = 0; step < 2 * 24 * 12; step++)
        {
            var batch = new List<(int, long, double)>();
            for (var id = 0; id < catalog.Count; id++)
            {
                var t = Start.AddMinutes(5 * step).ToUnixTimeMilliseconds();
                var value = catalog[id].Kind == Monitoring.Domain.Registry.FieldKind.Counter
                    ? counters[id] += random.NextDouble() * 3
                    : 50 + (random.NextDouble() * 10);
                batch.Add((id, t, value));
            }

            // Readings of a step arrive in any order, some a step late.
            readings.AddRange(batch.OrderBy(_ => random.Next()));
        }

        return readings;
    }

    [Fact]
    public void State_saved_mid_stream_and_loaded_into_new_instances_gives_the_uninterrupted_intervals()
    {
        var registry = RollupHarness.Example();
        var catalog = SeriesCatalog.Create(registry);
        var readings = Readings(catalog);
        var (uninterruptedSeries, uninterruptedRollups) = Run(catalog, readings, stopAt: null);
        var (restartedSeries, restartedRollups) = Run(catalog, readings, stopAt: readings.Count / 2);

        Assert.True(uninterruptedSeries.Count > 1000, $"{uninterruptedSeries.Count} series records");
        Assert.Equal(uninterruptedSeries, restartedSeries);
        Assert.Equal(uninterruptedRollups, restartedRollups);
    }

    [Fact]
    public void A_state_saved_under_another_registry_continues_the_series_still_there_and_starts_the_new_ones_fresh()
    {
        // Before: m1 (energy, power) and m2. After: a new meter m0 in front (every id moves), m1 with its energy
        // multiplier changed from 1 to 10 from minute 65 on, m2 removed, m3 new.
        var before = TestRegistry.Registry("UTC", TestRegistry.Meter("m1", TestRegistry.Counter(), TestRegistry.Gauge()), TestRegistry.Meter("m2", TestRegistry.Counter()));
        var after = TestRegistry.Registry("UTC", TestRegistry.Meter("m0", TestRegistry.Counter()),
            TestRegistry.Meter("m1", TestRegistry.Counter(multiplier: 10), TestRegistry.Gauge()) with { EffectiveFrom = Start.AddMinutes(65) },
            TestRegistry.Meter("m3", TestRegistry.Counter()));
        var time = new FakeTimeProvider(Start.AddDays(3));
        var oldCatalog = SeriesCatalog.Create(before);
        var newCatalog = SeriesCatalog.Create(after);
        int Id(SeriesCatalog catalog, string meter, string field) => catalog.TryGetSeries("site-a", meter, field, out var id) ? id : throw new InvalidOperationException(meter);

        var first = new InMemoryIntervalSink();
        var aggregator = new IntervalAggregator(oldCatalog, first, new AggregatorOptions(), time);
        for (var minute = 0; minute <= 60; minute += 5)
        {
            var t = Start.AddMinutes(minute).ToUnixTimeMilliseconds();
            aggregator.Update(Id(oldCatalog, "m1", "energy_import_kwh"), t, 100 + minute);
            aggregator.Update(Id(oldCatalog, "m1", "power_kw"), t, 7);
            aggregator.Update(Id(oldCatalog, "m2", "energy_import_kwh"), t, 500 + minute);
        }

        using var state = new MemoryStream();
        aggregator.SaveState(state);
        state.Position = 0;
        var second = new InMemoryIntervalSink();
        var restarted = new IntervalAggregator(newCatalog, second, new AggregatorOptions(), time);
        var keys = restarted.LoadState(state);

        Assert.Equal((2, 2), (keys.Kept, keys.Added));
        Assert.Equal(["site-a/m2/energy_import_kwh"], keys.Removed);
        for (var minute = 65; minute <= 120; minute += 5)
        {
            var t = Start.AddMinutes(minute).ToUnixTimeMilliseconds();
            restarted.Update(Id(newCatalog, "m1", "energy_import_kwh"), t, 100 + minute);
            restarted.Update(Id(newCatalog, "m1", "power_kw"), t, 7);
            restarted.Update(Id(newCatalog, "m3", "energy_import_kwh"), t, 9000 + minute);
        }

        restarted.CloseAll();
        var energy = second.Records.Where(r => r.Series.MeterId == "m1" && r.Series.Field == "energy_import_kwh" && r.Resolution == IntervalResolution.FifteenMinutes && !r.IsCorrection)
            .ToDictionary(r => r.Start, r => r.Consumption);
        var power = second.Records.Single(r => r.Series.MeterId == "m1" && r.Series.Field == "power_kw" && r.Resolution == IntervalResolution.Hour && r.Start == Start.AddHours(1) && !r.IsCorrection);

        // m1 goes on from its last reading before the restart: the quarter that holds the restart gets its whole
        // consumption; readings pending at the restart (minutes 50 to 60) keep the old multiplier, the new one applies
        // from its effective time (minute 65) on.
        Assert.Equal(5 * 1 + (10 * 10), energy[Start.AddMinutes(60)], 9);
        Assert.Equal(15 * 10, energy[Start.AddMinutes(75)], 9);
        Assert.Equal((12, 7.0), (power.Count, power.Mean));
        // m3 starts fresh: its first reading is a reference, not a consumption.
        Assert.Equal(55, second.Records.Where(r => r.Series.MeterId == "m3" && r.Resolution == IntervalResolution.FifteenMinutes).Sum(r => r.Consumption), 9);
        Assert.DoesNotContain(second.Records, r => r.Series.MeterId is "m0" or "m2");
    }

    [Theory]
    [InlineData(64, 32, "Aggregation:PendingCapacity was 32 when the IntervalAggregator state was saved and is 64 now")]
    [InlineData(32, 8, "Aggregation:HistoryDepth was 32 when the IntervalAggregator state was saved and is 8 now")]
    public void A_state_whose_layout_options_changed_is_refused_with_the_option_and_both_values(int pending, int history, string message)
    {
        var catalog = SeriesCatalog.Create(RollupHarness.Example());
        var aggregator = new IntervalAggregator(catalog, new InMemoryIntervalSink());
        using var state = new MemoryStream();
        aggregator.SaveState(state);
        state.Position = 0;

        var other = new IntervalAggregator(catalog, new InMemoryIntervalSink(), new AggregatorOptions { PendingCapacity = pending, HistoryDepth = history });
        var error = Assert.Throws<StateLayoutException>(() => other.LoadState(state));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("set it back", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs the stream; with <paramref name="stopAt"/>, saves both states there and goes on with new instances.</summary>
    private static (List<string> Series, List<string> Rollups) Run(SeriesCatalog catalog, List<(int Id, long Ms, double Value)> readings, int? stopAt)
    {
        var time = new FakeTimeProvider(Start.AddDays(3));
        var series = new InMemoryIntervalSink();
        var rollups = new InMemoryRollupSink();
        var topology = RollupTopology.Create(catalog);
        var engine = new RollupEngine(topology, rollups);
        var aggregator = new IntervalAggregator(catalog, new FanOutIntervalSink(series, engine), new AggregatorOptions(), time);
        for (var i = 0; i < readings.Count; i++)
        {
            if (i == stopAt)
            {
                using var state = new MemoryStream();
                aggregator.SaveState(state);
                engine.SaveState(state);
                state.Position = 0;
                engine = new RollupEngine(topology, rollups);
                aggregator = new IntervalAggregator(catalog, new FanOutIntervalSink(series, engine), new AggregatorOptions(), time);
                aggregator.LoadState(state);
                engine.LoadState(state);
                Assert.Equal(state.Length, state.Position);
            }

            var (id, ms, value) = readings[i];
            aggregator.Update(id, ms, value);
            if (i % 500 == 499 && aggregator.Watermark is { } watermark)
            {
                engine.Advance(watermark);
            }
        }

        aggregator.CloseAll();
        engine.CloseAll();
        return (
            series.Records.Select(r => $"{r.Series} {r.Resolution} {r.Start:O} {r.Consumption:R} {r.Sum:R} {r.Count} {r.Flags} {r.IsCorrection}").ToList(),
            rollups.Intervals.Select(r => $"{r.Node} {r.Resolution} {r.Start:O} {r.Consumption:R} {r.Co2eKg:R} {r.Flags} {r.IsCorrection}").ToList());
    }
}
