namespace Monitoring.Aggregation;

/// <summary>The interval lengths the core produces. Days and months are local to the site's time zone.</summary>
public enum IntervalResolution
{
    /// <summary>15 minutes, aligned on UTC quarter hours (which are local quarter hours in every zone in use).</summary>
    FifteenMinutes = 0,
    /// <summary>A local clock hour.</summary>
    Hour = 1,
    /// <summary>A local calendar day: 23, 24 or 25 hours.</summary>
    Day = 2,
    /// <summary>A local calendar month.</summary>
    Month = 3,
}

public static class IntervalResolutions
{
    /// <summary>Number of resolutions; the per-series state holds one open interval for each.</summary>
    public const int Count = 4;

    /// <summary>All resolutions, finest first (the order in which intervals close).</summary>
    public static IReadOnlyList<IntervalResolution> All { get; } =
        [IntervalResolution.FifteenMinutes, IntervalResolution.Hour, IntervalResolution.Day, IntervalResolution.Month];

    /// <summary>The name written to sinks: <c>15m</c>, <c>1h</c>, <c>1d</c>, <c>1mo</c>.</summary>
    public static string ToName(this IntervalResolution resolution) => resolution switch
    {
        IntervalResolution.FifteenMinutes => "15m",
        IntervalResolution.Hour => "1h",
        IntervalResolution.Day => "1d",
        IntervalResolution.Month => "1mo",
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, null),
    };
}
