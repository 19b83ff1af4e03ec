using System.Globalization;
using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.CalTrack;
using Monitoring.Kpi.Savings;

namespace Monitoring.Server.Cli;

/// <summary>
/// The two methods of <c>monitoring baseline fit</c>, from a CalTRACK daily table to a flat report. Absent terms are
/// null (never 0), reporting figures are null when the file has no reporting days, so every key is always present.
/// </summary>
internal static class BaselineFit
{
    /// <summary>CalTRACK 2.0 daily data sufficiency: a 365-day baseline with at most 37 days missing.</summary>
    private const int CalTrackBaselineDays = 365;

    private const int CalTrackMaximumMissingDays = 37;

    /// <summary>Variable names of the regression method, in candidate order.</summary>
    public const string Hdd = "hdd";

    public const string Cdd = "cdd";

    public static CalTrackReport CalTrack(CalTrackDataset data, BaselineFitRequest request)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        var baseline = data.Baseline;
        if (baseline.Count < 3)
        {
            throw new InputException(Invariant($"{request.Input}: the baseline has {baseline.Count} day(s) with usage and temperature; the CalTRACK daily method needs at least 3 (and asks for {CalTrackBaselineDays})."));
        }

        CheckAscending(baseline, request.Input, "baseline");
        CheckAscending(data.Reporting, request.Input, "reporting");
        var options = CalTrackOptions.Default with
        {
            FitCooling = request.FitCooling,
            Unit = request.Unit,
            MaximumSlopePValue = request.MaximumSlopePValue,
            ConfidenceLevel = request.ConfidenceLevel,
        };
        var model = CalTrackDailyModel.Fit(baseline, options);
        var savings = data.Reporting.Count > 0 ? model.Savings(data.Reporting) : null;

        var warnings = new List<string>();
        var span = baseline[^1].Date.DayNumber - baseline[0].Date.DayNumber + 1;
        if (span < CalTrackBaselineDays || model.MissingBaselineDays > CalTrackMaximumMissingDays)
        {
            warnings.Add(Invariant($"the baseline spans {span} days with {model.MissingBaselineDays} missing; CalTRACK asks for {CalTrackBaselineDays} days with at most {CalTrackMaximumMissingDays} missing"));
        }

        return new CalTrackReport(
            Method: BaselineCommand.CalTrackDaily,
            ModelType: model.ModelType,
            Intercept: model.Intercept,
            BetaHdd: model.HeatingBalancePoint is null ? null : model.BetaHdd,
            BetaCdd: model.CoolingBalancePoint is null ? null : model.BetaCdd,
            HeatingBalancePoint: model.HeatingBalancePoint,
            CoolingBalancePoint: model.CoolingBalancePoint,
            TemperatureUnit: UnitName(request.Unit),
            RSquaredAdj: model.RSquaredAdj,
            RmseAdj: model.RmseAdj,
            CvrmseAdj: model.CvrmseAdj,
            AutocorrResid: model.AutocorrResid,
            NCandidates: model.NCandidates,
            NQualified: model.NQualified,
            FitCooling: request.FitCooling,
            MaxSlopeP: request.MaximumSlopePValue,
            BaselineDays: model.BaselineDays,
            MissingBaselineDays: model.MissingBaselineDays,
            BaselineMeanUsage: model.MeanUsage,
            ReportingDays: data.Reporting.Count,
            ReportingObserved: savings?.ReportingObserved,
            Counterfactual: savings?.Counterfactual,
            Savings: savings?.Savings,
            FsuBand: savings?.FsuBand,
            ConfidenceLevel: request.ConfidenceLevel,
            Warnings: warnings);
    }

    public static RegressionReport Regression(CalTrackDataset data, BaselineFitRequest request)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        string[] names = request.FitCooling ? [Hdd, Cdd] : [Hdd];
        var minimum = names.Length + 2;
        if (data.Baseline.Count < minimum)
        {
            throw new InputException(Invariant($"{request.Input}: the baseline has {data.Baseline.Count} day(s) with usage and temperature; a regression on {string.Join(" and ", names)} needs at least {minimum}."));
        }

        CheckAscending(data.Baseline, request.Input, "baseline");
        CheckAscending(data.Reporting, request.Input, "reporting");
        var periods = data.Baseline.Select(d => new BaselinePeriod(d.Usage, DegreeDays(d.Temperature, request, names.Length))).ToArray();
        var selection = CandidateSelection.SelectBest(names, periods, ValidityCriteria.Default);

        // The selected (valid) candidate, else the best fitted one, reported as invalid: it is still an answer.
        var chosen = selection.Best ?? selection.Candidates
            .Where(c => c.Model is not null)
            .Aggregate((RegressionCandidate?)null, (best, c) => best is null || c.Model!.Statistics.AdjustedRSquared > best.Model!.Statistics.AdjustedRSquared ? c : best);
        if (chosen?.Model is not { } model)
        {
            var reasons = selection.Candidates.Select(c => $"{string.Join('+', c.Variables)}: {StripParameter(c.FailureReason)}");
            throw new InputException($"{request.Input}: no regression candidate could be fitted ({string.Join("; ", reasons)}).");
        }

        // Only the chosen model's drivers, in its order, for the reporting days.
        var columns = chosen.Variables.Select(v => Array.IndexOf(names, v)).ToArray();
        IReadOnlyList<double> Drivers(DailyObservation day)
        {
            var all = DegreeDays(day.Temperature, request, names.Length);
            return [.. columns.Select(j => all[j])];
        }

        var reporting = data.Reporting.Select(Drivers).ToArray();
        var checks = reporting.Length > 0 ? BaselineValidity.Check(model, ValidityCriteria.Default, reporting) : chosen.Checks;
        var s = model.Statistics;

        double? adjusted = null, actual = null, saved = null, improvement = null, fsu = null, uncertainty = null;
        if (reporting.Length > 0)
        {
            var result = SavingsCalculator.Compute(model, reporting, [.. data.Reporting.Select(d => d.Usage)]);
            (adjusted, actual, saved, improvement) = (result.TotalExpected, result.TotalActual, result.TotalSavings, result.Improvement);
            if (result.TotalSavings != 0.0 && double.IsFinite(result.Improvement))
            {
                var fractional = SavingsUncertainty.Fractional(FsuMethod.AshraeG14, UncertaintyInputs.FromModel(model, reporting.Length), result.Improvement, request.ConfidenceLevel);
                fsu = Math.Abs(fractional.Value);
                uncertainty = Math.Abs(fractional.Value * result.TotalSavings);
            }
        }

        return new RegressionReport(
            Method: BaselineCommand.Regression,
            ModelType: BaselineCommand.Regression,
            Valid: chosen.IsValid && checks.All(c => c.Passed),
            Variables: chosen.Variables,
            HddBase: request.HddBase,
            CddBase: request.FitCooling ? request.CddBase : null,
            TemperatureUnit: UnitName(request.Unit),
            Coefficients: [.. model.Coefficients.Select(c => new CoefficientReport(c.Name, c.Estimate, c.StandardError, c.TValue, c.PValue))],
            RSquared: s.RSquared,
            RSquaredAdj: s.AdjustedRSquared,
            Cvrmse: s.CvRmse,
            Nmbe: s.Nmbe,
            AutocorrResid: s.Autocorrelation,
            FStatistic: s.FStatistic,
            FTestP: s.FPValue,
            ResidualStdError: s.ResidualStandardError,
            Checks: [.. checks.Select(c => new CheckReport(c.Name, c.Passed, c.Value, c.Criterion))],
            Candidates: [.. selection.Candidates.Select(c => new CandidateReport(c.Variables, c.IsValid, c.Model?.Statistics.AdjustedRSquared, c.Model is null ? StripParameter(c.FailureReason) : null))],
            BaselineDays: s.N,
            ReportingDays: reporting.Length,
            AdjustedBaselineTotal: adjusted,
            ActualTotal: actual,
            Savings: saved,
            Improvement: improvement,
            FractionalSavingsUncertainty: fsu,
            SavingsUncertainty: uncertainty,
            FsuMethod: "ashrae_g14",
            ConfidenceLevel: request.ConfidenceLevel);
    }

    /// <summary>[HDD] or [HDD, CDD] of one day at the request's base temperatures.</summary>
    private static double[] DegreeDays(double temperature, BaselineFitRequest request, int count) => count == 1
        ? [Math.Max(request.HddBase - temperature, 0.0)]
        : [Math.Max(request.HddBase - temperature, 0.0), Math.Max(temperature - request.CddBase, 0.0)];

    /// <summary>Both methods use residual order (autocorrelation); a shuffled or duplicated day is an input error.</summary>
    private static void CheckAscending(IReadOnlyList<DailyObservation> days, string input, string period)
    {
        for (var i = 1; i < days.Count; i++)
        {
            if (days[i].Date <= days[i - 1].Date)
            {
                throw new InputException(Invariant($"{input}: {period} day {days[i].Date:yyyy-MM-dd} follows {days[i - 1].Date:yyyy-MM-dd}; days must be in strictly ascending order, one row per day."));
            }
        }
    }

    private static string UnitName(TemperatureUnit unit) => unit == TemperatureUnit.Celsius ? "C" : "F";

    /// <summary>ArgumentException messages end with " (Parameter 'x')", which means nothing to a command-line user.</summary>
    private static string? StripParameter(string? message)
    {
        const string Marker = " (Parameter '";
        var at = message?.LastIndexOf(Marker, StringComparison.Ordinal) ?? -1;
        return at > 0 ? message![..at] : message;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
