namespace Monitoring.Kpi.Finance;

/// <summary>An efficiency project as the project bank describes it: capex now, level net savings for its lifetime.</summary>
/// <param name="AnnualNetSavings">Energy/water cost savings minus added O&amp;M, per year.</param>
/// <param name="AnnualEnergySaved">kWh (or m³) per year, for the cost of conserved energy.</param>
/// <param name="AnnualTco2eAvoided">tCO2e per year, for the abatement cost.</param>
public sealed record ProjectInvestment(double Capex, double AnnualNetSavings, int LifetimeYears, double AnnualEnergySaved = 0.0, double AnnualTco2eAvoided = 0.0)
{
    /// <summary>Yearly flows, −capex at t = 0, with savings scaled by <paramref name="savingsMultiplier"/> (sensitivity).</summary>
    public IReadOnlyList<double> Flows(double savingsMultiplier = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(LifetimeYears, 1);
        var flows = new double[LifetimeYears + 1];
        flows[0] = -Capex;
        Array.Fill(flows, AnnualNetSavings * savingsMultiplier, 1, LifetimeYears);
        return flows;
    }
}

/// <summary>
/// Business case of a project at one discount rate. Paybacks and IRR are null when they do not exist (savings never
/// repay the capex). Cost of conserved energy and abatement cost are null without energy or CO2e figures.
/// </summary>
/// <param name="CostOfConservedEnergy">capex·CRF / annual energy saved (money per kWh or m³).</param>
/// <param name="AbatementCost">(capex·CRF − annual net savings) / annual tCO2e: negative = abatement that pays.</param>
/// <param name="NpvLowSavings">NPV with savings reduced by the sensitivity (default −20 %).</param>
/// <param name="NpvHighSavings">NPV with savings increased by the sensitivity (default +20 %).</param>
public sealed record BusinessCaseResult(
    double DiscountRate,
    double? SimplePayback,
    double Npv,
    double? Irr,
    double? DiscountedPayback,
    double CapitalRecoveryFactor,
    double? CostOfConservedEnergy,
    double? AbatementCost,
    double SavingsSensitivity,
    double NpvLowSavings,
    double NpvHighSavings);

/// <summary>Evaluates project investments for the programme's project bank.</summary>
public static class BusinessCase
{
    public const double DefaultSavingsSensitivity = 0.20;

    public static BusinessCaseResult Evaluate(ProjectInvestment project, double discountRate, double savingsSensitivity = DefaultSavingsSensitivity)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentOutOfRangeException.ThrowIfNegative(project.Capex);
        ArgumentOutOfRangeException.ThrowIfNegative(savingsSensitivity);
        var flows = project.Flows();
        var crf = CashFlows.CapitalRecoveryFactor(discountRate, project.LifetimeYears);
        var annualisedCapex = project.Capex * crf;
        return new BusinessCaseResult(
            discountRate,
            project.AnnualNetSavings > 0.0 ? project.Capex / project.AnnualNetSavings : null,
            CashFlows.Npv(flows, discountRate),
            CashFlows.TryIrr(flows),
            CashFlows.DiscountedPayback(flows, discountRate),
            crf,
            project.AnnualEnergySaved > 0.0 ? annualisedCapex / project.AnnualEnergySaved : null,
            project.AnnualTco2eAvoided > 0.0 ? (annualisedCapex - project.AnnualNetSavings) / project.AnnualTco2eAvoided : null,
            savingsSensitivity,
            CashFlows.Npv(project.Flows(1.0 - savingsSensitivity), discountRate),
            CashFlows.Npv(project.Flows(1.0 + savingsSensitivity), discountRate));
    }
}
