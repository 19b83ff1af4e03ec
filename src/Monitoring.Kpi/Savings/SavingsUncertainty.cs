using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Statistics;

namespace Monitoring.Kpi.Savings;

/// <summary>Which fractional-savings-uncertainty formula was applied.</summary>
public enum FsuMethod
{
    /// <summary>ASHRAE Guideline 14 Annex B with the constant 1.26.</summary>
    AshraeG14,

    /// <summary>CalTRACK daily: a·M² + b·M + d replaces 1.26, with M = reporting days / 30.</summary>
    CalTrackDaily,

    /// <summary>CalTRACK billing: a·M² + b·M + d replaces 1.26, with M = reporting months.</summary>
    CalTrackBilling,
}

/// <summary>Baseline figures the uncertainty formulas need; <see cref="FromModel"/> takes them from a regression.</summary>
/// <param name="DegreesOfFreedom">Of the t statistic: n − p (G14) or n − c (CalTRACK).</param>
/// <param name="ReportingPoints">m, the number of reporting periods (days for CalTRACK daily).</param>
public sealed record UncertaintyInputs(double CvRmse, int N, double EffectiveN, int DegreesOfFreedom, int ReportingPoints)
{
    public static UncertaintyInputs FromModel(RegressionModel model, int reportingPoints)
    {
        ArgumentNullException.ThrowIfNull(model);
        var s = model.Statistics;
        return new UncertaintyInputs(s.CvRmse, s.N, s.EffectiveN, s.DegreesOfFreedom, reportingPoints);
    }
}

/// <summary>ΔS/S at <see cref="ConfidenceLevel"/> (two-sided); <see cref="Factor"/> is 1.26 or the CalTRACK polynomial.</summary>
public sealed record FractionalSavingsUncertainty(double Value, double ConfidenceLevel, FsuMethod Method, double TStatistic, double Factor);

/// <summary>
/// Fractional savings uncertainty ΔS/S = factor · t(α, dof) · CV · sqrt((n/n')(1 + 2/n')(1/m)) / F
/// (ASHRAE Guideline 14 Annex B; CalTRACK 2.0 polynomial factors fitted on simulated savings).
/// </summary>
public static class SavingsUncertainty
{
    /// <summary>The G14 constant for monthly/daily models.</summary>
    public const double AshraeFactor = 1.26;

    public static FractionalSavingsUncertainty Fractional(FsuMethod method, UncertaintyInputs inputs, double savingsFraction, double confidenceLevel)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(savingsFraction != 0.0) || !double.IsFinite(savingsFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(savingsFraction), savingsFraction, "The savings fraction F must be finite and non-zero.");
        }

        var factor = Factor(method, inputs.ReportingPoints);
        var t = Inference.TwoSidedStudentT(confidenceLevel, inputs.DegreesOfFreedom);
        return new FractionalSavingsUncertainty(RelativeHalfWidth(factor, t, inputs) / savingsFraction, confidenceLevel, method, t, factor);
    }

    /// <summary>Replaces 1.26: 1.26 for G14, else a·M² + b·M + d with the CalTRACK coefficients of the method.</summary>
    public static double Factor(FsuMethod method, int reportingPoints) => method switch
    {
        FsuMethod.AshraeG14 => AshraeFactor,
        FsuMethod.CalTrackDaily => Polynomial(-0.00024, 0.03535, 1.00286, reportingPoints / 30.0),
        FsuMethod.CalTrackBilling => Polynomial(-0.00022, 0.03306, 0.94054, reportingPoints),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown uncertainty method."),
    };

    /// <summary>
    /// factor · t · CV · sqrt((n/n')(1 + 2/n')(1/m)): the half-width of the savings interval as a fraction of the
    /// baseline total. Divided by F it is the FSU; multiplied by the baseline total it is CalTRACK's error band.
    /// </summary>
    internal static double RelativeHalfWidth(double factor, double t, UncertaintyInputs inputs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs.ReportingPoints, 1);
        var n = (double)inputs.N;
        var nPrime = inputs.EffectiveN;
        return factor * t * inputs.CvRmse * Math.Sqrt(n / nPrime * (1.0 + (2.0 / nPrime)) / inputs.ReportingPoints);
    }

    private static double Polynomial(double a, double b, double d, double m) => (a * m * m) + (b * m) + d;
}
