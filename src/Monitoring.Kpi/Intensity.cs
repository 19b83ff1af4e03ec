namespace Monitoring.Kpi;

/// <summary>Ratio EnPI for a baseline and a reporting period (ISO 50006): SEC, water intensity, CO2e per unit.</summary>
/// <param name="Improvement">(baseline − reporting) / baseline: positive when the reporting period is more efficient.</param>
public sealed record IntensityComparison(double Baseline, double Reporting, double Improvement);

/// <summary>
/// Consumption per unit of output (specific energy consumption kWh/t, water intensity m³/unit). Ratios of sums,
/// never means of ratios, so a low-output period does not dominate the figure.
/// </summary>
public static class Intensity
{
    /// <summary>Σ consumption / Σ output.</summary>
    public static double Ratio(IEnumerable<double> consumption, IEnumerable<double> output)
    {
        ArgumentNullException.ThrowIfNull(consumption);
        ArgumentNullException.ThrowIfNull(output);
        var denominator = output.Sum();
        if (!(denominator > 0.0))
        {
            throw new ArgumentException("Total output must be positive to compute an intensity.", nameof(output));
        }

        return consumption.Sum() / denominator;
    }

    /// <summary>Baseline and reporting intensities and the improvement between them.</summary>
    public static IntensityComparison Compare(
        IEnumerable<double> baselineConsumption,
        IEnumerable<double> baselineOutput,
        IEnumerable<double> reportingConsumption,
        IEnumerable<double> reportingOutput)
    {
        var baseline = Ratio(baselineConsumption, baselineOutput);
        var reporting = Ratio(reportingConsumption, reportingOutput);
        return new IntensityComparison(baseline, reporting, (baseline - reporting) / baseline);
    }
}
