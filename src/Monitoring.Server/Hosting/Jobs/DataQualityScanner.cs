using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Kpi.Water;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// Finds, in the interval store's hourly records of a time window: gaps (missing hours between records, or hours
/// whose consumption was spread over missing reads), frozen gauges (the same value for hours), sentinel values
/// (register defaults a device returns when it fails), counter resets, and water leaks (the continuous-flow rule and
/// the minimum night flow against earlier nights, docs/kpi.md).
/// </summary>
internal sealed class DataQualityScanner(LatestIntervalStore store, JobsOptions options, TimeProvider time)
{
    /// <summary>Values devices return instead of a measurement (unset registers, error codes).</summary>
    private static readonly double[] Sentinels = [-1, 9999, -9999, 99999, 32767, -32768, 65535, 2147483647, 4294967295, 999999999];

    public IReadOnlyList<Alert> Scan(DateTimeOffset from, DateTimeOffset to)
    {
        var alerts = new List<Alert>();
        foreach (var series in store.Topology.Catalog.Series)
        {
            var hours = store.GetSeriesIntervals(series, IntervalResolution.Hour, from, to);
            if (hours.Count > 0)
            {
                ScanSeries(series, hours, alerts);
            }
        }

        foreach (var node in store.Topology.Nodes.Where(n => n.Level == RollupLevel.Meter && n.Carrier == Carrier.Water && !n.IsVirtual))
        {
            ScanWater(node, from, to, alerts);
        }

        return alerts;
    }

    private void ScanSeries(SeriesInfo series, IReadOnlyList<ClosedInterval> hours, List<Alert> alerts)
    {
        var source = series.MeterId + "." + series.Field;
        var missing = 0;
        for (var i = 1; i < hours.Count; i++)
        {
            missing += (int)Math.Round((hours[i].Start - hours[i - 1].End).TotalHours);
        }

        var estimated = hours.Count(h => (h.Flags & IntervalQuality.Estimated) != 0);
        if (missing + estimated > 0)
        {
            alerts.Add(Raise(series.Site, "data_gap", source, "warning", hours[0].Start, missing + estimated, null,
                $"{series}: {missing} hour(s) without data and {estimated} hour(s) estimated over missing reads"));
        }

        foreach (var reset in hours.Where(h => (h.Flags & IntervalQuality.Reset) != 0))
        {
            alerts.Add(Raise(series.Site, "counter_reset", source, "warning", reset.Start, reset.Consumption, null,
                $"{series}: the register restarted without a registered replacement in the hour from {reset.Start:yyyy-MM-dd HH:mm}Z"));
        }

        if (series.Kind != FieldKind.Gauge)
        {
            return;
        }

        var sentinel = hours.Where(h => h.Count > 0 && (Sentinels.Contains(h.Min) || Sentinels.Contains(h.Max))).ToList();
        if (sentinel.Count > 0)
        {
            var value = Sentinels.Contains(sentinel[0].Max) ? sentinel[0].Max : sentinel[0].Min;
            alerts.Add(Raise(series.Site, "sentinel_burst", source, "warning", sentinel[0].Start, sentinel.Count, null,
                string.Create(CultureInfo.InvariantCulture, $"{series}: the sentinel value {value} in {sentinel.Count} hour(s): a device error, not a measurement")));
        }

        var run = 0;
        for (var i = 0; i < hours.Count; i++)
        {
            var flat = hours[i].Count >= 2 && hours[i].Min == hours[i].Max && (run == 0 || (hours[i].Min == hours[i - 1].Min && hours[i].Start == hours[i - 1].End));
            run = flat ? run + 1 : (hours[i].Count >= 2 && hours[i].Min == hours[i].Max ? 1 : 0);
            if (run == options.FrozenHours)
            {
                alerts.Add(Raise(series.Site, "frozen_meter", source, "warning", hours[i - run + 1].Start, run, options.FrozenHours,
                    string.Create(CultureInfo.InvariantCulture, $"{series}: the value {hours[i].Min} has not changed for {run} hours")));
            }
        }
    }

    private void ScanWater(RollupNode node, DateTimeOffset from, DateTimeOffset to, List<Alert> alerts)
    {
        var site = node.Site!;
        var history = store.GetNodeIntervals(node, IntervalResolution.Hour, store.Horizon ?? from, to);
        var days = history.GroupBy(h => LocalCalendar.DateOf(site, h.Start)).Where(g => g.Count() >= 24).ToList();
        var nightlyMinima = new List<double>();
        foreach (var day in days)
        {
            var volumes = new double[24];
            foreach (var hour in day)
            {
                volumes[TimeZoneInfo.ConvertTime(hour.Start, site.TimeZone).Hour] += hour.Consumption;
            }

            var minimum = LeakDetection.MinimumNightFlow(volumes, NightWindow.Default);
            var start = LocalCalendar.StartOf(site, day.Key);
            if (start >= from && start < to)
            {
                var continuous = LeakDetection.ContinuousFlow(volumes);
                if (continuous.IsSuspected)
                {
                    alerts.Add(Raise(site, "continuous_flow", node.Id, "warning", start, continuous.ContinuousFlowRate, 0.0,
                        string.Create(CultureInfo.InvariantCulture, $"{site.Id}/{node.Id}: water flowed every hour of {day.Key:yyyy-MM-dd} (at least {continuous.ContinuousFlowRate:0.###} m3/h): a leak or a tap left open")));
                }

                if (nightlyMinima.Count >= options.NightFlowHistoryDays)
                {
                    var assessment = LeakDetection.NightFlow(minimum, NightFlowBaseline.FromHistory(nightlyMinima));
                    if (assessment.IsAlert)
                    {
                        alerts.Add(Raise(site, "night_flow", node.Id, "critical", start, minimum, assessment.Threshold,
                            string.Create(CultureInfo.InvariantCulture, $"{site.Id}/{node.Id}: minimum night flow {minimum:0.###} m3/h above {assessment.Threshold:0.###} m3/h on {day.Key:yyyy-MM-dd}; about {assessment.EstimatedLeakPerDay:0.#} m3/day")));
                    }
                }
            }

            nightlyMinima.Add(minimum);
        }
    }

    private Alert Raise(Site site, string kind, string source, string severity, DateTimeOffset at, double value, double? threshold, string message)
    {
        var day = LocalCalendar.DateOf(site, at);
        return new Alert(Alert.IdOf(kind, site.Id, source, day), site.Id, kind, source, severity, day, LocalCalendar.StartOf(site, day), value, threshold, message, time.GetUtcNow());
    }
}
