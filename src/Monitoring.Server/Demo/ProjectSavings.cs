using System.Globalization;
using Monitoring.Domain.Registry;
using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Savings;
using Monitoring.Reports;

namespace Monitoring.Server.Demo;

/// <summary>
/// Measured savings of one implemented project (IPMVP Option B, retrofit isolation: the project's own meters), next
/// to the simulator's ground truth over the same days.
/// </summary>
/// <param name="To">Exclusive end of the days measured.</param>
/// <param name="Uncertainty">± savings at 90 % confidence (ASHRAE Guideline 14).</param>
/// <param name="TrueSavings">The simulator's true savings over the same days; null when it has none for them.</param>
internal sealed record ProjectSavingsRow(
    Project Project, string Unit, DateOnly From, DateOnly To, int Days, IReadOnlyList<string> Drivers, double RSquared, double CvRmse,
    double Measured, double? Uncertainty, double? TrueSavings)
{
    public const string CsvHeader = "project,site,meters,unit,from,to,days,baseline_drivers,baseline_r2,baseline_cv_rmse,measured_savings,uncertainty_90,true_savings,difference_percent";

    /// <summary>(measured − true) / true, in percent.</summary>
    public double? DifferencePercent => TrueSavings is { } truth && truth != 0.0 ? 100.0 * (Measured - truth) / truth : null;

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Project.Id},{Project.SiteId},{string.Join(' ', Project.MeterIds)},{Unit},{From:yyyy-MM-dd},{To.AddDays(-1):yyyy-MM-dd},{Days},{string.Join(' ', Drivers)},{RSquared:0.0000},{CvRmse:0.0000},{Measured:0.###},{Uncertainty:0.###},{TrueSavings:0.###},{DifferencePercent:0.##}");
}

/// <summary>
/// Fits, per implemented project, a regression baseline of its meters' daily consumption on the programme's
/// baseline year (drivers: the site's production, HDD and CDD, the best valid subset as in the programme report)
/// and measures the savings from its implementation (or 1 January of the reporting year, whichever is later).
/// </summary>
internal static class ProjectSavings
{
    private static readonly string[] DriverNames = ["production", "hdd", "cdd"];

    /// <param name="truth">The simulator's true savings per project and local day.</param>
    public static IReadOnlyList<ProjectSavingsRow> Measure(
        SiteRegistry registry, Programme programme, DateOnly reportingFrom, DayCollector days, IReadOnlyDictionary<(string Project, DateOnly Date), double> truth)
    {
        var options = ReportOptions.Default;
        var rows = new List<ProjectSavingsRow>();
        var baselineFrom = new DateOnly(programme.BaselineYear, 1, 1);
        var siteDays = days.SiteDays.ToLookup(d => d.Site.Id);
        foreach (var project in registry.Projects.Where(p => p.ImplementedOn is not null && programme.SiteIds.Contains(p.SiteId)))
        {
            var site = registry.FindSite(project.SiteId)!;
            double? Consumption(DateOnly date)
            {
                var total = 0.0;
                foreach (var meter in project.MeterIds)
                {
                    if (days.MeterDay(site.Id, meter, date) is not { } value)
                    {
                        return null;
                    }

                    total += value;
                }

                return total;
            }

            var from = project.ImplementedOn!.Value > reportingFrom ? project.ImplementedOn.Value : reportingFrom;
            var baseline = new List<BaselinePeriod>();
            var reporting = new List<(double[] Drivers, double Actual, DateOnly Date)>();
            foreach (var day in siteDays[site.Id].Where(d => double.IsFinite(d.TemperatureC)))
            {
                var date = day.Date;
                double[] drivers = [day.Production, Math.Max(options.HddBaseC - day.TemperatureC, 0.0), Math.Max(day.TemperatureC - options.CddBaseC, 0.0)];
                if (Consumption(date) is not { } used)
                {
                    continue;
                }

                if (date >= baselineFrom && date < baselineFrom.AddYears(1))
                {
                    baseline.Add(new BaselinePeriod(used, drivers));
                }
                else if (date >= from && truth.ContainsKey((project.Id, date)))
                {
                    reporting.Add((drivers, used, date));
                }
            }

            if (baseline.Count < 30 || reporting.Count == 0)
            {
                continue;
            }

            var selection = CandidateSelection.SelectBest(DriverNames, baseline, ValidityCriteria.Default);
            var chosen = selection.Best ?? selection.Candidates.Where(c => c.Model is not null).MaxBy(c => c.Model!.Statistics.AdjustedRSquared);
            if (chosen?.Model is not { } model)
            {
                continue;
            }

            var columns = chosen.Variables.Select(v => Array.IndexOf(DriverNames, v)).ToArray();
            var result = SavingsCalculator.Compute(model, [.. reporting.Select(r => (IReadOnlyList<double>)[.. columns.Select(c => r.Drivers[c])])], [.. reporting.Select(r => r.Actual)]);
            double? uncertainty = null;
            if (result.TotalSavings != 0.0 && double.IsFinite(result.Improvement))
            {
                var fsu = SavingsUncertainty.Fractional(FsuMethod.AshraeG14, UncertaintyInputs.FromModel(model, reporting.Count), result.Improvement, 0.90);
                uncertainty = double.IsFinite(fsu.Value) ? Math.Abs(fsu.Value * result.TotalSavings) : null;
            }

            var trueSavings = reporting.Sum(r => truth[(project.Id, r.Date)]);
            rows.Add(new ProjectSavingsRow(project, Unit(site, project), from, reporting[^1].Date.AddDays(1), reporting.Count, chosen.Variables,
                model.Statistics.RSquared, model.Statistics.CvRmse, result.TotalSavings, uncertainty, trueSavings));
        }

        return rows;
    }

    /// <summary>The <c>project</c> rows of the simulator's ground-truth CSV files: true savings per project and local day.</summary>
    public static Dictionary<(string Project, DateOnly Date), double> ReadTruth(IEnumerable<string> groundTruthCsv)
    {
        var truth = new Dictionary<(string, DateOnly), double>();
        foreach (var csv in groundTruthCsv)
        {
            foreach (var line in csv.Split('\n'))
            {
                var fields = line.Split(',');
                if (fields.Length == 6 && fields[2] == "project")
                {
                    truth[(fields[3], DateOnly.ParseExact(fields[1], "yyyy-MM-dd", CultureInfo.InvariantCulture))] = double.Parse(fields[5], CultureInfo.InvariantCulture);
                }
            }
        }

        return truth;
    }

    private static string Unit(Site site, Project project) =>
        site.FindMeter(project.MeterIds[0])?.Carrier switch
        {
            Carrier.Electricity => "kWh",
            Carrier.Water => "m3",
            Carrier.NaturalGas => "Nm3",
            _ => "unit",
        };
}
