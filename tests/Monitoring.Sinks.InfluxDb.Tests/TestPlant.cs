using System.Globalization;
using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>
/// A one-site registry built in code: a main incomer with reactive energy and a power gauge, a CNC sub-meter on
/// line-1, and a production counter on that line; with the records the tests format and write.
/// </summary>
internal sealed class TestPlant
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 15, 10, 0, 0, TimeSpan.Zero);
    public static readonly long T0Ms = T0.ToUnixTimeMilliseconds();

    public TestPlant(string siteId = "site-a", string mainId = "main")
    {
        SiteId = siteId;
        MeterField Counter(string name, string unit) => new(name, FieldKind.Counter, unit, 1, null);
        Meter[] meters =
        [
            new(mainId, "Main", Carrier.Electricity, null, null, null, 1, null, false,
                [Counter("energy_import_kwh", "kWh"), Counter("reactive_energy_kvarh", "kvarh"), new MeterField("power_kw", FieldKind.Gauge, "kW", 1, null)], null),
            new("cnc", "CNC", Carrier.Electricity, null, "line-1", mainId, 1, null, false, [Counter("energy_import_kwh", "kWh")], null),
        ];
        var site = new Site(siteId, "Site", "eco-1", null, TimeZoneInfo.FindSystemTimeZoneById("Africa/Casablanca"), null, null,
            [new Line("line-1", "Line 1")], [], meters, [new ProductionCounter("parts", "Parts", "line-1", "units", "parts", 1, null)]);
        var registry = new SiteRegistry([site], new CarbonSettings(GwpSet.Ar5), [], [], [], []);
        Catalog = SeriesCatalog.Create(registry);
        Topology = RollupTopology.Create(Catalog);
        MainEnergy = Series(mainId, "energy_import_kwh");
        MainPower = Series(mainId, "power_kw");
        MainNode = Topology.Find(RollupLevel.Meter, mainId, Carrier.Electricity, siteId)!;
        Line1 = Topology.Find(RollupLevel.Line, "line-1", Carrier.Electricity, siteId)!;
        Ecosystem = Topology.Find(RollupLevel.Ecosystem, "eco-1", null)!;
        Line1PerPart = Topology.Intensities.Single(i => i.Node == Line1 && i.Counter.Id == "parts");
    }

    public string SiteId { get; }
    public SeriesCatalog Catalog { get; }
    public RollupTopology Topology { get; }
    public SeriesInfo MainEnergy { get; }
    public SeriesInfo MainPower { get; }
    public RollupNode MainNode { get; }
    public RollupNode Line1 { get; }
    public RollupNode Ecosystem { get; }
    public IntensityDefinition Line1PerPart { get; }

    public SeriesInfo Series(string meter, string field) =>
        Catalog.TryGetSeries(SiteId, meter, field, out var id) ? Catalog[id] : throw new InvalidOperationException($"no series {meter}/{field}");

    /// <summary>A counter quarter hour of the main incomer: <paramref name="kwh"/> over the whole quarter.</summary>
    public ClosedInterval EnergyQuarter(int quarter, double kwh, IntervalQuality flags = IntervalQuality.None) => new()
    {
        Series = MainEnergy,
        Resolution = IntervalResolution.FifteenMinutes,
        Start = T0.AddMinutes(15 * quarter),
        End = T0.AddMinutes(15 * (quarter + 1)),
        Consumption = kwh,
        PeakQuarterConsumption = kwh,
        CoveredMilliseconds = 900_000,
        Min = double.NaN,
        Max = double.NaN,
        Last = double.NaN,
        Flags = flags,
    };

    /// <summary>A day of the main incomer as a consumption meter: <paramref name="kwh"/>, <paramref name="kvarh"/>, grid factor 0.578.</summary>
    public RollupInterval MainDay(double kwh, double kvarh, bool isCorrection = false) => new()
    {
        Node = MainNode,
        Resolution = IntervalResolution.Day,
        Start = T0,
        End = T0.AddDays(1),
        Consumption = kwh,
        GrossConsumption = kwh,
        PeakQuarterConsumption = isCorrection ? 0 : 260,
        EnergyKwh = kwh,
        Co2eKg = kwh * 0.578,
        Co2eMarketKg = kwh * 0.578,
        ReactiveKvarh = kvarh,
        Inputs = isCorrection ? 0 : 1,
        ExpectedInputs = 1,
        FactorYear = 2024,
        IsCorrection = isCorrection,
    };

    /// <summary>Opens the spool of <paramref name="options"/> without fsync (tests only).</summary>
    public static DiskBuffer OpenSpool(InfluxSinkOptions options) =>
        DiskBuffer.Open(options.SpoolOptions() with { Fsync = false }, out _);

    public static InfluxSinkOptions V1Options(Uri url, string database, string spool) => new()
    {
        Kind = InfluxApiKind.V1,
        Url = url,
        Database = database,
        SpoolDirectory = spool,
        SpoolMaxBytes = 64L << 20,
        MinBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The lines of every record still in the spool, in order.</summary>
    public static IReadOnlyList<string> SpooledLines(DiskBuffer spool) =>
        [.. spool.Peek(10_000).SelectMany(r => Encoding.UTF8.GetString(r.Payload.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>The fields of one line protocol line (no spaces in tags), numbers parsed.</summary>
    public static Dictionary<string, string> Fields(string line)
    {
        var fields = line.Split(' ')[1];
        return fields.Split(',').Select(f => f.Split('=')).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    public static double Number(string text) => double.Parse(text.TrimEnd('i'), NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary>A temporary folder removed at the end of a test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sink-test-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
