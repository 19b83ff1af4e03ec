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
    public void A_state_saved_under_another_registry_is_refused()
    {
        var catalog = SeriesCatalog.Create(RollupHarness.Example());
        var smaller = SeriesCatalog.Create(RollupHarness.Example(), maxSeries: 10);
        var aggregator = new IntervalAggregator(catalog, new InMemoryIntervalSink());
        using var state = new MemoryStream();
        aggregator.SaveState(state);
        state.Position = 0;

        var other = new IntervalAggregator(smaller, new InMemoryIntervalSink());
        var error = Assert.Throws<InvalidDataException>(() => other.LoadState(state));
        Assert.Contains("another registry", error.Message, StringComparison.Ordinal);
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
