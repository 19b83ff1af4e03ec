using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Monitoring.Kpi.Statistics;

/// <summary>
/// Distribution quantiles, tail probabilities and residual diagnostics shared by every baseline method,
/// so that each reported figure has exactly one definition in the code base.
/// </summary>
internal static class Inference
{
    /// <summary>Student t quantile for a two-sided interval: P(|T| ≤ t) = <paramref name="confidenceLevel"/>.</summary>
    public static double TwoSidedStudentT(double confidenceLevel, double degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(confidenceLevel, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(confidenceLevel, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(degreesOfFreedom, 0.0);
        return StudentT.InvCDF(0.0, 1.0, degreesOfFreedom, 1.0 - ((1.0 - confidenceLevel) / 2.0));
    }

    /// <summary>
    /// Two-sided p-value of a t statistic, P(|T| &gt; |t|) = I_{ν/(ν+t²)}(ν/2, 1/2). The incomplete-beta form keeps
    /// full relative precision far in the tail, where 1 − CDF(t) cancels to zero (a t of 200 still gets a p-value).
    /// </summary>
    public static double TwoSidedTPValue(double t, double degreesOfFreedom) =>
        double.IsInfinity(t) ? 0.0 : SpecialFunctions.BetaRegularized(degreesOfFreedom / 2.0, 0.5, degreesOfFreedom / (degreesOfFreedom + (t * t)));

    /// <summary>Upper tail P(F &gt; f) of Fisher–Snedecor(d1, d2) as I_{d2/(d2+d1·f)}(d2/2, d1/2), exact for tiny p.</summary>
    public static double FisherUpperTail(double f, double d1, double d2) =>
        double.IsPositiveInfinity(f) ? 0.0 : SpecialFunctions.BetaRegularized(d2 / 2.0, d1 / 2.0, d2 / (d2 + (d1 * f)));

    /// <summary>
    /// Lag-1 autocorrelation of residuals in time order: the Pearson correlation of (e₂…eₙ) with (e₁…eₙ₋₁), each
    /// with its own mean and spread. This is what eemeter reports (pandas <c>Series.autocorr</c>), so CalTRACK
    /// figures and n' = n(1 − ρ)/(1 + ρ) match the reference implementation.
    /// </summary>
    public static double Lag1Autocorrelation(ReadOnlySpan<double> residuals)
    {
        if (residuals.Length < 3)
        {
            return double.NaN;
        }

        var lagged = residuals[..^1];
        var leading = residuals[1..];
        double meanLagged = 0.0, meanLeading = 0.0;
        for (var i = 0; i < lagged.Length; i++)
        {
            meanLagged += lagged[i];
            meanLeading += leading[i];
        }

        meanLagged /= lagged.Length;
        meanLeading /= leading.Length;
        double covariance = 0.0, varianceLagged = 0.0, varianceLeading = 0.0;
        for (var i = 0; i < lagged.Length; i++)
        {
            var a = lagged[i] - meanLagged;
            var b = leading[i] - meanLeading;
            covariance += a * b;
            varianceLagged += a * a;
            varianceLeading += b * b;
        }

        var scale = Math.Sqrt(varianceLagged * varianceLeading);
        return scale > 0.0 ? covariance / scale : 0.0;
    }

    /// <summary>Effective number of independent points n' = n(1 − ρ)/(1 + ρ) (ASHRAE Guideline 14, Annex B).</summary>
    public static double EffectiveSampleSize(int n, double rho) => n * (1.0 - rho) / (1.0 + rho);
}
