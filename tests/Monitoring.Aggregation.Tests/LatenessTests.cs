using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>Event time, watermark, allowed lateness, corrections, duplicates and idle flushes.</summary>
public sealed class LatenessTests
{
    private static readonly TimeSpan Lateness = TimeSpan.FromMinutes(30);

    private static SiteRegistry PropertyRegistry() => Registry(
        "Africa/Casablanca",
        Meter("m1", 400, Counter(rollover: 100_000), Gauge()),
        Meter("m2", Counter(multiplier: 40)));

    /// <summary>Two days across the 2025 Ramadan clock change, with gaps, dips, rollovers, resets, unaligned and jittered reads.</summary>
    private static List<(string Meter, string Field, long Time, double Value)> Generate(int seed)
    {
        var random = new Random(seed);
        var readings = new List<(string, string, long, double)>();
        var start = Utc("2025-02-22T20:00:00Z").ToUnixTimeMilliseconds();
        var end = start + (48 * SiteCalendar.HourMs);
        foreach (var meter in new[] { "m1", "m2" })
        {
            var register = meter == "m1" ? 99_900.0 : 10.0;
            for (var t = start; t < end; t += 5 * 60 * 1000)
            {
                var time = t + random.Next(0, 90_000);   // jitter: reads are not on the boundaries
                var draw = random.NextDouble();
                if (draw < 0.02)
                {
                    t += random.Next(3, 8) * 5 * 60 * 1000;   // missing reads: a gap of 20 to 45 minutes
                    continue;
                }

                if (draw < 0.08)
                {
                    continue;   // one missing read
                }

                register += random.NextDouble() * (meter == "m1" ? 30 : 2);
                var value = register;
                if (draw < 0.10)
                {
                    value = register - 1;   // dip
                }
                else if (draw < 0.105)
                {
                    register = random.NextDouble() * 5;   // reset
                    value = register;
                }

                if (meter == "m1" && register >= 100_000)
                {
                    register -= 100_000;   // rollover
                    value = register;
                }

                readings.Add((meter, "energy_import_kwh", time, Math.Round(value, 3)));
                if (meter == "m1")
                {
                    readings.Add((meter, "power_kw", time + 1000, Math.Round(random.NextDouble() * 300, 2)));
                }
            }
        }

        return readings;
    }

    private static Harness Feed(IEnumerable<(string Meter, string Field, long Time, double Value)> readings, AggregatorOptions options)
    {
        var h = new Harness(PropertyRegistry(), options);
        foreach (var (meter, field, time, value) in readings)
        {
            h.Aggregator.Update(h.Id(meter, field), time, value);
        }

        h.Aggregator.CloseAll();
        return h;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Readings_shuffled_within_the_lateness_give_the_in_order_intervals(int seed)
    {
        var readings = Generate(seed);
        var options = new AggregatorOptions { AllowedLateness = Lateness, HistoryDepth = 64 };
        var inOrder = Feed(readings.OrderBy(r => r.Time), options);

        // Each reading arrives up to (strictly less than) the allowed lateness after its event time.
        var random = new Random(seed * 7919);
        var lateness = (long)Lateness.TotalMilliseconds;
        var shuffled = readings.Select(r => (Reading: r, Arrival: r.Time + random.NextInt64(0, lateness))).OrderBy(x => x.Arrival).Select(x => x.Reading).ToList();
        Assert.NotEqual(readings.OrderBy(r => r.Time).ToList(), shuffled);
        var outOfOrder = Feed(shuffled, options);

        Assert.Equal(IntervalValues.Sorted(inOrder.Sink.Records), IntervalValues.Sorted(outOfOrder.Sink.Records));
        Assert.Empty(outOfOrder.Corrections());
        Assert.True(outOfOrder.Aggregator.Counters.Reordered > 0);
        Assert.Equal(0, outOfOrder.Aggregator.Counters.TooLate);
        // The series carry real flags, so the comparison means something.
        var flags = inOrder.Sink.Records.Aggregate(IntervalQuality.None, (f, r) => f | r.Flags);
        Assert.Equal(IntervalQuality.Rollover | IntervalQuality.Dip | IntervalQuality.Reset | IntervalQuality.Estimated,
            flags & (IntervalQuality.Rollover | IntervalQuality.Dip | IntervalQuality.Reset | IntervalQuality.Estimated));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void Beyond_the_lateness_corrections_sum_to_the_difference(int seed)
    {
        var readings = Generate(seed);
        var options = new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(10), HistoryDepth = 256 };
        var inOrder = Feed(readings.OrderBy(r => r.Time), options);

        // One reading in ten arrives two to six hours late; the rest in order.
        var random = new Random(seed);
        var arrival = readings.Select(r => (Reading: r, Arrival: r.Time + (random.NextDouble() < 0.1 ? random.NextInt64(2, 6) * SiteCalendar.HourMs : 0)))
            .OrderBy(x => x.Arrival).Select(x => x.Reading).ToList();
        var late = Feed(arrival, options);

        Assert.NotEmpty(late.Corrections());
        Assert.True(late.Aggregator.Counters.Corrected > 0);
        Assert.Equal(0, late.Aggregator.Counters.TooLate);

        var expected = inOrder.Sink.Records.ToDictionary(Key, r => r);
        var merged = new Dictionary<(string, string, IntervalResolution, DateTimeOffset), (double Consumption, double Estimated, int Count, double Sum)>();
        foreach (var r in late.Sink.Records)
        {
            merged[Key(r)] = merged.TryGetValue(Key(r), out var m)
                ? (m.Consumption + r.Consumption, m.Estimated + r.EstimatedConsumption, m.Count + r.Count, m.Sum + r.Sum)
                : (r.Consumption, r.EstimatedConsumption, r.Count, r.Sum);
        }

        foreach (var (key, value) in merged)
        {
            var want = expected.TryGetValue(key, out var e) ? e : default;
            Assert.True(Math.Abs(want.Consumption - value.Consumption) < 1e-6, $"{key}: {want.Consumption} != {value.Consumption}");
            Assert.True(Math.Abs(want.EstimatedConsumption - value.Estimated) < 1e-6, $"{key}: estimated {want.EstimatedConsumption} != {value.Estimated}");
            Assert.Equal(want.Count, value.Count);
            Assert.True(Math.Abs(want.Sum - value.Sum) < 1e-6, $"{key}: sum {want.Sum} != {value.Sum}");
        }

        Assert.All(expected.Keys, k => Assert.True(merged.ContainsKey(k) || expected[k].Consumption == 0, $"{k} missing"));
    }

    private static (string, string, IntervalResolution, DateTimeOffset) Key(ClosedInterval r) => (r.Series.MeterId, r.Series.Field, r.Resolution, r.Start);

    [Fact]
    public void A_missing_read_arriving_late_corrects_the_estimated_split()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())), new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(15) });
        h.Read("m1", "2025-06-02T00:00:00Z", 0);
        h.Read("m1", "2025-06-02T00:15:00Z", 10);
        h.Read("m1", "2025-06-02T00:45:00Z", 40);
        h.Read("m1", "2025-06-02T01:00:00Z", 50);
        h.Read("m1", "2025-06-02T01:15:00Z", 60);
        var before = h.Closed(IntervalResolution.FifteenMinutes);
        Assert.Equal([10.0, 15, 15, 10], before.Select(q => q.Consumption));

        Assert.Equal(UpdateResult.Corrected, h.Read("m1", "2025-06-02T00:30:00Z", 20));
        var corrections = h.Corrections();
        Assert.Equal(2, corrections.Count);
        var first = corrections.Single(c => c.Start == Utc("2025-06-02T00:15:00Z"));
        Assert.Equal(IntervalResolution.FifteenMinutes, first.Resolution);
        Assert.Equal(-5, first.Consumption);
        Assert.Equal(-15, first.EstimatedConsumption);
        var second = corrections.Single(c => c.Start == Utc("2025-06-02T00:30:00Z"));
        Assert.Equal(5, second.Consumption);
        Assert.Equal(-15, second.EstimatedConsumption);

        // The hour (closed at 01:00) keeps its total: the late read only moved energy between its quarters.
        h.Aggregator.CloseAll();
        Assert.Equal(50, h.Single(IntervalResolution.Hour, "2025-06-02T00:00:00Z").Consumption);
    }

    [Fact]
    public void A_late_gauge_sample_produces_a_mergeable_correction()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Gauge())), new AggregatorOptions { AllowedLateness = TimeSpan.Zero });
        h.Read("m1", "2025-06-02T00:00:00Z", 10, "power_kw");
        h.Read("m1", "2025-06-02T00:20:00Z", 30, "power_kw");
        Assert.Equal(UpdateResult.Corrected, h.Read("m1", "2025-06-02T00:05:00Z", 50, "power_kw"));
        var correction = Assert.Single(h.Corrections());
        Assert.Equal(IntervalResolution.FifteenMinutes, correction.Resolution);
        Assert.Equal((1, 50.0, 50.0, 50.0), (correction.Count, correction.Sum, correction.Min, correction.Max));
    }

    [Fact]
    public void Duplicates_are_counted_and_ignored_pending_or_final()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())), new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(15) });
        h.Read("m1", "2025-06-02T00:00:00Z", 0);
        h.Read("m1", "2025-06-02T00:15:00Z", 10);
        Assert.Equal(UpdateResult.Duplicate, h.Read("m1", "2025-06-02T00:15:00Z", 10));   // pending
        h.Read("m1", "2025-06-02T00:45:00Z", 30);
        Assert.Equal(UpdateResult.Duplicate, h.Read("m1", "2025-06-02T00:00:00Z", 0));    // final
        Assert.Equal(2, h.Aggregator.Counters.Duplicates);
        h.Aggregator.CloseAll();
        Assert.Equal(30, h.Closed(IntervalResolution.FifteenMinutes).Sum(q => q.Consumption));
    }

    [Fact]
    public void A_counter_reading_older_than_the_history_is_counted_too_late()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())), new AggregatorOptions { AllowedLateness = TimeSpan.Zero, HistoryDepth = 4 });
        for (var i = 0; i < 10; i++)
        {
            h.Aggregator.Update(h.Id("m1"), Utc("2025-06-02T00:00:00Z").AddMinutes(15 * (i + 1)), i * 10);
        }

        Assert.Equal(UpdateResult.TooLate, h.Read("m1", "2025-06-02T00:00:00Z", 0));
        Assert.Equal(1, h.Aggregator.Counters.TooLate);
    }

    [Fact]
    public void Readings_from_the_future_and_non_numbers_are_rejected()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())));
        Assert.Equal(UpdateResult.Rejected, h.Read("m1", "2030-01-01T00:06:00Z", 1));
        Assert.Equal(UpdateResult.Accepted, h.Read("m1", "2030-01-01T00:04:00Z", 1));
        Assert.Equal(UpdateResult.Rejected, h.Read("m1", "2025-01-01T00:00:00Z", double.NaN));
        Assert.Equal(UpdateResult.Rejected, h.Aggregator.Update(999, 0L, 1));
        Assert.Equal((2L, 1L), (h.Aggregator.Counters.RejectedInvalid, h.Aggregator.Counters.RejectedFuture));
    }

    [Fact]
    public void Nothing_closes_before_final_data_covers_the_interval_end()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())), new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(10) });
        h.Read("m1", "2025-06-02T00:00:00Z", 0);
        h.Read("m1", "2025-06-02T00:15:00Z", 10);
        Assert.Empty(h.Sink.Records);   // 00:15 is not final until the watermark reaches it
        h.Read("m1", "2025-06-02T00:25:00Z", 20);
        var q = Assert.Single(h.Sink.Records);
        Assert.Equal(10, q.Consumption);
    }

    [Fact]
    public void An_idle_series_is_flushed_to_the_global_watermark_and_later_data_corrects_it()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter()), Meter("m2", Counter())),
            new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(15), IdleTimeout = TimeSpan.FromMinutes(30) });
        var t0 = Utc("2025-06-02T00:00:00Z");
        h.Aggregator.Update(h.Id("m1"), t0, 0);
        h.Aggregator.Update(h.Id("m2"), t0, 0);
        h.Aggregator.Update(h.Id("m1"), t0.AddMinutes(10), 10);   // m1 then goes silent (pending: not final yet)
        for (var i = 1; i <= 12; i++)
        {
            h.Time.Advance(TimeSpan.FromMinutes(15));
            h.Aggregator.Update(h.Id("m2"), t0.AddMinutes(15 * i), i);
        }

        Assert.DoesNotContain(h.Sink.Records, r => r.Series.MeterId == "m1");
        Assert.Equal(1, h.Aggregator.FlushIdle());
        var m1 = h.Closed(IntervalResolution.FifteenMinutes);
        var partial = Assert.Single(m1);
        Assert.Equal(10, partial.Consumption);
        Assert.Equal(IntervalQuality.Incomplete, partial.Flags);
        var hour = h.Single(IntervalResolution.Hour, "2025-06-02T00:00:00Z");
        Assert.Equal(IntervalQuality.Incomplete, hour.Flags);
        Assert.Equal(0, h.Aggregator.FlushIdle());   // nothing more to do

        // m1 comes back: the closed quarters get corrections.
        h.Read("m1", "2025-06-02T00:40:00Z", 40);
        h.Read("m1", "2025-06-02T03:40:00Z", 50);
        var corrections = h.Corrections(IntervalResolution.FifteenMinutes);
        Assert.Equal(30, corrections.Sum(c => c.Consumption), 9);
        Assert.Equal(5, corrections.Single(c => c.Start == t0).Consumption, 9);
    }

    [Fact]
    public void A_full_pending_buffer_processes_its_oldest_reading_early_and_counts_it()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())),
            new AggregatorOptions { AllowedLateness = TimeSpan.FromHours(2), PendingCapacity = 4 });
        for (var i = 0; i <= 6; i++)
        {
            Assert.Equal(UpdateResult.Accepted, h.Aggregator.Update(h.Id("m1"), Utc("2025-06-02T00:00:00Z").AddMinutes(15 * i), i * 10));
        }

        Assert.Equal(3, h.Aggregator.Counters.PendingOverflow);
        Assert.Equal(2, h.Closed(IntervalResolution.FifteenMinutes).Count);
        h.Aggregator.CloseAll();
        Assert.Equal(60, h.Closed(IntervalResolution.FifteenMinutes).Sum(q => q.Consumption));
    }
}
