using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Savings;

namespace Monitoring.Kpi.Tests;

public sealed class RegressionBaselineTests
{
    private static readonly string[] Drivers = ["P", "HDD"];

    private static readonly double[] Production = [820, 760, 900, 870, 950, 910, 700, 400, 880, 930, 890, 800];
    private static readonly double[] Hdd = [310, 260, 190, 110, 40, 5, 0, 0, 15, 90, 200, 290];
    private static readonly double[] Energy = [55140, 51520, 56280, 53370, 55710, 53270, 44430, 31730, 52340, 55620, 56000, 53790];

    private static readonly double[][] ReportingDrivers = [[850, 300], [900, 240], [780, 170]];
    private static readonly double[] ReportingEnergy = [52000, 53100, 46900];

    internal static BaselinePeriod[] VectorA() => [.. Energy.Select((e, i) => new BaselinePeriod(e, [Production[i], Hdd[i]]))];

    [Fact]
    public void Vector_A_ols_coefficients_and_statistics()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var s = model.Statistics;

        Approx.Decimals(14875.23433, model.Coefficients[0].Estimate, 5);
        Approx.Decimals(42.151461, model.Coefficients[1].Estimate, 6);
        Approx.Decimals(18.007517, model.Coefficients[2].Estimate, 6);
        Approx.Decimals(0.999865, s.RSquared, 6);
        Approx.Decimals(0.999835, s.AdjustedRSquared, 6);
        Approx.Decimals(98.8976, model.Coefficients[0].TValue, 4);
        Approx.Decimals(229.3116, model.Coefficients[1].TValue, 4);
        Approx.Decimals(77.4912, model.Coefficients[2].TValue, 4);
        Approx.Significant(3.886e-18, s.FPValue, 4);
        Approx.Decimals(0.001753, s.CvRmse, 6);
        Approx.Decimals(-0.707561, s.Autocorrelation, 6);
        Assert.Equal(9, s.DegreesOfFreedom);
        Assert.Equal(["P", "HDD"], model.VariableNames);
    }

    [Fact]
    public void Vector_A_standard_errors_match_an_independent_normal_equations_inverse()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());

        // (XᵀX)⁻¹ by Gauss–Jordan on the 3×3 normal matrix, then se = sqrt(σ²·diag).
        var x = Production.Select((p, i) => new[] { 1.0, p, Hdd[i] }).ToArray();
        var xtx = new double[3, 6];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                xtx[r, c] = x.Sum(row => row[r] * row[c]);
            }

            xtx[r, 3 + r] = 1.0;
        }

        for (var pivot = 0; pivot < 3; pivot++)
        {
            var scale = xtx[pivot, pivot];
            for (var c = 0; c < 6; c++)
            {
                xtx[pivot, c] /= scale;
            }

            for (var r = 0; r < 3; r++)
            {
                if (r != pivot)
                {
                    var factor = xtx[r, pivot];
                    for (var c = 0; c < 6; c++)
                    {
                        xtx[r, c] -= factor * xtx[pivot, c];
                    }
                }
            }
        }

        var sse = x.Select((row, i) => Energy[i] - model.Predict([row[1], row[2]])).Sum(e => e * e);
        for (var j = 0; j < 3; j++)
        {
            Approx.Relative(Math.Sqrt(sse / 9 * xtx[j, 3 + j]), model.Coefficients[j].StandardError, 1e-6);
        }
    }

    [Fact]
    public void Vector_A_reporting_period_savings_cusum_improvement_and_senpi()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var result = SavingsCalculator.Compute(model, ReportingDrivers, ReportingEnergy);

        double[] adjusted = [56106.232, 57133.354, 50814.652];
        double[] savings = [4106.232, 4033.354, 3914.652];
        double[] cusum = [4106.232, 8139.586, 12054.238];
        for (var i = 0; i < 3; i++)
        {
            Approx.Decimals(adjusted[i], result.Periods[i].Expected, 3);
            Approx.Decimals(savings[i], result.Periods[i].Savings, 3);
            Approx.Decimals(cusum[i], result.Periods[i].CumulativeSavings, 3);
            Assert.Equal(-result.Periods[i].Savings, result.Periods[i].Deviation);
        }

        Approx.Decimals(7.3477, result.Improvement * 100, 4);
        Approx.Decimals(0.926523, result.SEnPI, 6);
        Assert.Contains("expected − actual", SavingsResult.SignConvention, StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_A_specific_energy_consumption()
    {
        var sec = Intensity.Compare(Energy, Production, ReportingEnergy, ReportingDrivers.Select(r => r[0]));

        Approx.Decimals(63.119266, sec.Baseline, 6);
        Approx.Decimals(60.079051, sec.Reporting, 6);
        Approx.Relative((63.119266 - 60.079051) / 63.119266, sec.Improvement, 1e-6);
    }

    [Fact]
    public void Exceptions_flag_periods_beyond_two_sigma_of_the_baseline_residuals()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var result = SavingsCalculator.Compute(model, ReportingDrivers, ReportingEnergy);

        // σ ≈ 88 kWh, deviations ≈ −4000 kWh: every reporting month is an exception.
        Assert.Equal(2 * model.Statistics.ResidualStandardError, result.ExceptionThreshold);
        Assert.All(result.Periods, p => Assert.True(p.IsException));
        var quiet = SavingsCalculator.Compute(result.Periods.Select(p => p.Expected).ToArray(), result.Periods.Select(p => p.Expected + 1).ToArray(), result.ExceptionThreshold);
        Assert.All(quiet.Periods, p => Assert.False(p.IsException));
    }

    [Fact]
    public void Non_routine_adjustments_raise_the_adjusted_baseline()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var plain = SavingsCalculator.Compute(model, ReportingDrivers, ReportingEnergy);
        var adjusted = SavingsCalculator.Compute(model, ReportingDrivers, ReportingEnergy, [1000, 0, 0]);

        Approx.Relative(plain.TotalSavings + 1000, adjusted.TotalSavings, 1e-12);
    }

    [Fact]
    public void Vector_A_passes_every_validity_check_including_reporting_ranges()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var checks = BaselineValidity.Check(model, ValidityCriteria.Default with { Calibration = CalibrationInterval.Monthly }, ReportingDrivers);

        Assert.Equal(
            ["f_test_p", "variable_p:P", "variable_p:HDD", "best_variable_p", "r_squared", "ashrae_g14_cvrmse", "ashrae_g14_nmbe", "reporting_range:P", "reporting_range:HDD"],
            checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.True(c.Passed, c.Name));
    }

    [Fact]
    public void Reporting_drivers_far_outside_the_baseline_fail_the_range_check()
    {
        var model = LinearRegression.Fit(Drivers, VectorA());
        var checks = BaselineValidity.Check(model, ValidityCriteria.Default, [[3000, 100]]);

        Assert.False(checks.Single(c => c.Name == "reporting_range:P").Passed);
        Assert.True(checks.Single(c => c.Name == "reporting_range:HDD").Passed);
    }

    [Fact]
    public void An_irrelevant_variable_fails_its_p_value_check_and_selection_drops_it()
    {
        double[] noise = [3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8];
        var periods = VectorA().Select((p, i) => p with { Variables = [.. p.Variables, noise[i]] }).ToArray();

        var full = LinearRegression.Fit(["P", "HDD", "noise"], periods);
        Assert.False(BaselineValidity.Check(full, ValidityCriteria.Default).Single(c => c.Name == "variable_p:noise").Passed);

        var selection = CandidateSelection.SelectBest(["P", "HDD", "noise"], periods, ValidityCriteria.Default);
        Assert.Equal(7, selection.Candidates.Count);
        Assert.Equal(["P", "HDD"], selection.Best!.Variables);
    }

    [Fact]
    public void Singular_design_is_a_clear_error_and_a_failed_candidate()
    {
        var periods = VectorA().Select(p => p with { Variables = [p.Variables[0], 2 * p.Variables[0]] }).ToArray();

        var error = Assert.Throws<ArgumentException>(() => LinearRegression.Fit(["P", "twice P"], periods));
        Assert.Contains("singular", error.Message, StringComparison.Ordinal);
        Assert.Contains("twice P", error.Message, StringComparison.Ordinal);

        var selection = CandidateSelection.SelectBest(["P", "twice P"], periods, ValidityCriteria.Default);
        Assert.Contains("singular", selection.Candidates.Single(c => c.Variables.Count == 2).FailureReason, StringComparison.Ordinal);
        Assert.Equal(["P"], selection.Best!.Variables);
    }

    [Fact]
    public void Constant_driver_is_singular()
    {
        var periods = VectorA().Select(p => p with { Variables = [p.Variables[0], 7.0] }).ToArray();

        Assert.Throws<ArgumentException>(() => LinearRegression.Fit(["P", "constant"], periods));
    }

    [Fact]
    public void Too_few_periods_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentException>(() => LinearRegression.Fit(Drivers, VectorA().Take(3).ToArray()));
        Assert.Contains("more than 3 periods", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weighted_fit_with_integer_weights_equals_ols_on_repeated_rows()
    {
        int[] weights = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
        var weighted = VectorA().Select((p, i) => p with { Weight = weights[i] }).ToArray();
        var repeated = VectorA().SelectMany((p, i) => Enumerable.Repeat(p, weights[i])).ToArray();

        var wls = LinearRegression.Fit(Drivers, weighted, weighted: true);
        var ols = LinearRegression.Fit(Drivers, repeated);

        Assert.True(wls.Weighted);
        for (var j = 0; j < 3; j++)
        {
            Approx.Relative(ols.Coefficients[j].Estimate, wls.Coefficients[j].Estimate, 1e-9);
        }

        Approx.Relative(ols.Statistics.RSquared, wls.Statistics.RSquared, 1e-12);
    }

    [Fact]
    public void Model_history_appends_versions_and_never_overwrites()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var history = new ModelHistory<RegressionModel>(clock);
        var first = history.Append(LinearRegression.Fit(Drivers, VectorA()));
        clock.Now = clock.Now.AddDays(30);
        var second = history.Append(LinearRegression.Fit(["P"], VectorA().Select(p => p with { Variables = [p.Variables[0]] }).ToArray()));

        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        Assert.Same(first.Model, history.Get(1).Model);
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero), history.Latest!.FittedAt);
        Assert.Equal(2, history.Versions.Count);
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
