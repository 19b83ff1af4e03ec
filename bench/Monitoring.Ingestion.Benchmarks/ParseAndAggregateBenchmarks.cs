using System.Globalization;
using BenchmarkDotNet.Attributes;
using Monitoring.Aggregation;
using Monitoring.Domain.Registry;
using Monitoring.LineProtocol;

namespace Monitoring.Ingestion.Benchmarks;

/// <summary>
/// The ingestion hot path on one core over a day of one-minute readings of every counter and gauge the example
/// registry declares for the Casablanca plant: parse only, then parse + route + aggregate (intervals closing as
/// they go). Per operation: one pass over the whole payload; divide by <see cref="Lines"/> for per-line figures.
/// </summary>
[MemoryDiagnoser]
public class ParseAndAggregateBenchmarks
{
    private byte[] _payload = [];
    private SeriesCatalog _catalog = null!;

    /// <summary>Lines in the payload (printed by the setup).</summary>
    public int Lines { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = SiteRegistryLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "config")).Registry
            ?? throw new InvalidOperationException("the example registry does not load");
        _catalog = SeriesCatalog.Create(registry);
        (_payload, Lines) = Payload.Build(registry, ["casa-aero"], DateTimeOffset.Parse("2025-06-01T00:00:00Z", CultureInfo.InvariantCulture), 24 * 60, TimeSpan.FromMinutes(1));
        Console.WriteLine($"payload: {Lines} lines, {_payload.Length} bytes");
    }

    [Benchmark(Baseline = true)]
    public long ParseOnly()
    {
        var parser = new LineProtocolParser();
        var handler = new CountingHandler();
        parser.Parse(_payload, ref handler);
        return handler.Points;
    }

    [Benchmark]
    public long ParseRouteAggregate()
    {
        // A new aggregator each pass, so every pass aggregates the same day from scratch; its arrays are sized once.
        var sink = new CountingSink();
        var aggregator = new IntervalAggregator(_catalog, sink);
        var router = new PointRouter(_catalog, aggregator);
        var parser = new LineProtocolParser();
        parser.Parse(_payload, ref router);
        aggregator.CloseAll();
        return router.Accepted + sink.Count;
    }

    private struct CountingHandler : ILineProtocolHandler
    {
        public long Points;

        public void OnPoint(in LineProtocolPoint point) => Points++;

        public void OnError(in LineProtocolSyntaxError syntaxError)
        {
        }
    }

    private sealed class CountingSink : IIntervalSink
    {
        public long Count { get; private set; }

        public void Write(in ClosedInterval interval) => Count++;
    }
}
