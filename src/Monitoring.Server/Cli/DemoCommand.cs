using System.CommandLine;
using System.Globalization;
using Monitoring.Domain.Registry;

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

        var run = await PlantSimulation.RunAsync(registry, registryDirectory, from, to, TimeSpan.FromMinutes(1), output, error, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ExitCodes.InvalidConfiguration;
        }

        output.WriteLine(string.Create(Invariant,
            $"Aggregated {run.Lines:N0} lines ({run.Accepted:N0} readings) in {run.Aggregation.TotalSeconds:0.00} s into 15-minute, hourly, daily and monthly intervals; {run.Rejected:N0} rejected."));
        output.WriteLine();

        WriteSiteSummary(output, registry, run.Days);
        Directory.CreateDirectory(outputDirectory);
        var csv = Path.Combine(outputDirectory, "sites-daily.csv");
        await File.WriteAllLinesAsync(csv, [SimulatedSiteDay.CsvHeader, .. run.Days.Select(d => d.ToCsv())], cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.WriteLine($"Daily table per site: {csv}");
        return ExitCodes.Ok;
    }

    private static void WriteSiteSummary(TextWriter output, SiteRegistry registry, IReadOnlyList<SimulatedSiteDay> days)
    {
        output.WriteLine("Site          Electricity kWh  Peak 15-min kW (contract)  Gas Nm3  Water m3  tCO2e");
        foreach (var site in registry.Sites)
        {
            var rows = days.Where(d => d.Site == site).ToList();
            var contract = site.ContractDemandKw is { } c ? c.ToString("N0", Invariant) : "-";
            var peak = $"{rows.Select(r => r.PeakKw).DefaultIfEmpty(0).Max().ToString("N0", Invariant)} ({contract})";
            output.WriteLine(string.Create(Invariant,
                $"{site.Id,-13} {rows.Sum(r => r.ElectricityKwh),15:N0}  {peak,25}  {rows.Sum(r => r.GasNm3),7:N0}  {rows.Sum(r => r.WaterM3),8:N0}  {rows.Sum(r => r.Co2eKg) / 1000,5:N1}"));
        }
    }
}
