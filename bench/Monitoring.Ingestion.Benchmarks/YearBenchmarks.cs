using System.Globalization;
using BenchmarkDotNet.Attributes;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.LineProtocol;

namespace Monitoring.Ingestion.Benchmarks;

/// <summary>
/// The whole hot path on one core over a generated year of both example plants at 15-minute readings (every
/// physical meter, 1.0 M lines): parse, route (registry lookups from the raw bytes), aggregate (15 min, hour,
/// local day, month), roll up (meter → asset → line → site → ecosystem → programme, CO2e, intensities).
/// The setup prints the state's memory per series.
/// </summary>
[MemoryDiagnoser]
public class YearBenchmarks
{
    private byte[] _payload = [];
    private SeriesCatalog _catalog = null!;
    private RollupTopology _topology = null!;

    public int Lines { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = SiteRegistryLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "config")).Registry
            ?? throw new InvalidOperationException("the example registry does not load");
        _catalog = SeriesCatalog.Create(registry);
        _topology = RollupTopology.Create(_catalog);
        (_payload, Lines) = Payload.Build(registry, ["casa-aero", "tanger-mach"], DateTimeOffset.Parse("2025-01-01T00:00:00Z", CultureInfo.InvariantCulture), 365 * 96, TimeSpan.FromMinutes(15));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var engine = new RollupEngine(_topology, new CountingSink());
        var aggregator = new IntervalAggregator(_catalog, engine);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(aggregator);
        Console.WriteLine($"payload: {Lines} lines, {_payload.Length} bytes; state: {bytes} bytes for {_catalog.Count} series and {_topology.Nodes.Count} roll-up nodes = {bytes / _catalog.Count} bytes per series");
    }

    [Benchmark(Baseline = true)]
    public long ParseRouteAggregateYear()
    {
        var sink = new CountingIntervalSink();
        var aggregator = new IntervalAggregator(_catalog, sink);
        var router = new PointRouter(_catalog, aggregator);
        var parser = new LineProtocolParser();
        parser.Parse(_payload, ref router);
        aggregator.CloseAll();
        return router.Accepted + sink.Count;
    }

    [Benchmark]
    public long ParseRouteAggregateRollUpYear()
    {
        var sink = new CountingSink();
        var engine = new RollupEngine(_topology, sink);
        var aggregator = new IntervalAggregator(_catalog, engine);
        var router = new PointRouter(_catalog, aggregator);
        var parser = new LineProtocolParser();
        parser.Parse(_payload, ref router);
        aggregator.CloseAll();
        engine.CloseAll();
        return router.Accepted + sink.Count;
    }

    private sealed class CountingIntervalSink : IIntervalSink
    {
        public long Count { get; private set; }

        public void Write(in ClosedInterval interval) => Count++;
    }

    private sealed class CountingSink : IRollupSink
    {
        public long Count { get; private set; }

        public void Write(in RollupInterval interval) => Count++;

        public void Write(in IntensityInterval intensity) => Count++;
    }
}
