using System.Globalization;
using Xunit.Abstractions;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>The methods.md §Counters vector, reproduced exactly.</summary>
public sealed class CounterVectorTests(ITestOutputHelper output)
{
    private static Harness RunVector(AggregatorOptions? options = null)
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter(rollover: 1_000_000))), options);
        // 15-min reads, 6-digit register, M = 1 000 000; 00:45 is missing.
        (string Time, double Value)[] reads =
        [
            ("00:00", 999900), ("00:15", 999960), ("00:30", 20), ("01:00", 140), ("01:15", 200),
            ("01:30", 195), ("01:45", 262), ("02:00", 3), ("02:15", 64),
        ];
        foreach (var (time, value) in reads)
        {
            Assert.Equal(UpdateResult.Accepted, h.Read("m1", $"2025-03-10T{time}:00Z", value));
        }

        h.Aggregator.CloseAll();
        return h;
    }

    [Fact]
    public void Quarter_hours_match_the_vector_with_their_flags()
    {
        var h = RunVector();
        var quarters = h.Closed(IntervalResolution.FifteenMinutes);
        foreach (var q in quarters)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{q.Start:HH:mm}-{q.End:HH:mm} {q.Consumption,5} kWh est {q.EstimatedFraction:0.##} {q.Flags.ToNames()}"));
        }

        (string Start, double Kwh, IntervalQuality Flags)[] expected =
        [
            ("00:00", 60, IntervalQuality.None),
            ("00:15", 60, IntervalQuality.Rollover),
            ("00:30", 60, IntervalQuality.Estimated),
            ("00:45", 60, IntervalQuality.Estimated),
            ("01:00", 60, IntervalQuality.None),
            ("01:15", 0, IntervalQuality.Dip),
            ("01:30", 62, IntervalQuality.None),
            ("01:45", 3, IntervalQuality.Reset),
            ("02:00", 61, IntervalQuality.None),
        ];
        Assert.Equal(expected.Length, quarters.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(Utc($"2025-03-10T{expected[i].Start}:00Z"), quarters[i].Start);
            Assert.Equal(TimeSpan.FromMinutes(15), quarters[i].Duration);
            Assert.Equal(expected[i].Kwh, quarters[i].Consumption);
            Assert.Equal(expected[i].Flags, quarters[i].Flags);
            Assert.Equal((expected[i].Flags & IntervalQuality.Estimated) != 0 ? 1.0 : 0.0, quarters[i].EstimatedFraction);
        }

        Assert.Equal(426, quarters.Sum(q => q.Consumption));
        Assert.Equal(248, quarters.Max(q => q.PeakDemand));
        Assert.Empty(h.Corrections());
    }

    [Fact]
    public void Hours_and_the_day_sum_the_same_426_kWh_and_carry_the_peak_demand()
    {
        var h = RunVector();
        var hours = h.Closed(IntervalResolution.Hour);
        Assert.Equal([240.0, 125.0, 61.0], hours.Select(x => x.Consumption));
        // The gap lies inside the first hour, whose total is measured, not estimated.
        Assert.Equal(IntervalQuality.Rollover, hours[0].Flags);
        Assert.Equal(0, hours[0].EstimatedFraction);
        Assert.Equal(IntervalQuality.Dip | IntervalQuality.Reset, hours[1].Flags);
        Assert.Equal(62 * 4, hours[1].PeakDemand);
        Assert.Equal(IntervalQuality.Incomplete, hours[2].Flags);

        var day = Assert.Single(h.Closed(IntervalResolution.Day));
        Assert.Equal(426, day.Consumption);
        Assert.Equal(248, day.PeakDemand);
        Assert.Equal(Utc("2025-03-10T00:00:00Z"), day.Start);
        Assert.Equal(TimeSpan.FromHours(2.25), TimeSpan.FromMilliseconds(day.CoveredMilliseconds));
        Assert.True((day.Flags & IntervalQuality.Incomplete) != 0);

        var month = Assert.Single(h.Closed(IntervalResolution.Month));
        Assert.Equal(426, month.Consumption);
        Assert.Equal(Utc("2025-03-01T00:00:00Z"), month.Start);
        Assert.Equal(Utc("2025-04-01T00:00:00Z"), month.End);
    }

    [Fact]
    public void The_vector_gives_the_same_result_without_lateness()
    {
        var withLateness = RunVector().Sink.Records;
        var withoutLateness = RunVector(new AggregatorOptions { AllowedLateness = TimeSpan.Zero }).Sink.Records;
        Assert.Equal(IntervalValues.Sorted(withLateness), IntervalValues.Sorted(withoutLateness));
    }
}
