using Monitoring.Kpi.Baselines;

namespace Monitoring.Kpi.Savings;

/// <summary>
/// One reporting period. Sign convention: <see cref="Savings"/> = expected − actual (positive = less consumed than
/// the adjusted baseline); <see cref="CumulativeSavings"/> is the savings CUSUM Σ(expected − actual), so a rising
/// line means savings; <see cref="Deviation"/> = actual − expected, the quantity tested for exceptions.
/// </summary>
public sealed record SavingsPeriod(double Expected, double Actual, double Savings, double CumulativeSavings, double Deviation, bool IsException);

/// <summary>
/// Savings over a reporting period against an adjusted baseline (IPMVP Option C). Same sign convention as
/// <see cref="SavingsPeriod"/>: positive savings and a rising CUSUM mean consumption below the baseline.
/// </summary>
/// <param name="Improvement">Σsavings / Σexpected, a fraction (0.073 = 7.3 %).</param>
/// <param name="SEnPI">Σactual / Σexpected: below 1 is an improvement (ISO 50006 cumulative EnPI ratio).</param>
/// <param name="ExceptionThreshold">k·σ of the baseline residuals; periods with |deviation| above it are exceptions.</param>
public sealed record SavingsResult(
    IReadOnlyList<SavingsPeriod> Periods,
    double TotalExpected,
    double TotalActual,
    double TotalSavings,
    double Improvement,
    double SEnPI,
    double ExceptionThreshold)
{
    /// <summary>The convention to print on every chart and report using these figures.</summary>
    public const string SignConvention = "savings = expected − actual; CUSUM = Σ(expected − actual), a rising line means savings";
}

/// <summary>Adjusted baseline, savings, CUSUM, improvement, SEnPI and exceptions for monitoring and targeting.</summary>
public static class SavingsCalculator
{
    /// <summary>Default exception band: 2σ of the baseline residuals.</summary>
    public const double DefaultExceptionSigmas = 2.0;

    /// <summary>
    /// Savings from a regression baseline: the adjusted baseline is the model evaluated on each reporting period's
    /// drivers, plus any non-routine adjustment of that period; σ is the model's residual standard error.
    /// </summary>
    public static SavingsResult Compute(
        RegressionModel model,
        IReadOnlyList<IReadOnlyList<double>> reportingVariables,
        IReadOnlyList<double> actual,
        IReadOnlyList<double>? nonRoutineAdjustments = null,
        double exceptionSigmas = DefaultExceptionSigmas)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reportingVariables);
        if (nonRoutineAdjustments is not null && nonRoutineAdjustments.Count != reportingVariables.Count)
        {
            throw new ArgumentException("One non-routine adjustment per reporting period is required.", nameof(nonRoutineAdjustments));
        }

        var expected = new double[reportingVariables.Count];
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = model.Predict(reportingVariables[i]) + (nonRoutineAdjustments?[i] ?? 0.0);
        }

        return Compute(expected, actual, exceptionSigmas * model.Statistics.ResidualStandardError);
    }

    /// <summary>Savings of <paramref name="actual"/> against <paramref name="expected"/> (any baseline method).</summary>
    public static SavingsResult Compute(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double exceptionThreshold)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.Count != actual.Count || expected.Count == 0)
        {
            throw new ArgumentException($"Expected and actual must have the same, non-zero length; got {expected.Count} and {actual.Count}.", nameof(actual));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(exceptionThreshold);
        var periods = new SavingsPeriod[expected.Count];
        double totalExpected = 0.0, totalActual = 0.0;
        for (var i = 0; i < periods.Length; i++)
        {
            totalExpected += expected[i];
            totalActual += actual[i];
            var deviation = actual[i] - expected[i];
            periods[i] = new SavingsPeriod(expected[i], actual[i], -deviation, totalExpected - totalActual, deviation, Math.Abs(deviation) > exceptionThreshold);
        }

        var totalSavings = totalExpected - totalActual;
        return new SavingsResult(periods, totalExpected, totalActual, totalSavings, totalSavings / totalExpected, totalActual / totalExpected, exceptionThreshold);
    }
}
