using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>baseline fit --method caltrack-daily</c> output. Names are eemeter's where eemeter has one (model_type,
/// r_squared_adj, cvrmse_adj, autocorr_resid, n_candidates, …). Slopes and balance points of absent terms are null;
/// the reporting figures are null when the file has no reporting days.
/// </summary>
internal sealed record CalTrackReport(
    string Method,
    CalTrackModelType ModelType,
    double Intercept,
    double? BetaHdd,
    double? BetaCdd,
    double? HeatingBalancePoint,
    double? CoolingBalancePoint,
    string TemperatureUnit,
    double RSquaredAdj,
    double RmseAdj,
    double CvrmseAdj,
    double AutocorrResid,
    int NCandidates,
    int NQualified,
    bool FitCooling,
    double MaxSlopeP,
    int BaselineDays,
    int MissingBaselineDays,
    double BaselineMeanUsage,
    int ReportingDays,
    double? ReportingObserved,
    double? Counterfactual,
    double? Savings,
    double? FsuBand,
    double ConfidenceLevel,
    IReadOnlyList<string> Warnings);

/// <summary>One coefficient of the regression with its inference (t = estimate / std_error, two-sided p).</summary>
internal sealed record CoefficientReport(string Name, double Estimate, double StdError, double T, double P);

/// <summary>One validity check: the figure tested and the rule (ISO 50006 / IPMVP practice).</summary>
internal sealed record CheckReport(string Name, bool Passed, double Value, string Criterion);

/// <summary>One driver subset tried; <c>failure</c> says why it could not be fitted (then r_squared_adj is null).</summary>
internal sealed record CandidateReport(IReadOnlyList<string> Variables, bool Valid, double? RSquaredAdj, string? Failure);

/// <summary>
/// <c>baseline fit --method regression</c> output: the chosen model (or, when no candidate is valid, the best
/// fitted one with valid = false), its statistics, every check and, with reporting days, the IPMVP savings and the
/// ASHRAE Guideline 14 fractional savings uncertainty.
/// </summary>
internal sealed record RegressionReport(
    string Method,
    string ModelType,
    bool Valid,
    IReadOnlyList<string> Variables,
    double HddBase,
    double? CddBase,
    string TemperatureUnit,
    IReadOnlyList<CoefficientReport> Coefficients,
    double RSquared,
    double RSquaredAdj,
    double Cvrmse,
    double Nmbe,
    double AutocorrResid,
    double FStatistic,
    double FTestP,
    double ResidualStdError,
    IReadOnlyList<CheckReport> Checks,
    IReadOnlyList<CandidateReport> Candidates,
    int BaselineDays,
    int ReportingDays,
    double? AdjustedBaselineTotal,
    double? ActualTotal,
    double? Savings,
    double? Improvement,
    double? FractionalSavingsUncertainty,
    double? SavingsUncertainty,
    string FsuMethod,
    double ConfidenceLevel);

/// <summary>Prints the reports as one indented JSON object or as aligned text tables; numbers are invariant.</summary>
internal static class BaselineReportWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Criteria such as "≥ 0.5" stay readable; the output is a terminal or a file, never HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new FiniteDoubleConverter() },
    };

    public static void WriteJson<TReport>(TextWriter output, TReport report)
    {
        output.WriteLine(JsonSerializer.Serialize(report, Json));
    }

    public static void WriteTable(TextWriter output, string input, CalTrackReport r)
    {
        output.WriteLine($"CalTRACK 2.0 daily baseline of {input}");
        output.WriteLine();
        var unit = "°" + r.TemperatureUnit;
        Pairs(output,
        [
            ["model type", JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ModelType.ToString())],
            ["intercept (per day)", Number(r.Intercept)],
            ["beta HDD", Number(r.BetaHdd)],
            ["beta CDD", Number(r.BetaCdd)],
            ["heating balance point", Number(r.HeatingBalancePoint, unit)],
            ["cooling balance point", Number(r.CoolingBalancePoint, unit)],
            ["R² adj", Number(r.RSquaredAdj)],
            ["RMSE adj", Number(r.RmseAdj)],
            ["CV(RMSE) adj", Number(r.CvrmseAdj)],
            ["residual autocorrelation", Number(r.AutocorrResid)],
            ["candidates (qualified)", $"{Count(r.NCandidates)} ({Count(r.NQualified)})"],
            ["cooling candidates", r.FitCooling ? "yes" : "no (--no-cooling)"],
            ["max slope p-value", Number(r.MaxSlopeP)],
            ["baseline days (missing)", $"{Count(r.BaselineDays)} ({Count(r.MissingBaselineDays)})"],
            ["baseline mean usage/day", Number(r.BaselineMeanUsage)],
        ]);
        output.WriteLine();
        output.WriteLine("Reporting period");
        if (r.ReportingDays == 0)
        {
            output.WriteLine("  (no reporting days in the file)");
        }
        else
        {
            Pairs(output,
            [
                ["days", Count(r.ReportingDays)],
                ["observed", Number(r.ReportingObserved)],
                ["counterfactual", Number(r.Counterfactual)],
                ["savings", Number(r.Savings)],
                [$"savings band ({Percent(r.ConfidenceLevel)})", "± " + Number(r.FsuBand)],
            ]);
        }

        Warnings(output, r.Warnings);
    }

    public static void WriteTable(TextWriter output, string input, RegressionReport r)
    {
        var unit = "°" + r.TemperatureUnit;
        output.WriteLine($"Regression baseline (ISO 50006 / IPMVP) of {input}: {(r.Valid ? "valid" : "NOT VALID")}");
        output.WriteLine();
        var bases = $"HDD base {Number(r.HddBase, unit)}" + (r.CddBase is { } c ? $", CDD base {Number(c, unit)}" : string.Empty);
        Pairs(output,
        [
            ["variables", string.Join(", ", r.Variables)],
            ["degree days", bases],
            ["baseline days", Count(r.BaselineDays)],
            ["R²", Number(r.RSquared)],
            ["R² adj", Number(r.RSquaredAdj)],
            ["CV(RMSE)", Number(r.Cvrmse)],
            ["NMBE", Number(r.Nmbe)],
            ["residual autocorrelation", Number(r.AutocorrResid)],
            ["F (p)", $"{Number(r.FStatistic)} ({Number(r.FTestP)})"],
            ["residual std error", Number(r.ResidualStdError)],
        ]);
        output.WriteLine();
        output.WriteLine("Coefficients");
        Table(output, [["name", "estimate", "std error", "t", "p"], .. r.Coefficients.Select(k => new[] { k.Name, Number(k.Estimate), Number(k.StdError), Number(k.T), Number(k.P) })]);
        output.WriteLine();
        output.WriteLine("Validity checks");
        Table(output, [["check", "passed", "value", "criterion"], .. r.Checks.Select(k => new[] { k.Name, k.Passed ? "yes" : "NO", Number(k.Value), k.Criterion })]);
        output.WriteLine();
        output.WriteLine("Candidates");
        Table(output, [["variables", "valid", "R² adj"], .. r.Candidates.Select(k => new[] { string.Join('+', k.Variables), k.Valid ? "yes" : "no", k.Failure ?? Number(k.RSquaredAdj) })]);
        output.WriteLine();
        output.WriteLine("Reporting period");
        if (r.ReportingDays == 0)
        {
            output.WriteLine("  (no reporting days in the file)");
            return;
        }

        Pairs(output,
        [
            ["days", Count(r.ReportingDays)],
            ["adjusted baseline", Number(r.AdjustedBaselineTotal)],
            ["actual", Number(r.ActualTotal)],
            ["savings", Number(r.Savings)],
            ["improvement", r.Improvement is { } i ? Percent(i) : "n/a"],
            [$"savings uncertainty ({Percent(r.ConfidenceLevel)}, G14)", r.SavingsUncertainty is { } u ? $"± {Number(u)} (FSU {Percent(r.FractionalSavingsUncertainty!.Value)})" : "n/a"],
        ]);
    }

    private static void Warnings(TextWriter output, IReadOnlyList<string> warnings)
    {
        foreach (var warning in warnings)
        {
            output.WriteLine();
            output.WriteLine($"warning: {warning}");
        }
    }

    /// <summary>Seven significant digits: enough to compare with a reference, short enough to read.</summary>
    private static string Number(double? value, string unit = "") => value switch
    {
        null => "n/a",
        { } v when !double.IsFinite(v) => "n/a",
        { } v => v.ToString("G7", Invariant) + (unit.Length > 0 ? " " + unit : string.Empty),
    };

    private static string Count(int value) => value.ToString(Invariant);

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", Invariant) + " %";

    /// <summary>Label/value pairs, both left-aligned.</summary>
    private static void Pairs(TextWriter output, IReadOnlyList<string[]> rows) => Table(output, rows, alignNumbers: false);

    /// <summary>
    /// Columns padded to their widest cell. With <paramref name="alignNumbers"/> (tables whose first row is a header)
    /// a column whose cells below the header are all numbers is right-aligned, header included, so digits line up.
    /// </summary>
    private static void Table(TextWriter output, IReadOnlyList<string[]> rows, bool alignNumbers = true)
    {
        var columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(i => rows.Max(r => i < r.Length ? r[i].Length : 0)).ToArray();
        var right = Enumerable.Range(0, columns)
            .Select(i => alignNumbers && i > 0 && rows.Skip(1).All(r => i < r.Length && LooksNumeric(r[i])))
            .ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => right[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            output.WriteLine(("  " + string.Join("  ", cells)).TrimEnd());
        }
    }

    private static bool LooksNumeric(string cell) =>
        cell.Length > 0 && double.TryParse(cell, NumberStyles.Float, Invariant, out _);

    /// <summary>NaN or ±∞ (a perfect fit's t, a p-value of nothing) cannot be JSON numbers: they are written as null.</summary>
    private sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
