using System.Globalization;
using Monitoring.Domain.Registry;
using Monitoring.Kpi;
using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Carbon;
using Monitoring.Kpi.Finance;
using Monitoring.Kpi.Programmes;
using Monitoring.Kpi.Savings;

namespace Monitoring.Reports;

/// <summary>
/// Computes a programme's monthly report from daily site records with the KPI engine: per site and quantity an
/// ISO 50006 regression baseline on the baseline year (drivers: production, HDD, CDD; best valid subset), normalised
/// savings from 1 January to the end of the month with their ASHRAE G14 uncertainty and CUSUM, the programme's
/// position on its linear trajectories, intensities, and the business cases of the project bank.
/// </summary>
public static class ProgrammeReportBuilder
{
    private const double KwhPerGj = 1000.0 / 3.6;
    private static readonly string[] Drivers = ["production", "hdd", "cdd"];
    private static readonly ReportQuantity[] Quantities = [ReportQuantity.Energy, ReportQuantity.Co2e, ReportQuantity.Water];

    /// <summary>Reads the baseline year and the year to the end of <paramref name="month"/> from <paramref name="source"/> and builds the report.</summary>
    /// <exception cref="ReportDataException">Unknown programme, a month not after the baseline year, or a site without data.</exception>
    public static async Task<ProgrammeReport> BuildAsync(
        SiteRegistry registry,
        string programmeId,
        ReportMonth month,
        ISiteDaySource source,
        ReportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(source);
        var programme = FindProgramme(registry, programmeId);
        var periods = ReportPeriods.For(programme, month);
        var baseline = await source.ReadAsync(programme.SiteIds, periods.BaselineFrom, periods.BaselineTo, cancellationToken).ConfigureAwait(false);
        var reporting = await source.ReadAsync(programme.SiteIds, periods.ReportingFrom, periods.ReportingTo, cancellationToken).ConfigureAwait(false);
        return Build(registry, programme, month, [.. baseline, .. reporting], options);
    }

    /// <exception cref="ReportDataException">No such programme in the registry.</exception>
    public static Programme FindProgramme(SiteRegistry registry, string programmeId)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.FindProgramme(programmeId) ?? throw new ReportDataException(
            $"unknown programme '{programmeId}' (the registry has: {string.Join(", ", registry.Programmes.Select(p => p.Id))})");
    }

    /// <summary>Builds the report from days already read; days outside the two periods are ignored.</summary>
    public static ProgrammeReport Build(SiteRegistry registry, Programme programme, ReportMonth month, IReadOnlyList<SiteDay> days, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(days);
        options ??= ReportOptions.Default;
        options.Validate();
        var periods = ReportPeriods.For(programme, month);
        var notes = new List<string>();
        var sites = programme.SiteIds.Select(id => registry.FindSite(id) ?? throw new ReportDataException($"programme '{programme.Id}': unknown site '{id}'")).ToArray();

        var siteData = sites.Select(site => SiteData.Split(site, days, periods, notes)).ToArray();
        var monthFigures = siteData.Select(d => d.MonthFigures(month, periods)).ToArray();
        var siteSavings = new List<SiteSavings>();
        foreach (var data in siteData)
        {
            foreach (var quantity in Quantities)
            {
                if (Savings(data, quantity, options, notes) is { } savings)
                {
                    siteSavings.Add(savings);
                }
            }
        }

        return new ProgrammeReport(
            programme,
            month,
            sites,
            periods.BaselineFrom,
            periods.BaselineTo,
            periods.ReportingFrom,
            periods.ReportingTo,
            monthFigures,
            Trajectories(programme, month, siteData),
            siteSavings,
            [.. Quantities.Select(q => ProgrammeTotal(q, siteSavings)).OfType<ProgrammeSavings>()],
            Intensities(siteData, month, notes),
            Projects(registry, programme, month.Year, options),
            options,
            notes);
    }

    private static List<TrajectoryStatus> Trajectories(Programme programme, ReportMonth month, SiteData[] sites)
    {
        var samePeriodEnd = new DateOnly(programme.BaselineYear, month.Month, 1).AddMonths(1);
        var rows = new List<TrajectoryStatus>();
        foreach (var (quantity, percent) in new[]
                 {
                     (ReportQuantity.Energy, programme.Targets.EnergyPercent),
                     (ReportQuantity.Co2e, programme.Targets.Co2ePercent),
                     (ReportQuantity.Water, programme.Targets.WaterPercent),
                 })
        {
            if (percent is not { } reduction)
            {
                continue;
            }

            var baselineYear = sites.Sum(s => s.Baseline.Sum(d => Value(d, quantity)));
            var samePeriod = sites.Sum(s => s.Baseline.Where(d => d.Date < samePeriodEnd).Sum(d => Value(d, quantity)));
            var yearToDate = sites.Sum(s => s.Reporting.Sum(d => Value(d, quantity)));
            if (!(baselineYear > 0.0 && samePeriod > 0.0))
            {
                continue;
            }

            var trajectory = new LinearTrajectory(baselineYear, programme.BaselineYear, reduction / 100.0, programme.TargetYear);
            var target = trajectory.Target(month.Year);
            var projected = baselineYear * yearToDate / samePeriod;
            rows.Add(new TrajectoryStatus(
                quantity,
                trajectory,
                month.Year,
                baselineYear,
                samePeriod,
                yearToDate,
                100.0 * yearToDate / samePeriod,
                100.0 * target / baselineYear,
                projected,
                target,
                trajectory.Gap(month.Year, projected)));
        }

        return rows;
    }

    private static SiteSavings? Savings(SiteData data, ReportQuantity quantity, ReportOptions options, List<string> notes)
    {
        var label = $"{data.Site.Id} {Name(quantity)}";
        var baselineDays = data.Baseline.Where(d => double.IsFinite(d.TemperatureC)).ToArray();
        var reportingDays = data.Reporting.Where(d => double.IsFinite(d.TemperatureC)).ToArray();
        if (baselineDays.Sum(d => Value(d, quantity)) <= 0.0 || reportingDays.Length == 0)
        {
            notes.Add($"{label}: no savings computed (no baseline consumption, or no reporting day with a temperature).");
            return null;
        }

        var selection = CandidateSelection.SelectBest(Drivers, [.. baselineDays.Select(d => new BaselinePeriod(Value(d, quantity), Variables(d, options)))], ValidityCriteria.Default);
        var chosen = selection.Best ?? selection.Candidates.Where(c => c.Model is not null).MaxBy(c => c.Model!.Statistics.AdjustedRSquared);
        if (chosen?.Model is not { } model)
        {
            notes.Add($"{label}: no baseline could be fitted ({selection.Candidates.Select(c => c.FailureReason).FirstOrDefault(r => r is not null)}).");
            return null;
        }

        if (selection.Best is null)
        {
            notes.Add($"{label}: no candidate baseline passed every validity check; the best fitted one ({string.Join(" + ", chosen.Variables)}, R² {Format(model.Statistics.RSquared, "0.000")}) is used.");
        }

        var reportingVariables = reportingDays.Select(d => Project(Variables(d, options), chosen.Variables)).ToArray();
        foreach (var check in BaselineValidity.Check(model, ValidityCriteria.Default, reportingVariables).Where(c => !c.Passed && c.Name.StartsWith("reporting_range:", StringComparison.Ordinal)))
        {
            notes.Add($"{label}: the reporting mean of {check.Name["reporting_range:".Length..]} ({Format(check.Value, "0.##")}) is outside the baseline range ({check.Criterion}).");
        }

        var result = SavingsCalculator.Compute(model, reportingVariables, [.. reportingDays.Select(d => Value(d, quantity))]);
        var months = new List<MonthSavings>();
        var cusum = new CusumPoint[reportingDays.Length];
        for (var i = 0; i < reportingDays.Length; i++)
        {
            cusum[i] = new CusumPoint(reportingDays[i].Date, result.Periods[i].CumulativeSavings);
        }

        foreach (var group in result.Periods.Select((p, i) => (Period: p, Month: ReportMonth.Of(reportingDays[i].Date))).GroupBy(x => x.Month))
        {
            var periods = group.Select(x => x.Period).ToArray();
            months.Add(new MonthSavings(
                group.Key,
                periods.Length,
                periods.Sum(p => p.Expected),
                periods.Sum(p => p.Actual),
                periods.Sum(p => p.Savings),
                periods[^1].CumulativeSavings,
                periods.Count(p => p.IsException)));
        }

        double? uncertainty = null;
        if (result.TotalSavings != 0.0 && double.IsFinite(result.Improvement))
        {
            var fsu = SavingsUncertainty.Fractional(FsuMethod.AshraeG14, UncertaintyInputs.FromModel(model, reportingDays.Length), result.Improvement, options.ConfidenceLevel);
            var band = Math.Abs(fsu.Value * result.TotalSavings);
            uncertainty = double.IsFinite(band) ? band : null;
        }

        var baseline = new BaselineSummary(
            chosen.Variables,
            [.. model.Coefficients.Select(c => c.Estimate)],
            model.Statistics.N,
            model.Statistics.RSquared,
            model.Statistics.CvRmse,
            selection.Best is not null);
        return new SiteSavings(data.Site.Id, quantity, baseline, months, cusum, result.TotalExpected, result.TotalActual, result.TotalSavings, result.Improvement, uncertainty);
    }

    private static ProgrammeSavings? ProgrammeTotal(ReportQuantity quantity, List<SiteSavings> savings)
    {
        var sites = savings.Where(s => s.Quantity == quantity).ToArray();
        if (sites.Length == 0)
        {
            return null;
        }

        var expected = sites.Sum(s => s.TotalExpected);
        var total = sites.Sum(s => s.TotalSavings);
        double? uncertainty = sites.All(s => s.Uncertainty is not null) ? Math.Sqrt(sites.Sum(s => s.Uncertainty!.Value * s.Uncertainty.Value)) : null;
        return new ProgrammeSavings(quantity, expected, sites.Sum(s => s.TotalActual), total, total / expected, uncertainty);
    }

    private static List<SiteIntensity> Intensities(SiteData[] sites, ReportMonth month, List<string> notes)
    {
        var rows = new List<SiteIntensity>();
        foreach (var data in sites)
        {
            var monthDays = data.Reporting.Where(d => d.Date >= month.FirstDay).ToArray();
            if (!(data.Baseline.Sum(d => d.Production) > 0.0 && monthDays.Sum(d => d.Production) > 0.0))
            {
                notes.Add($"{data.Site.Id}: no production in the baseline year or in {month}; no intensity.");
                continue;
            }

            var unit = ProductionUnit(data.Site);
            foreach (var quantity in new[] { ReportQuantity.Energy, ReportQuantity.Water })
            {
                double Ratio(IEnumerable<SiteDay> period) => Intensity.Ratio(period.Select(d => Value(d, quantity)), period.Select(d => d.Production));
                var baseline = Ratio(data.Baseline);
                var inMonth = Ratio(monthDays);
                var yearToDate = Ratio(data.Reporting);
                rows.Add(new SiteIntensity(data.Site.Id, unit, quantity, baseline, inMonth, yearToDate, (baseline - inMonth) / baseline, (baseline - yearToDate) / baseline));
            }
        }

        return rows;
    }

    /// <summary>The business cases of the programme's project bank (cancelled projects left out), with <paramref name="year"/>'s emission factors.</summary>
    public static List<ProjectCase> Projects(SiteRegistry registry, Programme programme, int year, ReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(options);
        var cases = new List<ProjectCase>();
        var gwp = registry.Carbon.Gwp == Domain.Registry.GwpSet.Ar6 ? Kpi.Carbon.GwpSet.Ar6 : Kpi.Carbon.GwpSet.Ar5;
        var electricityFactor = Factor(registry, Carrier.Electricity, EmissionFactorKind.CombinedMargin, year)
            ?? Factor(registry, Carrier.Electricity, EmissionFactorKind.Location, year);
        var waterKgPerM3 = (Factor(registry, Carrier.Water, EmissionFactorKind.Supply, year)?.KgPerUnit ?? 0.0)
            + (Factor(registry, Carrier.Water, EmissionFactorKind.Treatment, year)?.KgPerUnit ?? 0.0);
        var gas = registry.Fuels.FirstOrDefault(f => f.Carrier == Carrier.NaturalGas);
        foreach (var project in registry.Projects.Where(p => programme.SiteIds.Contains(p.SiteId) && p.Status != ProjectStatus.Cancelled))
        {
            var expected = project.ExpectedSavings;
            var electricityKwh = expected.EnergyKwh ?? 0.0;
            var co2eKg = (electricityKwh * (electricityFactor?.KgPerUnit ?? 0.0)) + ((expected.WaterM3 ?? 0.0) * waterKgPerM3);
            var fuelKwh = 0.0;
            if (expected.GasNm3 is { } nm3 && gas?.Density is { } density)
            {
                var combustion = Scope1.FromVolume(nm3, density, new Fuel("natural gas", gas.NcvGjPerTonne, gas.Co2KgPerTj, gas.Ch4KgPerTj, gas.N2oKgPerTj), gwp);
                fuelKwh = combustion.EnergyGj * KwhPerGj;
                co2eKg += combustion.Co2eKg;
            }

            var investment = new ProjectInvestment(project.Capex, expected.Cost, project.LifetimeYears, electricityKwh + fuelKwh, co2eKg / 1000.0);
            var risk = RiskRegister.Score(project.Risks.Select(r => new Kpi.Finance.ProjectRisk(r.Name, r.Probability, r.Impact)));
            cases.Add(new ProjectCase(project, electricityKwh + fuelKwh, co2eKg / 1000.0, BusinessCase.Evaluate(investment, project.DiscountRate, options.SavingsSensitivity), risk));
        }

        return cases;
    }

    /// <summary>The registry's factor for the year, else the earliest later one (a baseline year older than the first published factor).</summary>
    private static Domain.Registry.EmissionFactor? Factor(SiteRegistry registry, Carrier carrier, EmissionFactorKind kind, int year) =>
        registry.FindEmissionFactor(carrier, kind, year)
        ?? registry.EmissionFactors.Where(f => f.Carrier == carrier && f.Kind == kind).MinBy(f => f.Year);

    internal static double Value(SiteDay day, ReportQuantity quantity) => quantity switch
    {
        ReportQuantity.Energy => day.EnergyKwh,
        ReportQuantity.Co2e => day.Co2eKg,
        ReportQuantity.Water => day.WaterM3,
        _ => throw new ArgumentOutOfRangeException(nameof(quantity), quantity, null),
    };

    internal static string Name(ReportQuantity quantity) => quantity switch
    {
        ReportQuantity.Energy => "energy",
        ReportQuantity.Co2e => "CO2e",
        ReportQuantity.Water => "water",
        _ => throw new ArgumentOutOfRangeException(nameof(quantity), quantity, null),
    };

    /// <summary>Unit of the site's reference production counter (its first), the denominator of its intensities.</summary>
    internal static string ProductionUnit(Site site) => site.ProductionCounters.Count > 0 ? site.ProductionCounters[0].Unit : "unit";

    private static double[] Variables(SiteDay day, ReportOptions options) =>
        [day.Production, Math.Max(options.HddBaseC - day.TemperatureC, 0.0), Math.Max(day.TemperatureC - options.CddBaseC, 0.0)];

    /// <summary>The driver values of the chosen subset, in the model's order.</summary>
    private static double[] Project(double[] all, IReadOnlyList<string> variables) =>
        [.. variables.Select(v => all[Array.IndexOf(Drivers, v)])];

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>One site's days, split into the baseline year and the reporting period, in date order.</summary>
    private sealed record SiteData(Site Site, SiteDay[] Baseline, SiteDay[] Reporting)
    {
        public static SiteData Split(Site site, IReadOnlyList<SiteDay> days, ReportPeriods periods, List<string> notes)
        {
            var own = days.Where(d => d.SiteId == site.Id).OrderBy(d => d.Date).ToArray();
            for (var i = 1; i < own.Length; i++)
            {
                if (own[i].Date == own[i - 1].Date)
                {
                    throw new ReportDataException($"site '{site.Id}' has two records for {own[i].Date:yyyy-MM-dd}.");
                }
            }

            var baseline = own.Where(d => d.Date >= periods.BaselineFrom && d.Date < periods.BaselineTo).ToArray();
            var reporting = own.Where(d => d.Date >= periods.ReportingFrom && d.Date < periods.ReportingTo).ToArray();
            if (baseline.Length == 0)
            {
                throw new ReportDataException($"site '{site.Id}' has no data in the baseline year {periods.BaselineFrom.Year}.");
            }

            if (reporting.Length == 0)
            {
                throw new ReportDataException($"site '{site.Id}' has no data from {periods.ReportingFrom:yyyy-MM-dd} to {periods.ReportingTo.AddDays(-1):yyyy-MM-dd}.");
            }

            Coverage(site, "baseline year", baseline.Length, periods.BaselineTo.DayNumber - periods.BaselineFrom.DayNumber, notes);
            Coverage(site, "reporting period", reporting.Length, periods.ReportingTo.DayNumber - periods.ReportingFrom.DayNumber, notes);
            return new SiteData(site, baseline, reporting);
        }

        public SiteMonthFigures MonthFigures(ReportMonth month, ReportPeriods periods)
        {
            var baselineMonth = new DateOnly(periods.BaselineFrom.Year, month.Month, 1);
            return new SiteMonthFigures(
                Site.Id,
                month.End.DayNumber - month.FirstDay.DayNumber,
                Totals(Reporting.Where(d => d.Date >= month.FirstDay && d.Date < month.End)),
                Totals(Baseline.Where(d => d.Date >= baselineMonth && d.Date < baselineMonth.AddMonths(1))));
        }

        private static PeriodTotals Totals(IEnumerable<SiteDay> period)
        {
            var days = period.ToArray();
            var temperatures = days.Select(d => d.TemperatureC).Where(double.IsFinite).ToArray();
            return new PeriodTotals(
                days.Length,
                days.Sum(d => d.ElectricityKwh),
                days.Sum(d => d.FuelKwh),
                days.Sum(d => d.Co2eKg),
                days.Sum(d => d.WaterM3),
                days.Sum(d => d.Production),
                temperatures.Length == 0 ? double.NaN : temperatures.Average());
        }

        private static void Coverage(Site site, string period, int present, int expected, List<string> notes)
        {
            if (present < expected)
            {
                notes.Add($"{site.Id}: {present} of {expected} days of the {period} have data; totals cover those days only.");
            }
        }
    }
}

/// <summary>The baseline year and the reporting period (1 January of the report's year to the end of its month), local dates, ends exclusive.</summary>
public sealed record ReportPeriods(DateOnly BaselineFrom, DateOnly BaselineTo, DateOnly ReportingFrom, DateOnly ReportingTo)
{
    /// <exception cref="ReportDataException">The month is not after the programme's baseline year.</exception>
    public static ReportPeriods For(Programme programme, ReportMonth month)
    {
        ArgumentNullException.ThrowIfNull(programme);
        if (month.Year <= programme.BaselineYear)
        {
            throw new ReportDataException($"programme '{programme.Id}': the report month {month} must come after the baseline year {programme.BaselineYear}.");
        }

        return new ReportPeriods(new DateOnly(programme.BaselineYear, 1, 1), new DateOnly(programme.BaselineYear + 1, 1, 1), new DateOnly(month.Year, 1, 1), month.End);
    }
}
