using System.Text;

using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

public sealed class CatalogTests
{
    private static SiteRegistry Example()
    {
        var result = SiteRegistryLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "config"));
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors));
        return result.Registry!;
    }

    [Fact]
    public void Every_declared_field_of_the_example_registry_gets_a_dense_id()
    {
        var registry = Example();
        var catalog = SeriesCatalog.Create(registry);
        var declared = registry.Sites.Sum(s => s.Meters.Where(m => !m.IsVirtual).Sum(m => m.Fields.Count) + s.ProductionCounters.Count);
        Assert.Equal(declared, catalog.Count);
        Assert.Equal(Enumerable.Range(0, catalog.Count), catalog.Series.Select(s => s.Id));
        Assert.Equal(0, catalog.OverflowSeries);

        Assert.Equal(SeriesLookup.Found, catalog.Find("casa-aero"u8, "compressors"u8, "energy_import_kwh"u8, out var id));
        var series = catalog[id];
        Assert.Equal(("casa-aero", "compressors", "energy_import_kwh", FieldKind.Counter), (series.SiteId, series.MeterId, series.Field, series.Kind));
        Assert.Equal(1_000_000, series.RolloverModulus);
        Assert.Equal(320, series.RatedRate);
        Assert.Equal("Africa/Casablanca", series.Site.TimeZone.Id);

        Assert.Equal(SeriesLookup.Found, catalog.Find("casa-aero"u8, "machining-parts"u8, "units"u8, out id));
        Assert.NotNull(catalog[id].ProductionCounter);

        // A parser resolves the meter once per line, then each field.
        var meter = catalog.FindMeter("casa-aero"u8, "main-incomer"u8);
        Assert.NotNull(meter);
        Assert.Equal(SeriesLookup.Found, catalog.Find(meter, "power_kw"u8, out var power));
        Assert.Equal(SeriesLookup.Found, catalog.Find(meter, "reactive_energy_kvarh"u8, out var kvarh));
        Assert.Equal(("main-incomer", "power_kw"), (catalog[power].MeterId, catalog[power].Field));
        Assert.Null(catalog[kvarh].RatedRate);
    }

    [Fact]
    public void Unknown_meters_and_fields_are_told_apart_and_counted()
    {
        var catalog = SeriesCatalog.Create(Example());
        Assert.Equal(SeriesLookup.UnknownMeter, catalog.Find("casa-aero"u8, "nope"u8, "power_kw"u8, out _));
        Assert.Equal(SeriesLookup.UnknownMeter, catalog.Find("nowhere"u8, "compressors"u8, "power_kw"u8, out _));
        Assert.Equal(SeriesLookup.UnknownMeter, catalog.Find("casa-aero"u8, "elec-unmetered"u8, "energy_import_kwh"u8, out _));   // virtual
        Assert.Equal(SeriesLookup.UnknownField, catalog.Find("casa-aero"u8, "compressors"u8, "voltage_v"u8, out _));
        // The (site, meter) key is a pair, not a concatenation.
        Assert.Equal(SeriesLookup.UnknownMeter, catalog.Find("casa-aerocompressors"u8, ""u8, "power_kw"u8, out _));
        Assert.Equal(5, catalog.UnknownLookups);
    }

    [Fact]
    public void Fields_beyond_the_cardinality_limit_get_no_id_and_their_readings_are_counted()
    {
        var registry = Registry("UTC", Meter("m1", Counter(), Gauge()), Meter("m2", Counter(), Gauge()));
        var catalog = SeriesCatalog.Create(registry, maxSeries: 3);
        Assert.Equal(3, catalog.Count);
        Assert.Equal(1, catalog.OverflowSeries);
        Assert.Equal(SeriesLookup.Found, catalog.Find("site-a"u8, "m2"u8, "energy_import_kwh"u8, out _));
        Assert.Equal(SeriesLookup.OverCardinality, catalog.Find("site-a"u8, "m2"u8, "power_kw"u8, out var id));
        Assert.Equal(-1, id);
        Assert.Equal(SeriesLookup.OverCardinality, catalog.Find("site-a"u8, "m2"u8, "power_kw"u8, out _));
        Assert.Equal(2, catalog.OverflowLookups);
        Assert.Equal(0, catalog.UnknownLookups);
    }

    [Fact]
    public void Lookups_by_utf8_bytes_allocate_nothing()
    {
        var catalog = SeriesCatalog.Create(Example());
        var site = Encoding.UTF8.GetBytes("casa-aero");
        var meter = Encoding.UTF8.GetBytes("water-process");
        var field = Encoding.UTF8.GetBytes("flow_m3h");
        var unknown = Encoding.UTF8.GetBytes("nope");
        var sum = 0;
        for (var i = 0; i < 1000; i++)
        {
            catalog.Find(site, meter, field, out var id);
            catalog.Find(site, unknown, field, out _);
            sum += id;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            catalog.Find(site, meter, field, out var id);
            catalog.Find(site, unknown, field, out _);
            sum += id;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }
}
