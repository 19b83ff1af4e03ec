using Monitoring.Domain.Registry;
using Monitoring.Kpi.Finance;
using Monitoring.Kpi.Programmes;

namespace Monitoring.Reports;

/// <summary>What a report tracks; units are the input's (kWh, kg CO2e, m³), scaled only for display.</summary>
public enum ReportQuantity
{
    Energy,
    Co2e,
    Water,
}

/// <summary>The monthly report of a programme, every figure computed (by <see cref="ProgrammeReportBuilder"/>), nothing rendered.</summary>
/// <param name="BaselineFrom">First day of the baseline year; <paramref name="BaselineTo"/> is exclusive.</param>
/// <param name="ReportingFrom">1 January of the report's year; the reporting period runs to the end of <paramref name="Month"/> (<paramref name="ReportingTo"/>, exclusive).</param>
/// <param name="Notes">Findings a reader must see next to the figures (invalid baselines, missing days, drivers out of range).</param>
public sealed record ProgrammeReport(
    Programme Programme,
    ReportMonth Month,
    IReadOnlyList<Site> Sites,
    DateOnly BaselineFrom,
    DateOnly BaselineTo,
    DateOnly ReportingFrom,
    DateOnly ReportingTo,
    IReadOnlyList<SiteMonthFigures> MonthFigures,
    IReadOnlyList<TrajectoryStatus> Trajectory,
    IReadOnlyList<SiteSavings> SiteSavings,
    IReadOnlyList<ProgrammeSavings> ProgrammeSavings,
    IReadOnlyList<SiteIntensity> Intensities,
    IReadOnlyList<ProjectCase> Projects,
    ReportOptions Options,
    IReadOnlyList<string> Notes)
{
    public SiteSavings? FindSavings(string siteId, ReportQuantity quantity) =>
        SiteSavings.FirstOrDefault(s => s.SiteId == siteId && s.Quantity == quantity);
}

/// <summary>Totals of one site over one period (the report month, or the same month of the baseline year).</summary>
/// <param name="Days">Days with data in the period.</param>
public sealed record PeriodTotals(int Days, double ElectricityKwh, double FuelKwh, double Co2eKg, double WaterM3, double Production, double MeanTemperatureC)
{
    public double EnergyKwh => ElectricityKwh + FuelKwh;

    public double Of(ReportQuantity quantity) => quantity switch
    {
        ReportQuantity.Energy => EnergyKwh,
        ReportQuantity.Co2e => Co2eKg,
        ReportQuantity.Water => WaterM3,
        _ => throw new ArgumentOutOfRangeException(nameof(quantity), quantity, null),
    };
}

/// <summary>The report month of one site next to the same month of the baseline year.</summary>
public sealed record SiteMonthFigures(string SiteId, int DaysInMonth, PeriodTotals Month, PeriodTotals BaselineMonth);

/// <summary>
/// Where the programme stands on one target: actual year-to-date against the same months of the baseline year, as an
/// index (baseline = 100), next to the linear trajectory's value for the report year.
/// </summary>
/// <param name="BaselineYearTotal">B, the whole baseline year (all sites).</param>
/// <param name="BaselineSamePeriod">The baseline year's January to the report month.</param>
/// <param name="Index">100 · YearToDate / BaselineSamePeriod.</param>
/// <param name="TargetIndex">100 · target(report year) / B.</param>
/// <param name="ProjectedYear">B · YearToDate / BaselineSamePeriod: the report year if the rest of it goes as it went.</param>
/// <param name="Gap">ProjectedYear − target: positive = behind the trajectory.</param>
public sealed record TrajectoryStatus(
    ReportQuantity Quantity,
    LinearTrajectory Trajectory,
    int Year,
    double BaselineYearTotal,
    double BaselineSamePeriod,
    double YearToDate,
    double Index,
    double TargetIndex,
    double ProjectedYear,
    double Target,
    double Gap)
{
    public bool OnTrack => Gap <= 0.0;
}

/// <summary>The regression baseline of one site and quantity, as the report cites it.</summary>
/// <param name="Variables">Drivers of the model (production, hdd, cdd), intercept excluded.</param>
/// <param name="Valid">Every ISO 50006 / IPMVP check passed (false: the best fitted candidate is used and a note says so).</param>
public sealed record BaselineSummary(
    IReadOnlyList<string> Variables,
    IReadOnlyList<double> Coefficients,
    int Days,
    double RSquared,
    double CvRmse,
    bool Valid);

/// <summary>One reporting month of a site's savings (expected = adjusted baseline; savings = expected − actual).</summary>
/// <param name="CumulativeSavings">Savings CUSUM at the end of the month, from 1 January.</param>
/// <param name="Exceptions">Days whose |actual − expected| exceeded 2σ of the baseline residuals.</param>
public sealed record MonthSavings(ReportMonth Month, int Days, double Expected, double Actual, double Savings, double CumulativeSavings, int Exceptions);

/// <summary>A point of a daily savings CUSUM.</summary>
public readonly record struct CusumPoint(DateOnly Date, double CumulativeSavings);

/// <summary>
/// Normalised savings of one site and quantity over the reporting period (IPMVP Option C): the baseline model fed
/// the reporting days' drivers, minus what was used; days without temperature are left out of both.
/// </summary>
/// <param name="Uncertainty">± savings at the report's confidence level (ASHRAE G14 FSU × |savings|); null when savings are 0.</param>
public sealed record SiteSavings(
    string SiteId,
    ReportQuantity Quantity,
    BaselineSummary Baseline,
    IReadOnlyList<MonthSavings> Months,
    IReadOnlyList<CusumPoint> DailyCusum,
    double TotalExpected,
    double TotalActual,
    double TotalSavings,
    double Improvement,
    double? Uncertainty);

/// <summary>Programme savings of one quantity: Σ sites, uncertainty combined as √Σ ΔS² (sites independent).</summary>
public sealed record ProgrammeSavings(ReportQuantity Quantity, double TotalExpected, double TotalActual, double TotalSavings, double Improvement, double? Uncertainty);

/// <summary>Specific consumption of a site per unit of its reference production counter (ratio of sums, ISO 50006).</summary>
/// <param name="ImprovementMonth">(baseline − month) / baseline.</param>
public sealed record SiteIntensity(
    string SiteId,
    string ProductionUnit,
    ReportQuantity Quantity,
    double Baseline,
    double Month,
    double YearToDate,
    double ImprovementMonth,
    double ImprovementYearToDate);

/// <summary>A project of the bank with its business case at the project's discount rate.</summary>
/// <param name="AnnualEnergyKwh">Expected final energy saved per year (electricity + fuels through NCV).</param>
/// <param name="AnnualTco2e">Expected emissions avoided per year: electricity at the combined-margin factor, fuels by IPCC Tier 1, water scope 3.</param>
/// <param name="RiskScore">Σ probability × impact of its risk register, in the project's currency.</param>
public sealed record ProjectCase(Project Project, double AnnualEnergyKwh, double AnnualTco2e, BusinessCaseResult Case, double RiskScore);
