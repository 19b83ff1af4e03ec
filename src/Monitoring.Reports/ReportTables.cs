using System.Globalization;

namespace Monitoring.Reports;

/// <summary>
/// Every table of a report, in page order, with energy in MWh, CO2e in t and water in m³: the same objects feed the
/// HTML page and the CSV exports, so each table shown is exported.
/// </summary>
public static class ReportTables
{
    public const string SavingsProgramme = "savings-programme";
    public const string Trajectory = "trajectory";
    public const string SavingsMonthly = "savings-monthly";
    public const string MonthSites = "month-sites";
    public const string IntensityTable = "intensity";
    public const string Baselines = "baselines";
    public const string Projects = "projects";
    public const string ProjectRisks = "project-risks";
    public const string Notes = "notes";

    public static IReadOnlyList<ReportTable> Create(ProgrammeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return
        [
            ProgrammeSavingsTable(report),
            TrajectoryTable(report),
            MonthlySavingsTable(report),
            MonthTable(report),
            Intensities(report),
            BaselineTable(report),
            ProjectTable(report),
            RiskTable(report),
            new ReportTable(Notes, "Notes", [new("note", "Note")], [.. report.Notes.Select(n => new object?[] { n })]),
        ];
    }

    /// <summary>Display unit of a quantity and the factor from the input unit (kWh, kg CO2e, m³).</summary>
    public static (string Unit, double Scale) Display(ReportQuantity quantity) => quantity switch
    {
        ReportQuantity.Energy => ("MWh", 1e-3),
        ReportQuantity.Co2e => ("tCO2e", 1e-3),
        ReportQuantity.Water => ("m3", 1.0),
        _ => throw new ArgumentOutOfRangeException(nameof(quantity), quantity, null),
    };

    private static ReportTable ProgrammeSavingsTable(ProgrammeReport report) => new(
        SavingsProgramme,
        $"Normalised savings of the programme, {report.ReportingFrom:yyyy-MM-dd} to {report.ReportingTo.AddDays(-1):yyyy-MM-dd}",
        [
            new("quantity", "Quantity"), new("unit", "Unit"), new("adjusted_baseline", "Adjusted baseline", "N1"), new("actual", "Actual", "N1"),
            new("savings", "Savings", "N1"), new("uncertainty", $"± ({Percent(report.Options.ConfidenceLevel)} confidence)", "N1"), new("improvement_percent", "Improvement %", "N2"),
        ],
        [.. report.ProgrammeSavings.Select(s =>
        {
            var (unit, scale) = Display(s.Quantity);
            return new object?[] { Name(s.Quantity), unit, s.TotalExpected * scale, s.TotalActual * scale, s.TotalSavings * scale, s.Uncertainty * scale, s.Improvement * 100.0 };
        })]);

    private static ReportTable TrajectoryTable(ProgrammeReport report) => new(
        Trajectory,
        $"Trajectory vs target: {report.Month.Year} to date against the same months of {report.Programme.BaselineYear}",
        [
            new("quantity", "Quantity"), new("unit", "Unit"), new("target_reduction_percent", $"Target by {report.Programme.TargetYear} %", "N1"),
            new("baseline_year_total", $"{report.Programme.BaselineYear} total", "N1"), new("baseline_same_period", $"{report.Programme.BaselineYear} same months", "N1"),
            new("year_to_date", $"{report.Month.Year} to date", "N1"), new("index", "Index (baseline = 100)", "N1"), new("target_index", $"Target index {report.Month.Year}", "N1"),
            new("projected_year", $"Projected {report.Month.Year}", "N1"), new("target", $"Target {report.Month.Year}", "N1"), new("gap", "Gap (+ = behind)", "N1"), new("on_track", "On track"),
        ],
        [.. report.Trajectory.Select(t =>
        {
            var (unit, scale) = Display(t.Quantity);
            return new object?[]
            {
                Name(t.Quantity), unit, t.Trajectory.Reduction * 100.0, t.BaselineYearTotal * scale, t.BaselineSamePeriod * scale, t.YearToDate * scale,
                t.Index, t.TargetIndex, t.ProjectedYear * scale, t.Target * scale, t.Gap * scale, t.OnTrack ? "yes" : "no",
            };
        })]);

    private static ReportTable MonthlySavingsTable(ProgrammeReport report) => new(
        SavingsMonthly,
        "Savings by site and month (savings = adjusted baseline − actual; CUSUM = Σ savings since 1 January, rising = savings)",
        [
            new("site", "Site"), new("quantity", "Quantity"), new("unit", "Unit"), new("month", "Month"), new("days", "Days"),
            new("adjusted_baseline", "Adjusted baseline", "N1"), new("actual", "Actual", "N1"), new("savings", "Savings", "N1"),
            new("cusum", "CUSUM", "N1"), new("exception_days", "Days beyond 2σ"),
        ],
        [.. report.SiteSavings.SelectMany(s => s.Months.Select(m =>
        {
            var (unit, scale) = Display(s.Quantity);
            return new object?[] { s.SiteId, Name(s.Quantity), unit, m.Month.ToString(), m.Days, m.Expected * scale, m.Actual * scale, m.Savings * scale, m.CumulativeSavings * scale, m.Exceptions };
        }))]);

    private static ReportTable MonthTable(ProgrammeReport report) => new(
        MonthSites,
        $"{report.Month.ToLongName()} by site, against {new DateOnly(report.Programme.BaselineYear, report.Month.Month, 1).ToString("MMMM yyyy", CultureInfo.InvariantCulture)}",
        [
            new("site", "Site"), new("name", "Name"), new("days", "Days with data"), new("electricity_mwh", "Electricity MWh", "N1"), new("fuel_mwh", "Fuels MWh", "N1"),
            new("energy_mwh", "Energy MWh", "N1"), new("baseline_month_energy_mwh", "Energy MWh, baseline month", "N1"), new("co2e_t", "tCO2e", "N1"),
            new("baseline_month_co2e_t", "tCO2e, baseline month", "N1"), new("water_m3", "Water m3", "N0"), new("baseline_month_water_m3", "Water m3, baseline month", "N0"),
            new("production", "Production", "N0"), new("production_unit", "Unit"), new("mean_temperature_c", "Mean °C", "N1"),
        ],
        [.. report.MonthFigures.Select(f =>
        {
            var site = report.Sites.First(s => s.Id == f.SiteId);
            return new object?[]
            {
                f.SiteId, site.Name, f.Month.Days, f.Month.ElectricityKwh / 1000.0, f.Month.FuelKwh / 1000.0, f.Month.EnergyKwh / 1000.0, f.BaselineMonth.EnergyKwh / 1000.0,
                f.Month.Co2eKg / 1000.0, f.BaselineMonth.Co2eKg / 1000.0, f.Month.WaterM3, f.BaselineMonth.WaterM3, f.Month.Production, ProgrammeReportBuilder.ProductionUnit(site), f.Month.MeanTemperatureC,
            };
        })]);

    private static ReportTable Intensities(ProgrammeReport report) => new(
        IntensityTable,
        "Intensity by site (consumption per unit of the site's reference production; ratio of sums)",
        [
            new("site", "Site"), new("quantity", "Quantity"), new("unit", "Unit"), new("baseline_year", $"{report.Programme.BaselineYear}", "N3"),
            new("month", report.Month.ToString(), "N3"), new("year_to_date", $"{report.Month.Year} to date", "N3"),
            new("improvement_month_percent", "Improvement month %", "N1"), new("improvement_year_to_date_percent", "Improvement to date %", "N1"),
        ],
        [.. report.Intensities.Select(i => new object?[]
        {
            i.SiteId, Name(i.Quantity), $"{(i.Quantity == ReportQuantity.Energy ? "kWh" : "m3")}/{i.ProductionUnit}", i.Baseline, i.Month, i.YearToDate,
            i.ImprovementMonth * 100.0, i.ImprovementYearToDate * 100.0,
        })]);

    private static ReportTable BaselineTable(ProgrammeReport report) => new(
        Baselines,
        $"Baseline models ({report.Programme.BaselineYear}, daily; ISO 50006 regression, drivers chosen among production, HDD{Number(report.Options.HddBaseC)}, CDD{Number(report.Options.CddBaseC)})",
        [
            new("site", "Site"), new("quantity", "Quantity"), new("drivers", "Drivers"), new("coefficients", "Coefficients (intercept first)"),
            new("days", "Days"), new("r_squared", "R²", "N3"), new("cv_rmse", "CV(RMSE)", "N3"), new("valid", "Valid"),
        ],
        [.. report.SiteSavings.Select(s => new object?[]
        {
            s.SiteId, Name(s.Quantity), string.Join(" + ", s.Baseline.Variables), string.Join("; ", s.Baseline.Coefficients.Select(c => c.ToString("G6", CultureInfo.InvariantCulture))),
            s.Baseline.Days, s.Baseline.RSquared, s.Baseline.CvRmse, s.Baseline.Valid ? "yes" : "no",
        })]);

    private static ReportTable ProjectTable(ProgrammeReport report) => new(
        Projects,
        "Project bank and business cases (NPV and IRR over the project lifetime at its discount rate)",
        [
            new("project", "Project"), new("name", "Name"), new("site", "Site"), new("status", "Status"), new("implemented_on", "Implemented"),
            new("capex", "Capex", "N0"), new("currency", "Currency"), new("annual_savings", "Savings / yr", "N0"), new("annual_energy_mwh", "MWh / yr", "N1"),
            new("annual_water_m3", "m3 / yr", "N0"), new("annual_tco2e", "tCO2e / yr", "N1"), new("lifetime_years", "Years"), new("discount_rate_percent", "Rate %", "N1"),
            new("npv", "NPV", "N0"), new("irr_percent", "IRR %", "N1"), new("simple_payback_years", "Payback yr", "N2"), new("discounted_payback_years", "Disc. payback yr", "N2"),
            new("npv_low_savings", $"NPV at −{Number(report.Options.SavingsSensitivity * 100.0)} % savings", "N0"), new("cost_per_kwh_saved", "Cost per kWh saved", "N3"),
            new("abatement_cost_per_tco2e", "Abatement cost / tCO2e", "N0"), new("risk_expected_loss", "Risk Σ p×impact", "N0"), new("risks", "Risks"),
        ],
        [.. report.Projects.Select(p => new object?[]
        {
            p.Project.Id, p.Project.Name, p.Project.SiteId, p.Project.Status.ToString().ToLowerInvariant(), p.Project.ImplementedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            p.Project.Capex, p.Project.Currency, p.Project.ExpectedSavings.Cost, p.AnnualEnergyKwh / 1000.0, p.Project.ExpectedSavings.WaterM3, p.AnnualTco2e,
            p.Project.LifetimeYears, p.Project.DiscountRate * 100.0, p.Case.Npv, p.Case.Irr * 100.0, p.Case.SimplePayback, p.Case.DiscountedPayback,
            p.Case.NpvLowSavings, p.Case.CostOfConservedEnergy, p.Case.AbatementCost, p.RiskScore, string.Join("; ", p.Project.Risks.Select(r => r.Name)),
        })]);

    private static ReportTable RiskTable(ProgrammeReport report) => new(
        ProjectRisks,
        "Risk register of the project bank",
        [new("project", "Project"), new("risk", "Risk"), new("probability", "Probability", "N2"), new("impact", "Impact", "N0"), new("expected_loss", "p × impact", "N0"), new("mitigation", "Mitigation")],
        [.. report.Projects.SelectMany(p => p.Project.Risks.Select(r => new object?[] { p.Project.Id, r.Name, r.Probability, r.Impact, r.ExpectedLoss, r.Mitigation }))]);

    internal static string Name(ReportQuantity quantity) => ProgrammeReportBuilder.Name(quantity);

    private static string Percent(double fraction) => (fraction * 100.0).ToString("0.#", CultureInfo.InvariantCulture) + " %";

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
