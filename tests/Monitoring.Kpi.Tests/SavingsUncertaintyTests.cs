using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Savings;

namespace Monitoring.Kpi.Tests;

public sealed class SavingsUncertaintyTests
{
    [Fact]
    public void Vector_B_ashrae_and_caltrack_billing_fsu()
    {
        var model = LinearRegression.Fit(["P", "HDD"], RegressionBaselineTests.VectorA());
        var inputs = UncertaintyInputs.FromModel(model, reportingPoints: 12) with { EffectiveN = model.Statistics.N };

        var g14 = SavingsUncertainty.Fractional(FsuMethod.AshraeG14, inputs, savingsFraction: 0.10, confidenceLevel: 0.90);
        var billing = SavingsUncertainty.Fractional(FsuMethod.CalTrackBilling, inputs, savingsFraction: 0.10, confidenceLevel: 0.90);

        Approx.Decimals(1.833113, g14.TStatistic, 6);
        Approx.Decimals(0.012621, g14.Value, 6);
        Assert.Equal(0.90, g14.ConfidenceLevel);
        Assert.Equal(FsuMethod.AshraeG14, g14.Method);
        Approx.Decimals(1.305580, billing.Factor, 6);
        Approx.Decimals(0.013078, billing.Value, 6);
    }

    [Fact]
    public void Caltrack_daily_polynomial_uses_months_of_thirty_days()
    {
        Approx.Relative(-0.00024 * 144 + 0.03535 * 12 + 1.00286, SavingsUncertainty.Factor(FsuMethod.CalTrackDaily, 360), 1e-12);
    }

    [Fact]
    public void Zero_savings_fraction_is_rejected()
    {
        var inputs = new UncertaintyInputs(0.1, 12, 12, 9, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => SavingsUncertainty.Fractional(FsuMethod.AshraeG14, inputs, 0.0, 0.9));
    }
}
