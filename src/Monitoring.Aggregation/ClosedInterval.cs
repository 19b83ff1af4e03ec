namespace Monitoring.Aggregation;

/// <summary>
/// One interval of one series, as closed by the aggregator, or a correction to an interval already closed.
/// A struct holding references to the catalog's <see cref="SeriesInfo"/>: writing it to a sink allocates nothing.
/// </summary>
/// <remarks>
/// Every value is mergeable, so corrections and roll-ups are plain merges: <see cref="Consumption"/>,
/// <see cref="EstimatedConsumption"/>, <see cref="CoveredMilliseconds"/>, <see cref="Count"/> and
/// <see cref="Sum"/> add; <see cref="Min"/>/<see cref="Max"/>/<see cref="PeakQuarterConsumption"/> merge by
/// min/max; <see cref="Last"/> is the value with the latest <see cref="LastTime"/>.
/// A correction (<see cref="IsCorrection"/>) carries deltas in that form: add it to the interval it names.
/// </remarks>
public readonly record struct ClosedInterval
{
    public required SeriesInfo Series { get; init; }
    public required IntervalResolution Resolution { get; init; }
    /// <summary>Interval start, UTC (inclusive).</summary>
    public required DateTimeOffset Start { get; init; }
    /// <summary>Interval end, UTC (exclusive).</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Counters: consumption in the field's unit after the multiplier (kWh, m³, ...).</summary>
    public double Consumption { get; init; }
    /// <summary>Counters: the part of <see cref="Consumption"/> spread over missing reads at this resolution.</summary>
    public double EstimatedConsumption { get; init; }
    /// <summary>Counters: the largest 15-minute consumption inside the interval (block demand = × 4). Not corrected.</summary>
    public double PeakQuarterConsumption { get; init; }
    /// <summary>Counters: how much of the interval the reading spans cover.</summary>
    public long CoveredMilliseconds { get; init; }

    /// <summary>Gauges: number of samples.</summary>
    public int Count { get; init; }
    /// <summary>Gauges: sum of the samples (after the multiplier); the mean is <see cref="Mean"/>.</summary>
    public double Sum { get; init; }
    public double Min { get; init; }
    public double Max { get; init; }
    public double Last { get; init; }
    public DateTimeOffset LastTime { get; init; }

    public IntervalQuality Flags { get; init; }
    /// <summary>A delta to add to an interval already written, produced by data that arrived after it closed.</summary>
    public bool IsCorrection { get; init; }

    public int SeriesId => Series.Id;
    public TimeSpan Duration => End - Start;

    /// <summary>Gauges: the sample mean (NaN without samples).</summary>
    public double Mean => Count == 0 ? double.NaN : Sum / Count;

    /// <summary>Share of the consumption that is estimated; 1 for an estimated interval of zero consumption.</summary>
    public double EstimatedFraction => Consumption != 0
        ? EstimatedConsumption / Consumption
        : (Flags & IntervalQuality.Estimated) != 0 ? 1 : 0;

    /// <summary>Counters: block demand, the largest 15-minute consumption × 4 (kW for kWh, m³/h for m³).</summary>
    public double PeakDemand => PeakQuarterConsumption * 4;
}
