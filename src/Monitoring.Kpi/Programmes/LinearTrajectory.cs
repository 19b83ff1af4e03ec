namespace Monitoring.Kpi.Programmes;

/// <summary>
/// A programme target as a straight line from the baseline-year value to the target-year reduction:
/// target(y) = B·(1 − R·(y − y0)/(T − y0)).
/// </summary>
/// <param name="Reduction">R as a fraction: 0.45 for −45 %.</param>
public sealed record LinearTrajectory(double Baseline, int BaselineYear, double Reduction, int TargetYear)
{
    public double Target(int year)
    {
        if (TargetYear <= BaselineYear)
        {
            throw new InvalidOperationException($"The target year {TargetYear} must come after the baseline year {BaselineYear}.");
        }

        return Baseline * (1.0 - (Reduction * (year - BaselineYear) / (TargetYear - BaselineYear)));
    }

    /// <summary>actual − target: positive means above the trajectory (behind on the reduction).</summary>
    public double Gap(int year, double actual) => actual - Target(year);

    /// <summary>Constant yearly rate reaching the same end point, (1 − R)^(1/(T − y0)) − 1 (negative = reduction).</summary>
    public double EquivalentAnnualRate => Math.Pow(1.0 - Reduction, 1.0 / (TargetYear - BaselineYear)) - 1.0;
}
