using System.Globalization;
using Microsoft.Extensions.Time.Testing;

using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Tests;

/// <summary>Registries built in code, and a harness around the aggregator with readable times.</summary>
internal static class TestRegistry
{
    public static MeterField Counter(string name = "energy_import_kwh", double multiplier = 1, double? rollover = null, string unit = "kWh") =>
        new(name, FieldKind.Counter, unit, multiplier, rollover);

    public static MeterField Gauge(string name = "power_kw", double multiplier = 1, string unit = "kW") =>
        new(name, FieldKind.Gauge, unit, multiplier, null);

    public static Meter Meter(string id, params MeterField[] fields) => Meter(id, null, fields);

    public static Meter Meter(string id, double? ratedRate, params MeterField[] fields) =>
        new(id, id, Carrier.Electricity, null, null, null, 1, ratedRate, false, fields, null);

    public static SiteRegistry Registry(string timeZone, params Meter[] meters) => Registry(timeZone, meters, []);

    public static SiteRegistry Registry(string timeZone, IReadOnlyList<Meter> meters, IReadOnlyList<ProductionCounter> counters)
    {
        var site = new Site("site-a", "Site A", "test", null, TimeZoneInfo.FindSystemTimeZoneById(timeZone), null, null,
            [new Line("line-1", "Line 1")], [], meters, counters);
        return new SiteRegistry([site], new CarbonSettings(GwpSet.Ar5), [], [], [], []);
    }

    public static DateTimeOffset Utc(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

internal sealed class Harness
{
    public Harness(SiteRegistry registry, AggregatorOptions? options = null, IIntervalSink? sink = null)
    {
        Catalog = SeriesCatalog.Create(registry);
        Time = new FakeTimeProvider(TestRegistry.Utc("2030-01-01T00:00:00Z"));
        Sink = new InMemoryIntervalSink();
        Aggregator = new IntervalAggregator(Catalog, sink ?? Sink, options ?? new AggregatorOptions(), Time);
    }

    public SeriesCatalog Catalog { get; }
    public FakeTimeProvider Time { get; }
    public InMemoryIntervalSink Sink { get; }
    public IntervalAggregator Aggregator { get; }

    public int Id(string meter, string field = "energy_import_kwh") =>
        Catalog.TryGetSeries("site-a", meter, field, out var id) ? id : throw new InvalidOperationException($"no series {meter}/{field}");

    public UpdateResult Read(string meter, string utc, double value, string field = "energy_import_kwh") =>
        Aggregator.Update(Id(meter, field), TestRegistry.Utc(utc), value);

    public IReadOnlyList<ClosedInterval> Closed(IntervalResolution resolution, string meter = "m1", string field = "energy_import_kwh") =>
        [.. Sink.Records.Where(r => r.Resolution == resolution && r.Series.MeterId == meter && r.Series.Field == field && !r.IsCorrection).OrderBy(r => r.Start)];

    public IReadOnlyList<ClosedInterval> Corrections(IntervalResolution? resolution = null) =>
        [.. Sink.Records.Where(r => r.IsCorrection && (resolution is null || r.Resolution == resolution))];

    public ClosedInterval Single(IntervalResolution resolution, string startUtc, string meter = "m1", string field = "energy_import_kwh") =>
        Closed(resolution, meter, field).Single(r => r.Start == TestRegistry.Utc(startUtc));
}

/// <summary>A closed interval without the catalog reference, comparable across aggregators.</summary>
internal readonly record struct IntervalValues(
    string Meter,
    string Field,
    IntervalResolution Resolution,
    DateTimeOffset Start,
    DateTimeOffset End,
    double Consumption,
    double Estimated,
    double Peak,
    long Covered,
    int Count,
    double Sum,
    double Min,
    double Max,
    double Last,
    IntervalQuality Flags,
    bool IsCorrection)
{
    public static IntervalValues Of(ClosedInterval r) => new(
        r.Series.MeterId, r.Series.Field, r.Resolution, r.Start, r.End, r.Consumption, r.EstimatedConsumption,
        r.PeakQuarterConsumption, r.CoveredMilliseconds, r.Count, r.Sum, r.Min, r.Max, r.Last, r.Flags, r.IsCorrection);

    public static IReadOnlyList<IntervalValues> Sorted(IEnumerable<ClosedInterval> records) =>
        [.. records.Select(Of).OrderBy(v => v.Meter, StringComparer.Ordinal).ThenBy(v => v.Field, StringComparer.Ordinal)
            .ThenBy(v => v.Resolution).ThenBy(v => v.Start).ThenBy(v => v.IsCorrection)];
}
