using Monitoring.Kpi.Finance;

namespace Monitoring.Kpi.Tests;

public sealed class FinanceTests
{
    private static readonly ProjectInvestment Vector = new(Capex: 1_200_000, AnnualNetSavings: 350_000, LifetimeYears: 8, AnnualEnergySaved: 2_000_000, AnnualTco2eAvoided: 1_100);

    [Fact]
    public void Business_case_vector()
    {
        var result = BusinessCase.Evaluate(Vector, 0.08);

        Approx.Decimals(811_323.63, result.Npv, 2);
        Approx.Decimals(23.9223, result.Irr!.Value * 100, 4);
        Approx.Decimals(3.4286, result.SimplePayback!.Value, 4);
        Approx.Decimals(4.1711, result.DiscountedPayback!.Value, 4);
    }

    [Fact]
    public void Crf_cost_of_conserved_energy_and_abatement_cost()
    {
        var result = BusinessCase.Evaluate(Vector, 0.08);
        var crf = 0.08 * Math.Pow(1.08, 8) / (Math.Pow(1.08, 8) - 1);

        Approx.Relative(crf, result.CapitalRecoveryFactor, 1e-12);
        Approx.Relative(1_200_000 * crf / 2_000_000, result.CostOfConservedEnergy!.Value, 1e-12);
        Approx.Relative(((1_200_000 * crf) - 350_000) / 1_100, result.AbatementCost!.Value, 1e-12);
        Assert.True(result.AbatementCost < 0, "A project that pays back abates at negative cost.");
        Assert.Equal(0.125, CashFlows.CapitalRecoveryFactor(0, 8));
    }

    [Fact]
    public void Npv_at_plus_and_minus_twenty_percent_savings()
    {
        var result = BusinessCase.Evaluate(Vector, 0.08);
        var annuity = (1 - Math.Pow(1.08, -8)) / 0.08;

        Approx.Decimals((0.8 * 350_000 * annuity) - 1_200_000, result.NpvLowSavings, 6);
        Approx.Decimals((1.2 * 350_000 * annuity) - 1_200_000, result.NpvHighSavings, 6);
    }

    [Fact]
    public void Irr_is_zero_npv_for_irregular_flows_too()
    {
        double[] flows = [-1000, 300, 0, 500, 600];
        var irr = CashFlows.Irr(flows);

        Assert.True(Math.Abs(CashFlows.Npv(flows, irr)) < 1e-6);
    }

    [Fact]
    public void Irr_without_a_sign_change_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CashFlows.Irr([100, 200, 300]));

        Assert.Contains("never change sign", error.Message, StringComparison.Ordinal);
        Assert.Null(BusinessCase.Evaluate(new ProjectInvestment(1000, 0, 5), 0.08).Irr);
    }

    [Fact]
    public void A_project_that_never_repays_has_no_paybacks()
    {
        var result = BusinessCase.Evaluate(new ProjectInvestment(1_000_000, 50_000, 5), 0.08);

        Assert.Null(result.DiscountedPayback);
        Assert.True(result.Npv < 0);
        Assert.Equal(20, result.SimplePayback);
    }

    [Fact]
    public void Risk_register_score_is_the_expected_impact()
    {
        Assert.Equal(0.2 * 100_000 + 0.5 * 40_000, RiskRegister.Score([new("supplier delay", 0.2, 100_000), new("lower load", 0.5, 40_000)]));
        Assert.Throws<ArgumentException>(() => RiskRegister.Score([new("bad", 1.5, 1)]));
    }
}
