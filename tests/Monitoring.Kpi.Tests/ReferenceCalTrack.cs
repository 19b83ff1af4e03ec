using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearRegression;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Kpi.Tests;

/// <summary>
/// A deliberately naive CalTRACK implementation for cross-checking the library: builds every candidate's design
/// matrix explicitly and fits it with MathNet's QR regression, then computes every statistic with plain loops.
/// It shares no code with the library's closed-form grid search.
/// </summary>
internal static class ReferenceCalTrack
{
    internal sealed record Candidate(CalTrackModelType Type, double? HeatingBalancePoint, double? CoolingBalancePoint, double Intercept, double BetaHdd, double BetaCdd, double RSquaredAdj);

    internal sealed record Result(Candidate Best, int Candidates, int Qualified);

    public static Result Fit(IReadOnlyList<DailyObservation> days, bool fitCooling, double maximumSlopePValue = 1.0)
    {
        var y = days.Select(d => d.Usage).ToArray();
        var best = new Candidate(CalTrackModelType.InterceptOnly, null, null, y.Average(), 0, 0, 0);
        var candidates = 1;
        var qualified = 1;
        var grid = Enumerable.Range(30, 61).Select(b => (double)b).ToArray();

        void Try(CalTrackModelType type, double? heating, double? cooling)
        {
            candidates++;
            var columns = new List<double[]>();
            if (heating is { } h)
            {
                columns.Add(days.Select(d => Math.Max(h - d.Temperature, 0)).ToArray());
            }

            if (cooling is { } c)
            {
                columns.Add(days.Select(d => Math.Max(d.Temperature - c, 0)).ToArray());
            }

            if (columns.Any(col => col.Count(v => v > 0) < 10 || col.Sum() < 20))
            {
                return;
            }

            var rows = days.Select((_, i) => columns.Select(col => col[i]).ToArray()).ToArray();
            var beta = MultipleRegression.QR(rows, y, intercept: true);
            var predicted = rows.Select(r => beta[0] + r.Select((v, j) => beta[j + 1] * v).Sum()).ToArray();
            if (beta.Any(b => b < 0) || SlopePValues(rows, y, predicted, beta).Any(p => p > maximumSlopePValue))
            {
                return;
            }

            qualified++;
            var adjusted = AdjustedRSquared(y, predicted, columns.Count);
            if (adjusted > best.RSquaredAdj)
            {
                best = new Candidate(type, heating, cooling, beta[0], heating is null ? 0 : beta[1], cooling is null ? 0 : beta[^1], adjusted);
            }
        }

        foreach (var h in grid)
        {
            Try(CalTrackModelType.HddOnly, h, null);
        }

        if (fitCooling)
        {
            foreach (var c in grid)
            {
                Try(CalTrackModelType.CddOnly, null, c);
            }

            foreach (var c in grid)
            {
                foreach (var h in grid.Where(h => h <= c))
                {
                    Try(CalTrackModelType.CddHdd, h, c);
                }
            }
        }

        return new Result(best, candidates, qualified);
    }

    /// <summary>Two-sided slope p-values from σ²(XᵀX)⁻¹ with an explicit inverse and StudentT.CDF.</summary>
    private static IEnumerable<double> SlopePValues(double[][] rows, double[] y, double[] predicted, double[] beta)
    {
        var x = Matrix<double>.Build.DenseOfRowArrays(rows.Select(r => (double[])[1.0, .. r]));
        var dof = y.Length - beta.Length;
        var variance = y.Select((v, i) => (v - predicted[i]) * (v - predicted[i])).Sum() / dof;
        var covariance = x.TransposeThisAndMultiply(x).Inverse() * variance;
        return Enumerable.Range(1, beta.Length - 1).Select(j => 2 * (1 - StudentT.CDF(0, 1, dof, Math.Abs(beta[j] / Math.Sqrt(covariance[j, j])))));
    }

    public static double Predict(Candidate model, double temperature) =>
        model.Intercept
        + (model.HeatingBalancePoint is { } h ? model.BetaHdd * Math.Max(h - temperature, 0) : 0)
        + (model.CoolingBalancePoint is { } c ? model.BetaCdd * Math.Max(temperature - c, 0) : 0);

    public static double AdjustedRSquared(double[] y, double[] predicted, int terms)
    {
        var mean = y.Average();
        double sse = 0, sst = 0;
        for (var i = 0; i < y.Length; i++)
        {
            sse += (y[i] - predicted[i]) * (y[i] - predicted[i]);
            sst += (y[i] - mean) * (y[i] - mean);
        }

        return 1 - ((sse / sst) * (y.Length - 1) / (y.Length - terms - 1));
    }

    /// <summary>pandas Series.autocorr(lag=1): Pearson correlation of the series with itself shifted by one.</summary>
    public static double Autocorrelation(double[] e)
    {
        var a = e[1..];
        var b = e[..^1];
        double ma = a.Average(), mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>eemeter's daily FSU error band at 90 %, written out from methods.md.</summary>
    public static double Band(double meanUsage, int n, int terms, double cvrmseAdj, double rho, int m)
    {
        var t = StudentT.InvCDF(0, 1, n - terms, 0.95);
        var months = m / 30.0;
        var polynomial = (-0.00024 * months * months) + (0.03535 * months) + 1.00286;
        var nPrime = n * (1 - rho) / (1 + rho);
        return meanUsage * n * t * polynomial * cvrmseAdj * Math.Sqrt(n / nPrime * (1 + (2 / nPrime)) / m);
    }
}
