namespace Monitoring.Aggregation;

/// <summary>Quality flags: what happened to the data of an interval (methods.md §Counters). Combined with OR.</summary>
[Flags]
public enum IntervalQuality
{
    None = 0,
    /// <summary>A counter register wrapped at its modulus; consumption is <c>cur + M - prev</c>.</summary>
    Rollover = 1 << 0,
    /// <summary>The register went slightly backwards (jitter); consumption 0, the reference kept.</summary>
    Dip = 1 << 1,
    /// <summary>The register restarted without a registered replacement; consumption is the new value.</summary>
    Reset = 1 << 2,
    /// <summary>A registered meter replacement fell inside the interval's reading span.</summary>
    Replacement = 1 << 3,
    /// <summary>Part of the consumption was spread over missing reads (see <see cref="ClosedInterval.EstimatedConsumption"/>).</summary>
    Estimated = 1 << 4,
    /// <summary>A delta exceeded the meter's rated rate × Δt × factor: kept raw, to be excluded from models.</summary>
    Spike = 1 << 5,
    /// <summary>The readings do not cover the whole interval (first read inside it, closed by an idle flush or at the end).</summary>
    Incomplete = 1 << 6,
}

public static class IntervalQualityNames
{
    /// <summary>Flags as a stable, comma-separated upper-case list (e.g. <c>ROLLOVER,ESTIMATED</c>); empty for none.</summary>
    public static string ToNames(this IntervalQuality flags)
    {
        if (flags == IntervalQuality.None)
        {
            return string.Empty;
        }

        var names = new List<string>(4);
        if ((flags & IntervalQuality.Rollover) != 0) { names.Add("ROLLOVER"); }
        if ((flags & IntervalQuality.Dip) != 0) { names.Add("DIP"); }
        if ((flags & IntervalQuality.Reset) != 0) { names.Add("RESET"); }
        if ((flags & IntervalQuality.Replacement) != 0) { names.Add("REPLACEMENT"); }
        if ((flags & IntervalQuality.Estimated) != 0) { names.Add("ESTIMATED"); }
        if ((flags & IntervalQuality.Spike) != 0) { names.Add("SPIKE"); }
        if ((flags & IntervalQuality.Incomplete) != 0) { names.Add("INCOMPLETE"); }
        return string.Join(',', names);
    }
}
