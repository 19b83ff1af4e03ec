using static Monitoring.Reports.Tests.SyntheticProgramme;

namespace Monitoring.Reports.Tests;

/// <summary>The report's figures against values worked out by hand from the synthetic programme's formulas.</summary>
public sealed class ReportModelTests
{
    private static readonly DateOnly ReportingFrom = new(2024, 1, 1);
    private static readonly DateOnly ReportingTo = new(2024, 4, 1);

    private static double Sum(DateOnly from, DateOnly to, Func<DateOnly, double> value) => Days(from, to).Sum(value);

    private static void Close(double expected, double actual, double relative = 1e-9) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1.0, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Fact]
    public async Task Savings_are_the_hand_computed_differences_from_the_baseline_model()
    {
        var report = await BuildAsync();

        var alpha = report.FindSavings("alpha", ReportQuantity.Energy)!;
        Assert.Equal(["production"], alpha.Baseline.Variables);
        Assert.True(alpha.Baseline.Valid);
        Close(1000, alpha.Baseline.Coefficients[0], 1e-6);
        Close(2, alpha.Baseline.Coefficients[1], 1e-6);
        Close(0.1 * Sum(ReportingFrom, ReportingTo, AlphaModel), alpha.TotalSavings, 1e-7);
        Close(0.10, alpha.Improvement, 1e-7);

        var beta = report.FindSavings("beta", ReportQuantity.Energy)!;
        Close(50 * 91, beta.TotalSavings, 1e-7);

        // Monthly savings and the CUSUM: January alone, then the running total.
        var january = alpha.Months[0];
        Assert.Equal(new ReportMonth(2024, 1), january.Month);
        Assert.Equal(31, january.Days);
        Close(0.1 * Sum(ReportingFrom, new DateOnly(2024, 2, 1), AlphaModel), january.Savings, 1e-7);
        Assert.Equal(3, alpha.Months.Count);
        Close(alpha.TotalSavings, alpha.Months[^1].CumulativeSavings, 1e-9);
        Close(alpha.TotalSavings, alpha.DailyCusum[^1].CumulativeSavings, 1e-9);
        Assert.Equal(91, alpha.DailyCusum.Count);

        // Programme: sum of sites; CO2e is half the energy; unchanged water saves nothing.
        var programme = report.ProgrammeSavings.Single(s => s.Quantity == ReportQuantity.Energy);
        var expected = Sum(ReportingFrom, ReportingTo, d => AlphaModel(d) + BetaModel(d));
        Close(alpha.TotalSavings + beta.TotalSavings, programme.TotalSavings, 1e-9);
        Close(expected, programme.TotalExpected, 1e-7);
        Close((alpha.TotalSavings + beta.TotalSavings) / expected, programme.Improvement, 1e-7);
        Close(0.5 * programme.TotalSavings, report.ProgrammeSavings.Single(s => s.Quantity == ReportQuantity.Co2e).TotalSavings, 1e-6);
        Assert.True(Math.Abs(report.ProgrammeSavings.Single(s => s.Quantity == ReportQuantity.Water).TotalSavings) < 1e-6);
    }

    [Fact]
    public async Task Trajectory_compares_the_year_to_date_with_the_same_months_of_the_baseline_year()
    {
        var report = await BuildAsync();

        var energy = report.Trajectory.Single(t => t.Quantity == ReportQuantity.Energy);
        var baselineYear = Sum(new DateOnly(2023, 1, 1), new DateOnly(2024, 1, 1), d => AlphaModel(d) + BetaModel(d));
        var samePeriod = Sum(new DateOnly(2023, 1, 1), new DateOnly(2023, 4, 1), d => AlphaModel(d) + BetaModel(d));
        var yearToDate = Sum(ReportingFrom, ReportingTo, d => AlphaActual(d) + BetaActual(d));
        Close(baselineYear, energy.BaselineYearTotal);
        Close(samePeriod, energy.BaselineSamePeriod);
        Close(yearToDate, energy.YearToDate);
        Close(100 * yearToDate / samePeriod, energy.Index);
        Close(100 * (1 - (0.20 * 1 / 7)), energy.TargetIndex);          // −20 % from 2023 to 2030, one year in
        Close(baselineYear * yearToDate / samePeriod, energy.ProjectedYear);
        Close(energy.ProjectedYear - (baselineYear * (1 - (0.20 / 7))), energy.Gap);

        var co2e = report.Trajectory.Single(t => t.Quantity == ReportQuantity.Co2e);
        Close(100 * (1 - (0.45 / 7)), co2e.TargetIndex);
        Close(energy.Index, co2e.Index);
        Assert.Equal(3, report.Trajectory.Count);
    }

    [Fact]
    public async Task Intensity_month_figures_and_business_cases_follow_their_definitions()
    {
        var report = await BuildAsync();

        var alpha = report.Intensities.Single(i => i.SiteId == "alpha" && i.Quantity == ReportQuantity.Energy);
        var baseline = Sum(new DateOnly(2023, 1, 1), new DateOnly(2024, 1, 1), AlphaModel) / Sum(new DateOnly(2023, 1, 1), new DateOnly(2024, 1, 1), Production);
        var march = Sum(new DateOnly(2024, 3, 1), ReportingTo, AlphaActual) / Sum(new DateOnly(2024, 3, 1), ReportingTo, Production);
        Close(baseline, alpha.Baseline);
        Close(march, alpha.Month);
        Close((baseline - march) / baseline, alpha.ImprovementMonth);
        Assert.Equal("parts", alpha.ProductionUnit);

        var figures = report.MonthFigures.Single(f => f.SiteId == "beta");
        Assert.Equal(31, figures.Month.Days);
        Close(Sum(new DateOnly(2024, 3, 1), ReportingTo, BetaActual), figures.Month.EnergyKwh);
        Close(Sum(new DateOnly(2023, 3, 1), new DateOnly(2023, 4, 1), BetaModel), figures.BaselineMonth.EnergyKwh);
        Close(18.0, figures.Month.MeanTemperatureC);

        // methods.md business-case vector: 1 200 000 MAD, 350 000 MAD/yr for 8 years at 8 %.
        var project = Assert.Single(report.Projects);
        Assert.Equal(811_323.63, project.Case.Npv, 2);
        Assert.Equal(0.239223, project.Case.Irr!.Value, 6);
        Assert.Equal(3.4286, project.Case.SimplePayback!.Value, 4);
        Assert.Equal(4.1711, project.Case.DiscountedPayback!.Value, 4);
        Close(100_000 * 0.547 / 1000, project.AnnualTco2e);                 // combined margin, 0.547 t/MWh
        Close((0.25 * 150_000) + (0.3 * 200_000), project.RiskScore);
        Assert.Empty(report.Notes);
    }

    [Fact]
    public async Task A_month_in_the_baseline_year_or_an_unknown_programme_is_refused()
    {
        var source = new InMemorySiteDaySource(SiteDays());

        var early = await Assert.ThrowsAsync<ReportDataException>(() => ProgrammeReportBuilder.BuildAsync(Registry(), Id, new ReportMonth(2023, 6), source));
        Assert.Contains("must come after the baseline year 2023", early.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ReportDataException>(() => ProgrammeReportBuilder.BuildAsync(Registry(), "nope", Month, source));
        Assert.Contains("unknown programme 'nope'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_days_are_reported_in_the_notes()
    {
        var days = SiteDays().Where(d => !(d.SiteId == "beta" && d.Date.Month == 2 && d.Date.Year == 2024)).ToList();

        var report = await ProgrammeReportBuilder.BuildAsync(Registry(), Id, Month, new InMemorySiteDaySource(days));

        Assert.Contains("beta: 62 of 91 days of the reporting period have data; totals cover those days only.", report.Notes);
        Close(50 * 62, report.FindSavings("beta", ReportQuantity.Energy)!.TotalSavings, 1e-7);
    }
}
