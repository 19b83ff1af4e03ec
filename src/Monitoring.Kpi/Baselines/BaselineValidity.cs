using System.Globalization;

namespace Monitoring.Kpi.Baselines;

/// <summary>ASHRAE Guideline 14 calibration interval, which sets the CV(RMSE) and NMBE acceptance limits.</summary>
public enum CalibrationInterval
{
    Monthly,
    Hourly,
}

/// <summary>Outcome of one named validity check, with the figure tested and the rule it was tested against.</summary>
public sealed record ValidityCheck(string Name, bool Passed, double Value, string Criterion);

/// <summary>
/// Thresholds for baseline validity (ISO 50006 / IPMVP practice). Defaults: F-test p &lt; 0.10, every variable
/// p &lt; 0.20 with at least one &lt; 0.10, R² ≥ 0.5, reporting means inside the baseline range or mean ± 3 SD.
/// </summary>
public sealed record ValidityCriteria
{
    public static ValidityCriteria Default { get; } = new();

    public double MaximumFTestP { get; init; } = 0.10;

    public double MaximumVariableP { get; init; } = 0.20;

    public double MaximumBestVariableP { get; init; } = 0.10;

    public double MinimumRSquared { get; init; } = 0.5;

    public double RangeStandardDeviations { get; init; } = 3.0;

    /// <summary>When set, the ASHRAE Guideline 14 CV(RMSE)/NMBE limits of that interval are checked too.</summary>
    public CalibrationInterval? Calibration { get; init; }
}

/// <summary>Runs the validity checks a baseline must report; a model is valid when every check passes.</summary>
public static class BaselineValidity
{
    /// <summary>
    /// Statistical checks of the fit and, when <paramref name="reportingVariables"/> is given (one row per reporting
    /// period, drivers in model order), the check that each driver's reporting mean stays where the model was fitted.
    /// </summary>
    public static IReadOnlyList<ValidityCheck> Check(RegressionModel model, ValidityCriteria criteria, IReadOnlyList<IReadOnlyList<double>>? reportingVariables = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(criteria);
        var s = model.Statistics;
        var checks = new List<ValidityCheck>
        {
            Below("f_test_p", s.FPValue, criteria.MaximumFTestP),
        };

        var variables = model.Coefficients.Skip(1).ToList();
        checks.AddRange(variables.Select(c => Below($"variable_p:{c.Name}", c.PValue, criteria.MaximumVariableP)));
        checks.Add(Below("best_variable_p", variables.Min(c => c.PValue), criteria.MaximumBestVariableP));
        checks.Add(new ValidityCheck("r_squared", s.RSquared >= criteria.MinimumRSquared, s.RSquared, Format($"≥ {criteria.MinimumRSquared}")));

        if (criteria.Calibration is { } interval)
        {
            var (cvLimit, nmbeLimit) = interval == CalibrationInterval.Monthly ? (0.15, 0.05) : (0.30, 0.10);
            checks.Add(new ValidityCheck("ashrae_g14_cvrmse", s.CvRmse <= cvLimit, s.CvRmse, Format($"≤ {cvLimit} ({interval})")));
            checks.Add(new ValidityCheck("ashrae_g14_nmbe", Math.Abs(s.Nmbe) <= nmbeLimit, s.Nmbe, Format($"|NMBE| ≤ {nmbeLimit} ({interval})")));
        }

        if (reportingVariables is not null)
        {
            checks.AddRange(ReportingRangeChecks(model, criteria, reportingVariables));
        }

        return checks;
    }

    private static IEnumerable<ValidityCheck> ReportingRangeChecks(RegressionModel model, ValidityCriteria criteria, IReadOnlyList<IReadOnlyList<double>> reportingVariables)
    {
        if (reportingVariables.Count == 0)
        {
            throw new ArgumentException("The reporting period has no rows.", nameof(reportingVariables));
        }

        for (var j = 0; j < model.Ranges.Count; j++)
        {
            var range = model.Ranges[j];
            var column = j;
            var mean = reportingVariables.Average(row => row[column]);
            var spread = criteria.RangeStandardDeviations * range.StandardDeviation;
            var inside = (mean >= range.Minimum && mean <= range.Maximum) || Math.Abs(mean - range.Mean) <= spread;
            yield return new ValidityCheck(
                $"reporting_range:{range.Name}",
                inside,
                mean,
                Format($"inside [{range.Minimum}, {range.Maximum}] or {range.Mean} ± {criteria.RangeStandardDeviations}·{range.StandardDeviation}"));
        }
    }

    private static ValidityCheck Below(string name, double value, double limit) => new(name, value < limit, value, Format($"< {limit}"));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
