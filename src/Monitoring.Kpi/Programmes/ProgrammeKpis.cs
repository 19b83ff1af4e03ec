namespace Monitoring.Kpi.Programmes;

/// <summary>Change against the baseline year; <see cref="Fraction"/> is positive for a reduction (0.12 = −12 %).</summary>
public sealed record ReductionVsBaseline(double Absolute, double Fraction);

/// <summary>Headline programme figures for sites, ecosystems and the programme as a whole.</summary>
public static class ProgrammeKpis
{
    /// <summary>Reduction = baseline − current, absolute and as a fraction of the baseline.</summary>
    public static ReductionVsBaseline Reduction(double baseline, double current)
    {
        if (!(baseline > 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(baseline), baseline, "The baseline-year value must be positive.");
        }

        var absolute = baseline - current;
        return new ReductionVsBaseline(absolute, absolute / baseline);
    }

    /// <summary>Renewable energy / total energy consumed, as a fraction.</summary>
    public static double RenewableShare(double renewable, double total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(renewable);
        if (!(total > 0.0) || renewable > total)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total, "Total energy must be positive and at least the renewable part.");
        }

        return renewable / total;
    }
}
