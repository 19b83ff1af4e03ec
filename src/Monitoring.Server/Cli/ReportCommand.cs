using System.CommandLine;
using System.Globalization;
using Monitoring.Domain.Registry;
using Monitoring.Reports;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring report</c>: a programme's monthly report, offline. The daily site records come from
/// <c>--input</c> (the daily site table <c>demo</c> writes) or, without it, from simulating the example plants over
/// the baseline year and the report's year to the end of the month, through the same pipeline as the demo.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Reading interval of the simulated meters: 15-minute reads keep a year of two plants to a few seconds.</summary>
    private static readonly TimeSpan SimulationInterval = TimeSpan.FromMinutes(15);

    public static Command Create()
    {
        var programme = new Option<string>("--programme", "-p") { Description = "Programme id in the registry.", Required = true };
        var month = new Option<string>("--month", "-m") { Description = "Report month, YYYY-MM (local time of the sites); after the programme's baseline year.", Required = true };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for the HTML report and its CSV tables.", Required = true };
        var registry = new Option<DirectoryInfo>("--registry", "-r")
        {
            Description = "Registry folder (default: the example plants shipped with the program).",
            DefaultValueFactory = _ => new DirectoryInfo(MonitoringCommand.BundledRegistry),
        };
        var input = new Option<FileInfo?>("--input", "-i") { Description = "Daily site table (sites-daily.csv as demo writes it); default: simulate the example plants." };
        var report = new Command("report", "Write a programme's monthly report: a self-contained HTML page with SVG charts and a CSV file per table.");
        report.Options.Add(programme);
        report.Options.Add(month);
        report.Options.Add(output);
        report.Options.Add(registry);
        report.Options.Add(input);
        report.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(programme)!, parse.GetValue(month)!, parse.GetValue(output)!.ToString(), parse.GetValue(registry)!.ToString(), parse.GetValue(input)?.ToString(),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return report;
    }

    internal static async Task<int> RunAsync(
        string programmeId, string monthText, string outputDirectory, string registryDirectory, string? inputFile, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!ReportMonth.TryParse(monthText, out var month))
        {
            error.WriteLine($"--month '{monthText}' is not a month (YYYY-MM).");
            return ExitCodes.Failure;
        }

        var checkedRegistry = MonitoringCommand.CheckRegistry(registryDirectory, edgeDirectory: null, output, error);
        if (checkedRegistry != ExitCodes.Ok)
        {
            return checkedRegistry;
        }

        var registry = SiteRegistryLoader.LoadDirectory(registryDirectory).Registry!;
        ReportPeriods periods;
        try
        {
            periods = ReportPeriods.For(ProgrammeReportBuilder.FindProgramme(registry, programmeId), month);
        }
        catch (ReportDataException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.Failure;
        }

        try
        {
            IReadOnlyList<SiteDay> days;
            if (inputFile is not null)
            {
                days = SiteDayCsv.Read(inputFile, registry);
            }
            else if (await SimulateAsync(registry, registryDirectory, periods, outputDirectory, output, error, cancellationToken).ConfigureAwait(false) is { } simulated)
            {
                days = simulated;
            }
            else
            {
                return ExitCodes.InvalidConfiguration;
            }

            var built = await ProgrammeReportBuilder.BuildAsync(registry, programmeId, month, new InMemorySiteDaySource(days), cancellationToken: cancellationToken).ConfigureAwait(false);
            var files = await ProgrammeReportWriter.WriteAsync(built, outputDirectory, cancellationToken).ConfigureAwait(false);
            output.WriteLine();
            output.WriteLine($"Report: {files[0]}");
            output.WriteLine($"Tables (CSV): {string.Join(", ", files.Skip(1).Select(Path.GetFileName))} in {outputDirectory}");
            return ExitCodes.Ok;
        }
        catch (ReportDataException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.InvalidConfiguration;
        }
    }

    /// <summary>
    /// Simulates the baseline year and the report's year to date, each with a day's margin in UTC so every local day
    /// inside is complete, and writes the daily site table it used beside the report (reusable with --input).
    /// </summary>
    private static async Task<IReadOnlyList<SiteDay>?> SimulateAsync(
        SiteRegistry registry, string registryDirectory, ReportPeriods periods, string outputDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var rows = new List<SimulatedSiteDay>();
        foreach (var (from, to) in new[] { (periods.BaselineFrom, periods.BaselineTo), (periods.ReportingFrom, periods.ReportingTo) })
        {
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Simulating the plants from {from:yyyy-MM-dd} to {to.AddDays(-1):yyyy-MM-dd}, one reading per meter every {SimulationInterval.TotalMinutes:0} minutes:"));
            var run = await PlantSimulation.RunAsync(registry, registryDirectory, Utc(from.AddDays(-1)), Utc(to.AddDays(1)), SimulationInterval, output, error, cancellationToken).ConfigureAwait(false);
            if (run is null)
            {
                return null;
            }

            rows.AddRange(run.Days.Where(d => d.Date >= from && d.Date < to));
        }

        Directory.CreateDirectory(outputDirectory);
        var csv = Path.Combine(outputDirectory, "sites-daily.csv");
        await File.WriteAllLinesAsync(csv, [SimulatedSiteDay.CsvHeader, .. rows.Select(d => d.ToCsv())], cancellationToken).ConfigureAwait(false);
        output.WriteLine($"Daily site table used: {csv}");
        return [.. rows.Select(d => d.ToReportDay())];
    }

    private static DateTimeOffset Utc(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
