using System.Diagnostics;
using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.LineProtocol;
using Monitoring.Reports;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Server.Cli;

/// <summary>One row of the daily site table (<c>sites-daily.csv</c>): a site's local day, corrections merged.</summary>
/// <param name="FuelKwh">Final energy of the fuels burnt on site (net calorific value).</param>
/// <param name="Production">Output of the site's reference production counter (its first in the registry).</param>
/// <param name="TemperatureC">Mean of the site's outdoor temperature samples; NaN (empty in the CSV) without any.</param>
internal sealed record SimulatedSiteDay(
    Site Site, DateTimeOffset Start, double ElectricityKwh, double PeakKw, double GasNm3, double WaterM3, double Co2eKg, double FuelKwh, double Production, double TemperatureC)
{
    public const string CsvHeader = "site,day_start_utc,electricity_kwh,peak_demand_kw,gas_nm3,water_m3,co2e_kg,fuel_kwh,production,temperature_c";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public DateOnly Date => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Start, Site.TimeZone).DateTime);

    public string ToCsv() => string.Create(Invariant,
        $"{Site.Id},{Start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},{ElectricityKwh:0.###},{PeakKw:0.###},{GasNm3:0.###},{WaterM3:0.###},{Co2eKg:0.###},{FuelKwh:0.###},{Production:0.###},{(double.IsFinite(TemperatureC) ? TemperatureC.ToString("0.###", Invariant) : string.Empty)}");

    public SiteDay ToReportDay() => new(Site.Id, Date, ElectricityKwh, FuelKwh, WaterM3, Co2eKg, Production, TemperatureC);
}

/// <summary>What a simulation produced: the daily site table and the pipeline's counts.</summary>
internal sealed record SimulationRun(long Lines, long Accepted, long Rejected, TimeSpan Aggregation, IReadOnlyList<SimulatedSiteDay> Days);

/// <summary>
/// The example plants end to end, shared by <c>demo</c> and <c>report</c>: every scenario's simulated readings →
/// line protocol → parser → aggregation core → roll-ups and carbon, summed into one row per site and local day.
/// </summary>
internal static class PlantSimulation
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Simulates [<paramref name="from"/>, <paramref name="to"/>] (from no earlier than each scenario's start) one reading per meter every <paramref name="interval"/>; prints one line per site.</summary>
    /// <returns>Null when a scenario is invalid (its errors were printed).</returns>
    public static async Task<SimulationRun?> RunAsync(
        SiteRegistry registry, string registryDirectory, DateTimeOffset from, DateTimeOffset to, TimeSpan interval, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var catalog = SeriesCatalog.Create(registry);
        var rollups = new InMemoryRollupSink();
        var engine = new RollupEngine(RollupTopology.Create(catalog), rollups);
        var drivers = new DailyDriverSink();
        var aggregator = new IntervalAggregator(catalog, new FanOutIntervalSink(engine, drivers));
        var router = new PointRouter(catalog, aggregator);
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = long.MaxValue, MaxErrors = 0 });
        long lines = 0;
        var aggregation = TimeSpan.Zero;
        if (LoadScenarios(registryDirectory, error) is not { } scenarios)
        {
            return null;
        }

        foreach (var scenario in scenarios)
        {
            // A period reaching back before the scenario's start (a baseline year's first day) starts with the scenario.
            var start = from < scenario.Epoch ? scenario.Epoch : from;
            using var readings = new MemoryStream();
            var generated = Generator.Run(scenario, new GenerateOptions(start, to, interval), readings);
            readings.Position = 0;
            var clock = Stopwatch.StartNew();
            var result = await reader.ReadAsync(readings, router, LineProtocolPrecision.Nanoseconds, 0, cancellationToken).ConfigureAwait(false);
            aggregation += clock.Elapsed;
            lines += result.Lines;
            output.WriteLine(string.Create(Invariant, $"  {scenario.Site.Id,-12} {generated.Lines,10:N0} lines generated in {generated.Elapsed.TotalSeconds:0.0} s"));
        }

        aggregator.CloseAll();
        engine.CloseAll();
        return new SimulationRun(lines, router.Accepted, router.RejectedTotal, aggregation, DailySiteTable(rollups, drivers));
    }

    /// <summary>The example plants' scenarios shipped beside the executable, checked against the registry; null (errors printed) when one is invalid.</summary>
    internal static IReadOnlyList<Scenario>? LoadScenarios(string registryDirectory, TextWriter error)
    {
        var scenarios = new List<Scenario>();
        foreach (var scenarioFile in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "scenarios"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var loaded = ScenarioLoader.LoadFile(scenarioFile, registryDirectory);
            if (loaded.Scenario is null)
            {
                foreach (var problem in loaded.Errors)
                {
                    error.WriteLine(problem.ToString());
                }

                return null;
            }

            scenarios.Add(loaded.Scenario);
        }

        return scenarios;
    }

    /// <summary>One row per site and local day, corrections merged into the records they correct.</summary>
    private static List<SimulatedSiteDay> DailySiteTable(InMemoryRollupSink rollups, DailyDriverSink drivers)
    {
        var days = rollups.Intervals
            .Where(i => i.Node.Level == RollupLevel.Site && i.Resolution == IntervalResolution.Day)
            .GroupBy(i => (Site: i.Node.Site!, i.Start));
        var rows = new List<SimulatedSiteDay>();
        foreach (var day in days.OrderBy(d => d.Key.Site.Id, StringComparer.Ordinal).ThenBy(d => d.Key.Start))
        {
            var (production, temperature) = drivers.Get(day.Key.Site.Id, day.Key.Start);
            rows.Add(SiteDayOf(day.Key.Site, day.Key.Start, day, production, temperature));
        }

        return rows;
    }

    /// <summary>
    /// A site's local day from its daily site roll-ups (one per carrier and the all-carrier node; corrections either
    /// separate or already merged) and the day's production and mean temperature.
    /// </summary>
    internal static SimulatedSiteDay SiteDayOf(Site site, DateTimeOffset start, IEnumerable<RollupInterval> siteIntervals, double production, double temperatureC)
    {
        var day = siteIntervals as IReadOnlyCollection<RollupInterval> ?? [.. siteIntervals];
        double Sum(Carrier? carrier, Func<RollupInterval, double> value) =>
            day.Where(i => i.Node.Carrier == carrier).Sum(value);
        var peak = day.Where(i => i.Node.Carrier == Carrier.Electricity && !i.IsCorrection).Select(i => i.PeakDemand).DefaultIfEmpty(0).Max();
        var fuelKwh = day.Where(i => i.Node.Carrier is { } c && c.IsFuel()).Sum(i => i.EnergyKwh);
        return new SimulatedSiteDay(site, start, Sum(Carrier.Electricity, i => i.Consumption), peak,
            Sum(Carrier.NaturalGas, i => i.Consumption), Sum(Carrier.Water, i => i.Consumption), Sum(null, i => i.Co2eKg), fuelKwh, production, temperatureC);
    }

    /// <summary>The site's reference production counter (its first): the denominator of its intensities and a baseline driver.</summary>
    internal static bool IsReferenceProduction(SeriesInfo series) =>
        series.ProductionCounter is { } counter && ReferenceEquals(counter, series.Site.ProductionCounters[0]);

    /// <summary>The site's outdoor temperature series (degree days).</summary>
    internal static bool IsOutdoorTemperature(SeriesInfo series) =>
        series.Site.Temperature is { } t && series.MeterId == t.MeterId && series.Field == t.Field;

    /// <summary>Keeps the daily intervals of each site's reference production counter and outdoor temperature (corrections added in).</summary>
    private sealed class DailyDriverSink : IIntervalSink
    {
        private readonly Dictionary<(string Site, DateTimeOffset Start), (double Production, double TemperatureSum, int TemperatureCount)> _days = [];

        public void Write(in ClosedInterval interval)
        {
            if (interval.Resolution != IntervalResolution.Day)
            {
                return;
            }

            var series = interval.Series;
            var isProduction = IsReferenceProduction(series);
            if (!isProduction && !IsOutdoorTemperature(series))
            {
                return;
            }

            var key = (series.Site.Id, interval.Start);
            var day = _days.GetValueOrDefault(key);
            _days[key] = isProduction
                ? day with { Production = day.Production + interval.Consumption }
                : day with { TemperatureSum = day.TemperatureSum + interval.Sum, TemperatureCount = day.TemperatureCount + interval.Count };
        }

        public (double Production, double TemperatureC) Get(string site, DateTimeOffset start) =>
            _days.TryGetValue((site, start), out var day)
                ? (day.Production, day.TemperatureCount > 0 ? day.TemperatureSum / day.TemperatureCount : double.NaN)
                : (0.0, double.NaN);
    }
}
