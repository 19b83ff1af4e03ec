using Xunit.Abstractions;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

public sealed class AllocationTests(ITestOutputHelper output)
{
    private sealed class CountingSink : IIntervalSink
    {
        public long Count { get; private set; }
        public double Total { get; private set; }

        public void Write(in ClosedInterval interval)
        {
            Count++;
            Total += interval.Consumption;
        }
    }

    [Fact]
    public void The_steady_state_update_path_allocates_nothing()
    {
        const int Meters = 20;
        var meters = Enumerable.Range(0, Meters).Select(i => Meter($"m{i}", 500, Counter(rollover: 1_000_000), Gauge())).ToArray();
        var registry = Registry("Africa/Casablanca", meters);
        var sink = new CountingSink();
        var h = new Harness(registry, new AggregatorOptions { AllowedLateness = TimeSpan.FromMinutes(5) }, sink);
        var counters = meters.Select(m => h.Id(m.Id)).ToArray();
        var gauges = meters.Select(m => h.Id(m.Id, "power_kw")).ToArray();
        var aggregator = h.Aggregator;
        var random = new Random(3);
        // One-minute reads of 20 counters and 20 gauges; every other round arrives 90 s early, so each series is out of order within the lateness.
        var t = TestRegistry.Utc("2025-06-09T20:00:00Z").ToUnixTimeMilliseconds();
        var register = new double[Meters];

        void Step(int count)
        {
            for (var n = 0; n < count; n++)
            {
                var i = n % Meters;
                if (i == 0)
                {
                    t += 60_000;
                }

                register[i] += random.NextDouble() * 5;
                var jitter = (t / 60_000 % 2) * 90_000;
                aggregator.Update(counters[i], t - jitter, Math.Round(register[i], 2));
                aggregator.Update(gauges[i], t - jitter, random.NextDouble() * 300);
            }
        }

        Step(20_000);   // warm-up: JIT, calendar caches, the first intervals
        var intervalsBefore = sink.Count;
        var before = GC.GetAllocatedBytesForCurrentThread();
        Step(5_000);    // 10 000 updates
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated {allocated} bytes over 10 000 updates; {sink.Count - intervalsBefore} intervals closed meanwhile");
        Assert.True(sink.Count > intervalsBefore);
        Assert.Equal(0, allocated);
        Assert.Equal(0, aggregator.Counters.Corrected);
        Assert.True(aggregator.Counters.Reordered > 0);
    }

    [Fact]
    public void Crossing_a_day_and_a_month_boundary_allocates_nothing_once_warm()
    {
        var registry = Registry("Europe/Paris", Meter("m1", Counter()));
        var sink = new CountingSink();
        var h = new Harness(registry, new AggregatorOptions { AllowedLateness = TimeSpan.Zero }, sink);
        var id = h.Id("m1");
        var t = TestRegistry.Utc("2025-01-01T00:00:00Z").ToUnixTimeMilliseconds();
        var value = 0.0;
        for (var i = 0; i < 4 * 24 * 40; i++)
        {
            h.Aggregator.Update(id, t, value);
            t += 15 * 60_000;
            value += 1;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)   // about 104 days: days, months and the March clock change
        {
            h.Aggregator.Update(id, t, value);
            t += 15 * 60_000;
            value += 1;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated {allocated} bytes over 10 000 quarter-hour updates across ~104 local days");
        Assert.Equal(0, allocated);
    }
}
