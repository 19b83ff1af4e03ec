using Monitoring.Kpi.Savings;
using Monitoring.Kpi.Statistics;

namespace Monitoring.Kpi.CalTrack;

/// <summary>Reporting-period outcome of a CalTRACK model (sign: savings = counterfactual − observed, positive = saved).</summary>
/// <param name="ReportingDays">m, the reporting days with both usage and temperature.</param>
/// <param name="FsuBand">Half-width of the savings interval at <paramref name="ConfidenceLevel"/>, in usage units.</param>
public sealed record CalTrackSavings(int ReportingDays, double ReportingObserved, double Counterfactual, double Savings, double FsuBand, double ConfidenceLevel);

/// <summary>
/// A fitted CalTRACK 2.0 daily change-point model: usage/day = μ + βH·HDD(bp_H) + βC·CDD(bp_C). Immutable;
/// obtain one with <see cref="Fit"/>, then <see cref="Predict(double)"/> days or compute <see cref="Savings"/>.
/// Balance points are in the observation unit; a term that is absent has a null balance point and a zero slope.
/// </summary>
public sealed record CalTrackDailyModel
{
    internal CalTrackDailyModel()
    {
    }

    public required CalTrackModelType ModelType { get; init; }

    /// <summary>μ, usage per day independent of weather.</summary>
    public required double Intercept { get; init; }

    public required double BetaHdd { get; init; }

    public required double BetaCdd { get; init; }

    public required double? HeatingBalancePoint { get; init; }

    public required double? CoolingBalancePoint { get; init; }

    public required TemperatureUnit Unit { get; init; }

    public required double RSquaredAdj { get; init; }

    /// <summary>sqrt(SSE/(n − c)), as eemeter reports it.</summary>
    public required double RmseAdj { get; init; }

    /// <summary><see cref="RmseAdj"/> / ȳ.</summary>
    public required double CvrmseAdj { get; init; }

    /// <summary>Lag-1 autocorrelation of the baseline residuals in date order.</summary>
    public required double AutocorrResid { get; init; }

    /// <summary>n, the baseline days used.</summary>
    public required int BaselineDays { get; init; }

    /// <summary>Days between the first and last baseline day without data; CalTRACK allows at most 37 in a year.</summary>
    public required int MissingBaselineDays { get; init; }

    /// <summary>ȳ, mean baseline usage per day.</summary>
    public required double MeanUsage { get; init; }

    /// <summary>All candidates of the grid, including those skipped for too few degree days.</summary>
    public required int NCandidates { get; init; }

    /// <summary>Candidates fitted with non-negative intercept and slopes (intercept-only included).</summary>
    public required int NQualified { get; init; }

    public required double ConfidenceLevel { get; init; }

    /// <summary>c, the number of degree-day terms.</summary>
    public int DegreeDayTerms => TermsOf(ModelType);

    /// <summary>
    /// Fits CalTRACK 2.0 daily candidates in CalTRACK's order (intercept-only, heating-only, cooling-only,
    /// heating+cooling with bp_H ≤ bp_C) and keeps the qualified one with the highest R²adj (ties keep the first).
    /// </summary>
    /// <param name="baseline">Baseline days in ascending date order, one observation per day.</param>
    public static CalTrackDailyModel Fit(IReadOnlyList<DailyObservation> baseline, CalTrackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        options ??= CalTrackOptions.Default;
        var n = baseline.Count;
        if (n < 3)
        {
            throw new ArgumentException($"A CalTRACK baseline needs at least 3 days with usage and temperature; got {n}.", nameof(baseline));
        }

        var temperatures = new double[n];
        var usage = new double[n];
        for (var i = 0; i < n; i++)
        {
            var day = baseline[i];
            if (!double.IsFinite(day.Usage) || !double.IsFinite(day.Temperature))
            {
                throw new ArgumentException($"Baseline day {day.Date:yyyy-MM-dd} has a non-finite usage or temperature; leave missing days out instead.", nameof(baseline));
            }

            if (i > 0 && day.Date <= baseline[i - 1].Date)
            {
                throw new ArgumentException($"Baseline days must be in strictly ascending date order ({day.Date:yyyy-MM-dd} follows {baseline[i - 1].Date:yyyy-MM-dd}).", nameof(baseline));
            }

            temperatures[i] = day.Temperature;
            usage[i] = day.Usage;
        }

        var grid = options.BalancePoints();
        var selection = DegreeDayGridSearch.Run(temperatures, usage, grid, options);
        double? heatingBalancePoint = selection.HeatingIndex >= 0 ? grid[selection.HeatingIndex] : null;
        double? coolingBalancePoint = selection.CoolingIndex >= 0 ? grid[selection.CoolingIndex] : null;

        // Final statistics from the residuals themselves, not from the sums the search used.
        var residuals = new double[n];
        double mean = 0.0, sse = 0.0, syy = 0.0;
        foreach (var y in usage)
        {
            mean += y;
        }

        mean /= n;
        for (var i = 0; i < n; i++)
        {
            residuals[i] = usage[i] - Evaluate(selection.Intercept, selection.BetaHdd, selection.BetaCdd, heatingBalancePoint, coolingBalancePoint, temperatures[i]);
            sse += residuals[i] * residuals[i];
            syy += (usage[i] - mean) * (usage[i] - mean);
        }

        var terms = TermsOf(selection.Type);
        var rmse = Math.Sqrt(sse / (n - terms));
        return new CalTrackDailyModel
        {
            ModelType = selection.Type,
            Intercept = selection.Intercept,
            BetaHdd = selection.BetaHdd,
            BetaCdd = selection.BetaCdd,
            HeatingBalancePoint = heatingBalancePoint,
            CoolingBalancePoint = coolingBalancePoint,
            Unit = options.Unit,
            RSquaredAdj = terms == 0 ? 0.0 : DegreeDayGridSearch.AdjustedRSquared(sse, syy, n, terms),
            RmseAdj = rmse,
            CvrmseAdj = rmse / mean,
            AutocorrResid = Inference.Lag1Autocorrelation(residuals),
            BaselineDays = n,
            MissingBaselineDays = baseline[^1].Date.DayNumber - baseline[0].Date.DayNumber + 1 - n,
            MeanUsage = mean,
            NCandidates = selection.CandidateCount,
            NQualified = selection.QualifiedCount,
            ConfidenceLevel = options.ConfidenceLevel,
        };
    }

    /// <summary>Counterfactual usage of one day at mean temperature <paramref name="temperature"/>.</summary>
    public double Predict(double temperature) => Evaluate(Intercept, BetaHdd, BetaCdd, HeatingBalancePoint, CoolingBalancePoint, temperature);

    /// <summary>Counterfactual usage of each day (for per-day series and CUSUM charts), in input order.</summary>
    public IReadOnlyList<double> Predict(IReadOnlyList<DailyObservation> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        var counterfactual = new double[days.Count];
        for (var i = 0; i < counterfactual.Length; i++)
        {
            counterfactual[i] = Predict(days[i].Temperature);
        }

        return counterfactual;
    }

    /// <summary>
    /// Avoided use over the reporting days: Σ(counterfactual − observed), with CalTRACK's daily FSU band
    /// (ȳ·n) · t(dof = n − c) · (a·M² + b·M + d) · CV(RMSE)adj · sqrt((n/n')(1 + 2/n')(1/m)), M = m/30.
    /// </summary>
    public CalTrackSavings Savings(IReadOnlyList<DailyObservation> reporting)
    {
        ArgumentNullException.ThrowIfNull(reporting);
        if (reporting.Count == 0)
        {
            throw new ArgumentException("The reporting period has no days with usage and temperature.", nameof(reporting));
        }

        double observed = 0.0, counterfactual = 0.0;
        foreach (var day in reporting)
        {
            if (!double.IsFinite(day.Usage) || !double.IsFinite(day.Temperature))
            {
                throw new ArgumentException($"Reporting day {day.Date:yyyy-MM-dd} has a non-finite usage or temperature; leave missing days out instead.", nameof(reporting));
            }

            observed += day.Usage;
            counterfactual += Predict(day.Temperature);
        }

        var m = reporting.Count;
        var dof = BaselineDays - DegreeDayTerms;
        var inputs = new UncertaintyInputs(CvrmseAdj, BaselineDays, Inference.EffectiveSampleSize(BaselineDays, AutocorrResid), dof, m);
        var halfWidth = SavingsUncertainty.RelativeHalfWidth(
            SavingsUncertainty.Factor(FsuMethod.CalTrackDaily, m),
            Inference.TwoSidedStudentT(ConfidenceLevel, dof),
            inputs);
        return new CalTrackSavings(m, observed, counterfactual, counterfactual - observed, MeanUsage * BaselineDays * halfWidth, ConfidenceLevel);
    }

    private static int TermsOf(CalTrackModelType type) => type switch
    {
        CalTrackModelType.InterceptOnly => 0,
        CalTrackModelType.CddHdd => 2,
        _ => 1,
    };

    private static double Evaluate(double intercept, double betaHdd, double betaCdd, double? heatingBalancePoint, double? coolingBalancePoint, double temperature)
    {
        var value = intercept;
        if (heatingBalancePoint is { } h)
        {
            value += betaHdd * Math.Max(h - temperature, 0.0);
        }

        if (coolingBalancePoint is { } c)
        {
            value += betaCdd * Math.Max(temperature - c, 0.0);
        }

        return value;
    }
}
