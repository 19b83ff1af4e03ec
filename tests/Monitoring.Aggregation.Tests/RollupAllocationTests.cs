using Xunit.Abstractions;

using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

public sealed class RollupAllocationTests(ITestOutputHelper output)
{
    private sealed class CountingSink : IRollupSink
    {
        public long Count { get; private set; }
        public double Co2e { get; private set; }

        public void Write(in RollupInterval interval)
        {
            Count++;
            Co2e += interval.Co2eKg;
        }

        public void Write(in IntensityInterval intensity) => Count++;
    }

    [Fact]
    public void Rolling_up_the_example_plants_allocates_nothing_in_steady_state()
    {
        var registry = RollupHarness.Example();
        var catalog = SeriesCatalog.Create(registry);
        var sink = new CountingSink();
        var engine = new RollupEngine(RollupTopology.Create(catalog), sink);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Utc("2030-01-01T00:00:00Z"));
        var aggregator = new IntervalAggregator(catalog, engine, new AggregatorOptions(), time);
        var counters = catalog.Series.Where(s => s.Kind == FieldKind.Counter).Select(s => s.Id).ToArray();
        var registers = new double[counters.Length];
        var random = new Random(1);
        var t = Utc("2024-12-20T00:00:00Z").ToUnixTimeMilliseconds();

        void Step(int quarters)
        {
            for (var q = 0; q < quarters; q++)
            {
                t += 15 * 60_000;
                for (var i = 0; i < counters.Length; i++)
                {
                    registers[i] += Math.Round(random.NextDouble() * 10, 2);
                    aggregator.Update(counters[i], t, registers[i]);
                }

                if (q % 4 == 0)
                {
                    engine.Advance(aggregator.Watermark!.Value);
                }
            }
        }

        Step(4 * 24 * 20);   // warm-up: 20 days, into 2025 (new factor year, new month)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var written = sink.Count;
        Step(4 * 24 * 10);   // 10 more days
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated {allocated} bytes; {sink.Count - written} roll-up records over {4 * 24 * 10 * counters.Length} readings; {engine.Counters}");
        Assert.True(sink.Count > written);
        Assert.Equal(0, allocated);
    }
}
