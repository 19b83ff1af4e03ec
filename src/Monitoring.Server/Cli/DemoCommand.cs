using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.LineProtocol;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring demo</c>: the example plants end to end on embedded defaults, as far as the product goes today:
/// simulated meters → line protocol → parser → aggregation core → roll-ups and carbon, summarised per site.
/// </summary>
internal static class DemoCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var registry = new Option<DirectoryInfo>("--registry", "-r")
        {
            Description = "Registry folder (default: the example plants shipped with the program).",
            DefaultValueFactory = _ => new DirectoryInfo(MonitoringCommand.BundledRegistry),
        };
        var days = new Option<int>("--days") { Description = "Days of history to simulate, ending now.", DefaultValueFactory = _ => 7 };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for the daily site table (CSV).", DefaultValueFactory = _ => new DirectoryInfo("out") };
        var demo = new Command("demo", "Simulate the example plants and run their readings through the aggregation core; print what each site used, emitted and produced.");
        demo.Options.Add(registry);
        demo.Options.Add(days);
        demo.Options.Add(output);
        demo.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(registry)!.ToString(), parse.GetValue(days), parse.GetValue(output)!.ToString(),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return demo;
    }

    internal static async Task<int> RunAsync(string registryDirectory, int days, string outputDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (days is < 1 or > 366)
        {
            error.WriteLine("--days must be between 1 and 366");
            return ExitCodes.Failure;
        }

        var summary = MonitoringCommand.CheckRegistry(registryDirectory, output, error);
        if (summary != ExitCodes.Ok)
        {
            return summary;
        }

        var registry = SiteRegistryLoader.LoadDirectory(registryDirectory).Registry!;
        var to = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var from = to.AddDays(-days);
        output.WriteLine();
        output.WriteLine($"Simulating {days} day(s) of the plants, {from:yyyy-MM-dd} to {to:yyyy-MM-dd} UTC, one reading per meter per minute:");

        var catalog = SeriesCatalog.Create(registry);
        var rollups = new InMemoryRollupSink();
        var engine = new RollupEngine(RollupTopology.Create(catalog), rollups);
        var aggregator = new IntervalAggregator(catalog, engine);
        var router = new PointRouter(catalog, aggregator);
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = long.MaxValue, MaxErrors = 0 });
        long lines = 0;
        var aggregation = TimeSpan.Zero;
        foreach (var scenarioFile in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "scenarios"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var loaded = ScenarioLoader.LoadFile(scenarioFile, registryDirectory);
            if (loaded.Scenario is null)
            {
                foreach (var problem in loaded.Errors)
                {
                    error.WriteLine(problem.ToString());
                }

                return ExitCodes.InvalidConfiguration;
            }

            using var readings = new MemoryStream();
            var generated = Generator.Run(loaded.Scenario, new GenerateOptions(from, to, TimeSpan.FromMinutes(1)), readings);
            readings.Position = 0;
            var clock = Stopwatch.StartNew();
            var result = await reader.ReadAsync(readings, router, LineProtocolPrecision.Nanoseconds, 0, cancellationToken).ConfigureAwait(false);
            aggregation += clock.Elapsed;
            lines += result.Lines;
            output.WriteLine(string.Create(Invariant, $"  {loaded.Scenario.Site.Id,-12} {generated.Lines,10:N0} lines generated in {generated.Elapsed.TotalSeconds:0.0} s"));
        }

        aggregator.CloseAll();
        engine.CloseAll();
        output.WriteLine(string.Create(Invariant,
            $"Aggregated {lines:N0} lines ({router.Accepted:N0} readings) in {aggregation.TotalSeconds:0.00} s into 15-minute, hourly, daily and monthly intervals; {router.RejectedTotal:N0} rejected."));
        output.WriteLine();

        var daily = DailySiteTable(registry, rollups);
        WriteSiteSummary(output, registry, daily);
        Directory.CreateDirectory(outputDirectory);
        var csv = Path.Combine(outputDirectory, "sites-daily.csv");
        await File.WriteAllLinesAsync(csv, ["site,day_start_utc,electricity_kwh,peak_demand_kw,gas_nm3,water_m3,co2e_kg", .. daily.Select(d => d.ToCsv())], cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.WriteLine($"Daily table per site: {csv}");
        return ExitCodes.Ok;
    }

    private sealed record SiteDay(string Site, DateTimeOffset Start, double ElectricityKwh, double PeakKw, double GasNm3, double WaterM3, double Co2eKg)
    {
        public string ToCsv() => string.Create(Invariant, $"{Site},{Start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},{ElectricityKwh:0.###},{PeakKw:0.###},{GasNm3:0.###},{WaterM3:0.###},{Co2eKg:0.###}");
    }

    /// <summary>One row per site and local day, corrections merged into the records they correct.</summary>
    private static List<SiteDay> DailySiteTable(SiteRegistry registry, InMemoryRollupSink rollups)
    {
        var days = rollups.Intervals
            .Where(i => i.Node.Level == RollupLevel.Site && i.Resolution == IntervalResolution.Day)
            .GroupBy(i => (Site: i.Node.Site!.Id, i.Start));
        var rows = new List<SiteDay>();
        foreach (var day in days.OrderBy(d => d.Key.Site, StringComparer.Ordinal).ThenBy(d => d.Key.Start))
        {
            double Sum(Carrier? carrier, Func<RollupInterval, double> value) =>
                day.Where(i => i.Node.Carrier == carrier).Sum(value);
            var peak = day.Where(i => i.Node.Carrier == Carrier.Electricity && !i.IsCorrection).Select(i => i.PeakDemand).DefaultIfEmpty(0).Max();
            rows.Add(new SiteDay(day.Key.Site, day.Key.Start, Sum(Carrier.Electricity, i => i.Consumption), peak,
                Sum(Carrier.NaturalGas, i => i.Consumption), Sum(Carrier.Water, i => i.Consumption), Sum(null, i => i.Co2eKg)));
        }

        return rows;
    }

    private static void WriteSiteSummary(TextWriter output, SiteRegistry registry, List<SiteDay> days)
    {
        output.WriteLine("Site          Electricity kWh  Peak 15-min kW (contract)  Gas Nm3  Water m3  tCO2e");
        foreach (var site in registry.Sites)
        {
            var rows = days.Where(d => d.Site == site.Id).ToList();
            var contract = site.ContractDemandKw is { } c ? c.ToString("N0", Invariant) : "-";
            var peak = $"{rows.Select(r => r.PeakKw).DefaultIfEmpty(0).Max().ToString("N0", Invariant)} ({contract})";
            output.WriteLine(string.Create(Invariant,
                $"{site.Id,-13} {rows.Sum(r => r.ElectricityKwh),15:N0}  {peak,25}  {rows.Sum(r => r.GasNm3),7:N0}  {rows.Sum(r => r.WaterM3),8:N0}  {rows.Sum(r => r.Co2eKg) / 1000,5:N1}"));
        }
    }
}
