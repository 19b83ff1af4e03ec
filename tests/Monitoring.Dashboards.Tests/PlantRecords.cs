using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// The aggregation core's output that the dashboards read, corrections merged into the records they name (as the
/// InfluxDB sink does). Days and months are kept for the whole period; quarter hours and hours only from
/// <paramref name="detailFrom"/>, except the hours the night-flow and base-load KPIs need (site nodes, water meters).
/// </summary>
internal sealed class PlantRecords(DateTimeOffset detailFrom) : IRollupSink, IIntervalSink
{
    public DateTimeOffset DetailFrom { get; } = detailFrom;

    public Dictionary<(int Node, IntervalResolution Resolution, DateTimeOffset Start), RollupInterval> Rollups { get; } = [];

    public Dictionary<(int Definition, IntervalResolution Resolution, DateTimeOffset Start), IntensityInterval> Intensities { get; } = [];

    public Dictionary<(int Series, IntervalResolution Resolution, DateTimeOffset Start), ClosedInterval> Series { get; } = [];

    /// <summary>Whether a record of this resolution and start goes to InfluxDB.</summary>
    public bool IsWritten(IntervalResolution resolution, DateTimeOffset start) =>
        resolution is IntervalResolution.Day or IntervalResolution.Month || start >= DetailFrom;

    public void Write(in RollupInterval interval)
    {
        var node = interval.Node;
        var hourForKpis = interval.Resolution == IntervalResolution.Hour
            && (node.Level == RollupLevel.Site || (node.Level == RollupLevel.Meter && node.Carrier == Domain.Registry.Carrier.Water));
        if (!IsWritten(interval.Resolution, interval.Start) && !hourForKpis)
        {
            return;
        }

        var key = (node.Index, interval.Resolution, interval.Start);
        Rollups[key] = Rollups.TryGetValue(key, out var written) ? written.Merge(interval) : interval;
    }

    public void Write(in IntensityInterval intensity)
    {
        if (intensity.Resolution == IntervalResolution.FifteenMinutes || !IsWritten(intensity.Resolution, intensity.Start))
        {
            return;
        }

        var key = (intensity.Definition.Index, intensity.Resolution, intensity.Start);
        Intensities[key] = Intensities.TryGetValue(key, out var written) ? written.Merge(intensity) : intensity;
    }

    public void Write(in ClosedInterval interval)
    {
        var detail = interval.Resolution != IntervalResolution.FifteenMinutes && interval.Start >= DetailFrom;
        var dailyTemperature = interval.Resolution == IntervalResolution.Day && interval.Series.Field == "temperature_c";
        if (!detail && !dailyTemperature)
        {
            return;
        }

        var key = (interval.Series.Id, interval.Resolution, interval.Start);
        Series[key] = Series.TryGetValue(key, out var written) ? Merge(written, interval) : interval;
    }

    /// <summary>A series correction added to its record: sums add, extremes merge, the latest sample is the last.</summary>
    private static ClosedInterval Merge(in ClosedInterval written, in ClosedInterval correction) => written with
    {
        Consumption = written.Consumption + correction.Consumption,
        EstimatedConsumption = written.EstimatedConsumption + correction.EstimatedConsumption,
        CoveredMilliseconds = written.CoveredMilliseconds + correction.CoveredMilliseconds,
        Count = written.Count + correction.Count,
        Sum = written.Sum + correction.Sum,
        Min = correction.Count > 0 ? Math.Min(written.Min, correction.Min) : written.Min,
        Max = correction.Count > 0 ? Math.Max(written.Max, correction.Max) : written.Max,
        Last = correction.LastTime > written.LastTime ? correction.Last : written.Last,
        LastTime = correction.LastTime > written.LastTime ? correction.LastTime : written.LastTime,
        Flags = written.Flags | correction.Flags,
    };
}
