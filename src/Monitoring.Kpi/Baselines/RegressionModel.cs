namespace Monitoring.Kpi.Baselines;

/// <summary>One fitted coefficient with its inference; the intercept is named <see cref="RegressionModel.InterceptName"/>.</summary>
public sealed record RegressionCoefficient(string Name, double Estimate, double StandardError, double TValue, double PValue);

/// <summary>Baseline-period spread of one driver, kept with the model so reporting data can be checked against it.</summary>
public sealed record VariableRange(string Name, double Minimum, double Maximum, double Mean, double StandardDeviation);

/// <summary>
/// Goodness-of-fit figures of a regression baseline (n points, p parameters including the intercept).
/// For weighted fits the weights are normalised to mean 1, so CV(RMSE) and NMBE stay in the units of the data.
/// </summary>
/// <param name="CvRmse">sqrt(SSE/(n−p)) / ȳ.</param>
/// <param name="Nmbe">Σ(y−ŷ) / ((n−p)·ȳ).</param>
/// <param name="Autocorrelation">Lag-1 autocorrelation ρ of the residuals in period order.</param>
/// <param name="EffectiveN">n' = n(1−ρ)/(1+ρ).</param>
/// <param name="ResidualStandardError">sqrt(SSE/(n−p)); the σ used for 2σ exceptions.</param>
public sealed record RegressionStatistics(
    int N,
    int Parameters,
    double MeanResponse,
    double SumSquaredErrors,
    double RSquared,
    double AdjustedRSquared,
    double CvRmse,
    double Nmbe,
    double Autocorrelation,
    double EffectiveN,
    double FStatistic,
    double FPValue,
    double ResidualStandardError)
{
    /// <summary>Residual degrees of freedom n − p.</summary>
    public int DegreesOfFreedom => N - Parameters;
}

/// <summary>
/// An immutable linear baseline E = b0 + Σ bi·xi (ISO 50006 EnB, IPMVP Option C). Never mutated after the fit:
/// a refit produces a new instance, and <see cref="ModelHistory{TModel}"/> keeps the versions reports used.
/// </summary>
public sealed record RegressionModel(
    IReadOnlyList<RegressionCoefficient> Coefficients,
    IReadOnlyList<VariableRange> Ranges,
    RegressionStatistics Statistics,
    bool Weighted)
{
    /// <summary>Name of the constant term in <see cref="Coefficients"/> (always first).</summary>
    public const string InterceptName = "intercept";

    /// <summary>Driver names in the order <see cref="Predict"/> expects them.</summary>
    public IEnumerable<string> VariableNames => Ranges.Select(r => r.Name);

    /// <summary>Model value for one period's drivers (the adjusted baseline when fed reporting-period drivers).</summary>
    public double Predict(IReadOnlyList<double> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (variables.Count != Ranges.Count)
        {
            throw new ArgumentException($"Expected {Ranges.Count} driver values ({string.Join(", ", VariableNames)}), got {variables.Count}.", nameof(variables));
        }

        var value = Coefficients[0].Estimate;
        for (var i = 0; i < variables.Count; i++)
        {
            value += Coefficients[i + 1].Estimate * variables[i];
        }

        return value;
    }
}
