using Monitoring.Kpi.Statistics;

namespace Monitoring.Kpi.CalTrack;

/// <summary>
/// CalTRACK 2.0 candidate search by closed-form least squares from per-balance-point sums. Each balance point's
/// heating and cooling columns are summarised once (O(grid·n)); every candidate is then O(1) and allocation-free.
/// For bp_H ≤ bp_C a day cannot have both HDD and CDD, so Σ HDD·CDD = 0 and the two-term fit needs no pair sums.
/// </summary>
internal static class DegreeDayGridSearch
{
    /// <summary>Relative determinant below which a two-term design is treated as singular.</summary>
    private const double SingularTolerance = 1e-12;

    /// <summary>
    /// R²adj gains below this are rounding noise (e.g. balance points that all lie above every temperature give the
    /// same fit): they count as ties, and ties keep the earlier candidate as CalTRACK requires.
    /// </summary>
    private const double TieTolerance = 1e-12;

    /// <summary>Selected candidate: balance points are grid indexes (−1 when the term is absent).</summary>
    internal readonly record struct Selection(
        CalTrackModelType Type,
        int HeatingIndex,
        int CoolingIndex,
        double Intercept,
        double BetaHdd,
        double BetaCdd,
        int CandidateCount,
        int QualifiedCount);

    /// <summary>Σ over days of a degree-day column x: Σx, Σx², Σx·(y − ȳ) and the number of days with x &gt; 0.</summary>
    private struct ColumnSums
    {
        public double Sum;
        public double SumSquares;
        public double SumCentredProduct;
        public int NonZeroDays;
    }

    /// <summary>A fitted candidate; <see cref="SlopePValue"/> is the larger slope p-value, computed only when tested.</summary>
    private readonly record struct Fit(double Intercept, double BetaHdd, double BetaCdd, double AdjustedRSquared, double SlopePValue);

    public static Selection Run(ReadOnlySpan<double> temperatures, ReadOnlySpan<double> usage, double[] grid, CalTrackOptions options)
    {
        var n = usage.Length;
        var mean = 0.0;
        foreach (var y in usage)
        {
            mean += y;
        }

        mean /= n;
        var syy = 0.0;
        foreach (var y in usage)
        {
            syy += (y - mean) * (y - mean);
        }

        var heating = new ColumnSums[grid.Length];
        var cooling = new ColumnSums[grid.Length];
        for (var k = 0; k < grid.Length; k++)
        {
            for (var i = 0; i < n; i++)
            {
                var centred = usage[i] - mean;
                Accumulate(ref heating[k], grid[k] - temperatures[i], centred);
                Accumulate(ref cooling[k], temperatures[i] - grid[k], centred);
            }
        }

        var minimumTotal = options.MinimumTotalDegreeDays;
        var maximumPValue = options.MaximumSlopePValue;
        var testSlopes = maximumPValue < 1.0;
        var best = new Selection(CalTrackModelType.InterceptOnly, -1, -1, mean, 0.0, 0.0, 0, 0);
        var bestAdjusted = 0.0; // CalTRACK defines R²adj of the intercept-only model as 0.
        var candidates = 1;
        var qualified = 1;

        void Consider(CalTrackModelType type, int heatingIndex, int coolingIndex, Fit? fit)
        {
            candidates++;
            if (fit is not { } f || f.Intercept < 0.0 || f.BetaHdd < 0.0 || f.BetaCdd < 0.0 || f.SlopePValue > maximumPValue)
            {
                return;
            }

            qualified++;
            if (f.AdjustedRSquared > bestAdjusted + TieTolerance)
            {
                bestAdjusted = f.AdjustedRSquared;
                best = new Selection(type, heatingIndex, coolingIndex, f.Intercept, f.BetaHdd, f.BetaCdd, 0, 0);
            }
        }

        for (var k = 0; k < grid.Length; k++)
        {
            Consider(CalTrackModelType.HddOnly, k, -1, Qualifies(heating[k]) ? FitOne(heating[k], n, mean, syy, testSlopes, heatingTerm: true) : null);
        }

        if (options.FitCooling)
        {
            for (var k = 0; k < grid.Length; k++)
            {
                Consider(CalTrackModelType.CddOnly, -1, k, Qualifies(cooling[k]) ? FitOne(cooling[k], n, mean, syy, testSlopes, heatingTerm: false) : null);
            }

            for (var c = 0; c < grid.Length; c++)
            {
                for (var h = 0; h <= c; h++)
                {
                    Consider(CalTrackModelType.CddHdd, h, c, Qualifies(heating[h]) && Qualifies(cooling[c]) ? FitTwo(heating[h], cooling[c], n, mean, syy, testSlopes) : null);
                }
            }
        }

        return best with { CandidateCount = candidates, QualifiedCount = qualified };

        bool Qualifies(in ColumnSums column) => column.NonZeroDays >= options.MinimumNonZeroDays && column.Sum >= minimumTotal;
    }

    private static void Accumulate(ref ColumnSums sums, double degreeDays, double centredUsage)
    {
        if (degreeDays > 0.0)
        {
            sums.Sum += degreeDays;
            sums.SumSquares += degreeDays * degreeDays;
            sums.SumCentredProduct += degreeDays * centredUsage;
            sums.NonZeroDays++;
        }
    }

    private static Fit? FitOne(in ColumnSums x, int n, double mean, double syy, bool testSlope, bool heatingTerm)
    {
        var sxx = x.SumSquares - (x.Sum * x.Sum / n);
        if (!(sxx > 0.0))
        {
            return null;
        }

        var beta = x.SumCentredProduct / sxx;
        var intercept = mean - (beta * x.Sum / n);
        var sse = syy - (beta * x.SumCentredProduct);
        var adjusted = AdjustedRSquared(sse, syy, n, terms: 1);
        var pValue = testSlope ? SlopePValue(beta, sse / (n - 2) / sxx, n - 2) : 0.0;
        return heatingTerm ? new Fit(intercept, beta, 0.0, adjusted, pValue) : new Fit(intercept, 0.0, beta, adjusted, pValue);
    }

    private static Fit? FitTwo(in ColumnSums h, in ColumnSums c, int n, double mean, double syy, bool testSlopes)
    {
        var shh = h.SumSquares - (h.Sum * h.Sum / n);
        var scc = c.SumSquares - (c.Sum * c.Sum / n);
        var shc = -(h.Sum * c.Sum / n); // Σ HDD·CDD = 0 when bp_H ≤ bp_C.
        var determinant = (shh * scc) - (shc * shc);
        if (!(determinant > SingularTolerance * shh * scc))
        {
            return null;
        }

        var betaHdd = ((h.SumCentredProduct * scc) - (c.SumCentredProduct * shc)) / determinant;
        var betaCdd = ((c.SumCentredProduct * shh) - (h.SumCentredProduct * shc)) / determinant;
        var intercept = mean - (betaHdd * h.Sum / n) - (betaCdd * c.Sum / n);
        var sse = syy - (betaHdd * h.SumCentredProduct) - (betaCdd * c.SumCentredProduct);
        var pValue = 0.0;
        if (testSlopes)
        {
            // Var(β) = σ²·(centred normal matrix)⁻¹: diagonal entries Scc/det and Shh/det.
            var variance = sse / (n - 3);
            pValue = Math.Max(SlopePValue(betaHdd, variance * scc / determinant, n - 3), SlopePValue(betaCdd, variance * shh / determinant, n - 3));
        }

        return new Fit(intercept, betaHdd, betaCdd, AdjustedRSquared(sse, syy, n, terms: 2), pValue);
    }

    private static double SlopePValue(double beta, double variance, int degreesOfFreedom) =>
        Inference.TwoSidedTPValue(beta / Math.Sqrt(variance), degreesOfFreedom);

    /// <summary>R²adj = 1 − (1 − R²)(n − 1)/(n − c − 1), c = number of degree-day terms (statsmodels' definition).</summary>
    internal static double AdjustedRSquared(double sse, double syy, int n, int terms)
    {
        var rSquared = syy > 0.0 ? 1.0 - (sse / syy) : 0.0;
        return 1.0 - ((1.0 - rSquared) * (n - 1) / (n - terms - 1));
    }
}
