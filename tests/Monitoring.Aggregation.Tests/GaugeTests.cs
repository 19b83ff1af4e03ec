using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

public sealed class GaugeTests
{
    [Fact]
    public void Gauges_give_sample_mean_min_max_last_and_count_per_interval()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Gauge(multiplier: 2))));
        (string Time, double Value)[] samples = [("00:00", 10), ("00:05", 30), ("00:10", 20), ("00:15", 5), ("00:20", 7)];
        foreach (var (time, value) in samples)
        {
            h.Read("m1", $"2025-06-02T{time}:00Z", value, "power_kw");
        }

        h.Aggregator.CloseAll();
        var first = h.Single(IntervalResolution.FifteenMinutes, "2025-06-02T00:00:00Z", field: "power_kw");
        Assert.Equal(3, first.Count);
        Assert.Equal(40, first.Mean);
        Assert.Equal(20, first.Min);
        Assert.Equal(60, first.Max);
        Assert.Equal(40, first.Last);
        Assert.Equal(IntervalQuality.None, first.Flags);
        Assert.Equal(0, first.Consumption);

        var hour = h.Single(IntervalResolution.Hour, "2025-06-02T00:00:00Z", field: "power_kw");
        Assert.Equal(5, hour.Count);
        Assert.Equal(2 * 72.0 / 5, hour.Mean, 12);
        Assert.Equal(10, hour.Min);
        Assert.Equal(14, hour.Last);
    }

    [Fact]
    public void A_gauge_interval_closes_when_the_watermark_passes_its_end()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Gauge())), new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(5) });
        h.Read("m1", "2025-06-02T00:01:00Z", 1, "power_kw");
        h.Read("m1", "2025-06-02T00:19:00Z", 2, "power_kw");
        Assert.Empty(h.Sink.Records);
        h.Read("m1", "2025-06-02T00:20:00Z", 3, "power_kw");
        var closed = Assert.Single(h.Sink.Records);
        Assert.Equal(TestRegistry.Utc("2025-06-02T00:00:00Z"), closed.Start);
        Assert.Equal(1, closed.Count);
    }
}
