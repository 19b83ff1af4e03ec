using Monitoring.Aggregation;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// Merges a series correction into the interval it names, by the rules of docs/data-model.md ("Interval records"):
/// the additive fields add, min/max/peak merge by min/max, the last value is the one with the latest time.
/// </summary>
/// <remarks>
/// <see cref="Monitoring.Aggregation.Rollups.RollupInterval"/> and <see cref="Monitoring.Aggregation.Rollups.IntensityInterval"/>
/// carry their own <c>Merge</c>; <see cref="ClosedInterval"/> has none yet, so it lives here until the aggregation
/// core takes it.
/// </remarks>
internal static class ClosedIntervalMerge
{
    public static ClosedInterval Merge(this in ClosedInterval interval, in ClosedInterval correction)
    {
        if (!ReferenceEquals(correction.Series, interval.Series) || correction.Resolution != interval.Resolution || correction.Start != interval.Start)
        {
            throw new ArgumentException("a correction merges only into the interval it names", nameof(correction));
        }

        var correctionIsLater = correction.Count > 0 && (interval.Count == 0 || correction.LastTime >= interval.LastTime);
        return interval with
        {
            Consumption = interval.Consumption + correction.Consumption,
            EstimatedConsumption = interval.EstimatedConsumption + correction.EstimatedConsumption,
            PeakQuarterConsumption = Math.Max(interval.PeakQuarterConsumption, correction.PeakQuarterConsumption),
            CoveredMilliseconds = interval.CoveredMilliseconds + correction.CoveredMilliseconds,
            Count = interval.Count + correction.Count,
            Sum = interval.Sum + correction.Sum,
            Min = MinOf(interval.Min, correction.Min),
            Max = MaxOf(interval.Max, correction.Max),
            Last = correctionIsLater ? correction.Last : interval.Last,
            LastTime = correctionIsLater ? correction.LastTime : interval.LastTime,
            Flags = interval.Flags | correction.Flags,
        };
    }

    // Min and max are NaN where there are no samples (counters, empty corrections): NaN means "no value", not "unknown".
    private static double MinOf(double a, double b) => double.IsNaN(a) ? b : double.IsNaN(b) ? a : Math.Min(a, b);

    private static double MaxOf(double a, double b) => double.IsNaN(a) ? b : double.IsNaN(b) ? a : Math.Max(a, b);
}
