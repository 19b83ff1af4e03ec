using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Monitoring.Kpi.Statistics;

namespace Monitoring.Kpi.Baselines;

/// <summary>
/// Ordinary and weighted least squares by QR decomposition (numerically safer than normal equations), with the
/// statistics ASHRAE Guideline 14 and ISO 50006 ask to report next to every baseline.
/// </summary>
public static class LinearRegression
{
    /// <summary>Relative size of an R diagonal entry below which the design is treated as rank deficient.</summary>
    private const double RankTolerance = 1e-10;

    /// <summary>
    /// Fits E = b0 + Σ bi·xi. With <paramref name="weighted"/> each row is multiplied by sqrt(weight), the WLS
    /// transform for billing-like periods of unequal length.
    /// </summary>
    /// <exception cref="ArgumentException">Too few periods, mismatched driver counts, bad weights or a singular design.</exception>
    public static RegressionModel Fit(IReadOnlyList<string> variableNames, IReadOnlyList<BaselinePeriod> periods, bool weighted = false)
    {
        ArgumentNullException.ThrowIfNull(variableNames);
        ArgumentNullException.ThrowIfNull(periods);
        if (variableNames.Count == 0)
        {
            throw new ArgumentException("A regression baseline needs at least one driver variable.", nameof(variableNames));
        }

        var n = periods.Count;
        var p = variableNames.Count + 1;
        if (n <= p)
        {
            throw new ArgumentException($"A model with {p} parameters needs more than {p} periods; got {n}.", nameof(periods));
        }

        var weights = NormalisedWeights(periods, weighted);
        var x = Matrix<double>.Build.Dense(n, p);
        var y = Vector<double>.Build.Dense(n);
        for (var i = 0; i < n; i++)
        {
            var period = periods[i];
            if (period.Variables.Count != variableNames.Count)
            {
                throw new ArgumentException($"Period {i} has {period.Variables.Count} driver values, expected {variableNames.Count}.", nameof(periods));
            }

            var root = Math.Sqrt(weights[i]);
            x[i, 0] = root;
            for (var j = 1; j < p; j++)
            {
                x[i, j] = root * period.Variables[j - 1];
            }

            y[i] = root * period.Response;
        }

        var qr = x.QR(QRMethod.Thin);
        EnsureFullRank(qr.R, variableNames);
        var beta = qr.Solve(y);
        var rInverse = qr.R.Inverse();

        var residuals = new double[n];
        var weightSum = 0.0;
        var weightedMean = 0.0;
        for (var i = 0; i < n; i++)
        {
            var predicted = beta[0];
            for (var j = 1; j < p; j++)
            {
                predicted += beta[j] * periods[i].Variables[j - 1];
            }

            residuals[i] = periods[i].Response - predicted;
            weightSum += weights[i];
            weightedMean += weights[i] * periods[i].Response;
        }

        weightedMean /= weightSum;
        double sse = 0.0, sst = 0.0, residualSum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sse += weights[i] * residuals[i] * residuals[i];
            var d = periods[i].Response - weightedMean;
            sst += weights[i] * d * d;
            residualSum += weights[i] * residuals[i];
        }

        var dof = n - p;
        var variance = sse / dof;
        var coefficients = new RegressionCoefficient[p];
        for (var j = 0; j < p; j++)
        {
            // Var(b) = σ²(RᵀR)⁻¹ = σ² R⁻¹R⁻ᵀ: the diagonal is σ² times the squared row norms of R⁻¹.
            var rowNorm = 0.0;
            for (var k = 0; k < p; k++)
            {
                rowNorm += rInverse[j, k] * rInverse[j, k];
            }

            var se = Math.Sqrt(variance * rowNorm);
            var t = beta[j] / se;
            var name = j == 0 ? RegressionModel.InterceptName : variableNames[j - 1];
            coefficients[j] = new RegressionCoefficient(name, beta[j], se, t, Inference.TwoSidedTPValue(t, dof));
        }

        var rho = Inference.Lag1Autocorrelation(residuals);
        var f = (sst - sse) / (p - 1) / variance;
        var statistics = new RegressionStatistics(
            N: n,
            Parameters: p,
            MeanResponse: weightedMean,
            SumSquaredErrors: sse,
            RSquared: 1.0 - (sse / sst),
            AdjustedRSquared: 1.0 - (variance / (sst / (n - 1))),
            CvRmse: Math.Sqrt(variance) / weightedMean,
            Nmbe: residualSum / (dof * weightedMean),
            Autocorrelation: rho,
            EffectiveN: Inference.EffectiveSampleSize(n, rho),
            FStatistic: f,
            FPValue: Inference.FisherUpperTail(f, p - 1, dof),
            ResidualStandardError: Math.Sqrt(variance));
        return new RegressionModel(coefficients, Ranges(variableNames, periods), statistics, weighted);
    }

    private static double[] NormalisedWeights(IReadOnlyList<BaselinePeriod> periods, bool weighted)
    {
        var weights = new double[periods.Count];
        if (!weighted)
        {
            Array.Fill(weights, 1.0);
            return weights;
        }

        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            var w = periods[i].Weight;
            if (!(w > 0.0) || double.IsInfinity(w))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Period {i} has weight {w}; weights must be positive and finite."), nameof(periods));
            }

            weights[i] = w;
            sum += w;
        }

        var scale = weights.Length / sum;
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] *= scale;
        }

        return weights;
    }

    private static void EnsureFullRank(Matrix<double> r, IReadOnlyList<string> variableNames)
    {
        var largest = 0.0;
        for (var j = 0; j < r.ColumnCount; j++)
        {
            largest = Math.Max(largest, Math.Abs(r[j, j]));
        }

        for (var j = 0; j < r.ColumnCount; j++)
        {
            if (!(Math.Abs(r[j, j]) > RankTolerance * largest))
            {
                var name = j == 0 ? RegressionModel.InterceptName : variableNames[j - 1];
                throw new ArgumentException($"The design matrix is singular: '{name}' is constant or a linear combination of the columns before it.", nameof(variableNames));
            }
        }
    }

    private static VariableRange[] Ranges(IReadOnlyList<string> variableNames, IReadOnlyList<BaselinePeriod> periods)
    {
        var ranges = new VariableRange[variableNames.Count];
        for (var j = 0; j < ranges.Length; j++)
        {
            var column = periods.Select(period => period.Variables[j]).ToArray();
            var mean = column.Average();
            var variance = column.Sum(v => (v - mean) * (v - mean)) / (column.Length - 1);
            ranges[j] = new VariableRange(variableNames[j], column.Min(), column.Max(), mean, Math.Sqrt(variance));
        }

        return ranges;
    }
}
