using Microsoft.Extensions.Time.Testing;

using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Tests;

/// <summary>The aggregator feeding the roll-up engine, with lookups of merged (record + corrections) results.</summary>
internal sealed class RollupHarness
{
    public RollupHarness(SiteRegistry registry, AggregatorOptions? options = null, RollupOptions? rollupOptions = null)
    {
        Catalog = SeriesCatalog.Create(registry);
        Topology = RollupTopology.Create(Catalog);
        Time = new FakeTimeProvider(TestRegistry.Utc("2030-01-01T00:00:00Z"));
        Sink = new InMemoryRollupSink();
        Engine = new RollupEngine(Topology, Sink, rollupOptions);
        Series = new InMemoryIntervalSink();
        Aggregator = new IntervalAggregator(Catalog, new FanOutIntervalSink(Series, Engine), options ?? new AggregatorOptions(), Time);
    }

    public SeriesCatalog Catalog { get; }
    public RollupTopology Topology { get; }
    public FakeTimeProvider Time { get; }
    public InMemoryRollupSink Sink { get; }
    public InMemoryIntervalSink Series { get; }
    public RollupEngine Engine { get; }
    public IntervalAggregator Aggregator { get; }

    public static SiteRegistry Example()
    {
        var result = SiteRegistryLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "config"));
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors));
        return result.Registry!;
    }

    public UpdateResult Read(string site, string meter, string field, DateTimeOffset time, double value) =>
        Aggregator.Update(Catalog.TryGetSeries(site, meter, field, out var id) ? id : throw new InvalidOperationException($"no series {site}/{meter}/{field}"), time, value);

    public void Close()
    {
        Aggregator.CloseAll();
        Engine.CloseAll();
    }

    public RollupNode Node(RollupLevel level, string id, Carrier? carrier, string? site = "site-a") =>
        Topology.Find(level, id, carrier, level is RollupLevel.Ecosystem or RollupLevel.Programme ? null : site)
        ?? throw new InvalidOperationException($"no node {level} {id} {carrier}");

    /// <summary>Each interval of a node with its corrections merged in, by start.</summary>
    public SortedDictionary<DateTimeOffset, RollupInterval> Merged(RollupNode node, IntervalResolution resolution)
    {
        var merged = new SortedDictionary<DateTimeOffset, RollupInterval>();
        foreach (var record in Sink.Intervals)
        {
            if (!ReferenceEquals(record.Node, node) || record.Resolution != resolution)
            {
                continue;
            }

            merged[record.Start] = merged.TryGetValue(record.Start, out var existing) ? existing.Merge(record) : record;
        }

        return merged;
    }

    public RollupInterval At(RollupNode node, IntervalResolution resolution, string startUtc) =>
        Merged(node, resolution)[TestRegistry.Utc(startUtc)];

    public IReadOnlyList<RollupInterval> Corrections(RollupNode node) =>
        [.. Sink.Intervals.Where(r => r.IsCorrection && ReferenceEquals(r.Node, node))];
}

/// <summary>Small registries built in code for the roll-up tests.</summary>
internal static class RollupRegistries
{
    public static Meter Meter(string id, Carrier carrier, string? line = null, string? parent = null, string? asset = null, params MeterField[] fields) =>
        new(id, id, carrier, asset, line, parent, 1, null, false, fields, null);

    public static MeterField Counter(string name, string unit) => new(name, FieldKind.Counter, unit, 1, null);

    public static EmissionFactor Factor(Carrier carrier, EmissionFactorKind kind, int year, double kgPerUnit) =>
        new(carrier, kind, year, kgPerUnit, "CO2e", "kgCO2e/unit", kgPerUnit, "test");

    public static SiteRegistry Registry(
        IReadOnlyList<Meter> meters,
        IReadOnlyList<ProductionCounter>? counters = null,
        IReadOnlyList<EmissionFactor>? factors = null,
        IReadOnlyList<FuelProperties>? fuels = null,
        string timeZone = "Africa/Casablanca")
    {
        var site = new Site("site-a", "Site A", "test", null, TimeZoneInfo.FindSystemTimeZoneById(timeZone), null, null,
            [new Line("line-1", "Line 1"), new Line("line-2", "Line 2")], [], meters, counters ?? []);
        return new SiteRegistry([site], new CarbonSettings(GwpSet.Ar5), factors ?? [], fuels ?? [], [], []);
    }
}
