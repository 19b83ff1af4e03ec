using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Server.Cli;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Demo;

/// <summary>
/// Keeps every complete local day of the sites (the daily site table) and of the meters behind the registry's
/// projects, read from the server's interval store as the data flows in. The store keeps only the last weeks of
/// intervals, so a history of years is read while it is imported; a day is read again on each pass that still
/// covers it, so corrections merged into it later are kept.
/// </summary>
internal sealed class DayCollector
{
    /// <summary>
    /// How far back each pass reads again: a roll-up whose inputs are not all in is written INCOMPLETE when the
    /// watermark passes it or, at the latest, when it is the oldest of the 16 intervals a node keeps open (16 days).
    /// </summary>
    private static readonly TimeSpan Reread = TimeSpan.FromDays(20);

    private readonly LatestIntervalStore _store;
    private readonly SiteRegistry _registry;
    private readonly (Site Site, SeriesInfo? Production, SeriesInfo? Temperature, int Nodes)[] _sites;
    private readonly (string Site, string Meter)[] _projectMeters;
    private readonly SortedDictionary<(string Site, DateTimeOffset Start), SimulatedSiteDay> _siteDays = [];
    private readonly Dictionary<(string Site, string Meter, DateOnly Date), double> _meterDays = [];
    private DateTimeOffset? _readUntil;

    public DayCollector(LatestIntervalStore store, SiteRegistry registry)
    {
        _store = store;
        _registry = registry;
        var catalog = store.Topology.Catalog;
        _sites = [.. registry.Sites.Select(site => (
            site,
            catalog.Series.FirstOrDefault(s => s.SiteId == site.Id && PlantSimulation.IsReferenceProduction(s)),
            catalog.Series.FirstOrDefault(s => s.SiteId == site.Id && PlantSimulation.IsOutdoorTemperature(s)),
            store.Topology.Nodes.Count(n => n.Level == RollupLevel.Site && n.SiteId == site.Id)))];
        _projectMeters = [.. registry.Projects.SelectMany(p => p.MeterIds.Select(m => (p.SiteId, m))).Distinct()];
    }

    /// <summary>Every complete day read so far, by site then date.</summary>
    public IReadOnlyList<SimulatedSiteDay> SiteDays => [.. _siteDays.Values];

    /// <summary>A meter's consumption (canonical unit) on a local day, when that day was complete.</summary>
    public double? MeterDay(string site, string meter, DateOnly date) =>
        _meterDays.TryGetValue((site, meter, date), out var value) ? value : null;

    /// <summary>
    /// Reads the days that ended by <paramref name="completeUntil"/> (the aggregation watermark less a margin), from
    /// <see cref="Reread"/> before the previous pass's end.
    /// </summary>
    public void Collect(DateTimeOffset completeUntil)
    {
        var from = _readUntil is { } previous ? previous - Reread : DateTimeOffset.UnixEpoch;
        if (_store.Horizon is { } horizon && from < horizon)
        {
            from = horizon;
        }

        foreach (var (site, production, temperature, nodes) in _sites)
        {
            var drivers = Drivers(production, temperature, from, completeUntil);
            var days = _store.GetNodeIntervals(RollupLevel.Site, IntervalResolution.Day, from, completeUntil, siteId: site.Id)
                .Where(i => i.End <= completeUntil)
                .GroupBy(i => i.Start);
            foreach (var day in days)
            {
                if (day.Count() < nodes)
                {
                    continue; // a carrier's record is still open: read it on a later pass
                }

                var (output, temperatureC) = drivers.GetValueOrDefault(day.Key, (0.0, double.NaN));
                _siteDays[(site.Id, day.Key)] = PlantSimulation.SiteDayOf(site, day.Key, day, output, temperatureC);
            }
        }

        foreach (var (siteId, meterId) in _projectMeters)
        {
            var site = _registry.FindSite(siteId)!;
            foreach (var day in _store.GetNodeIntervals(RollupLevel.Meter, IntervalResolution.Day, from, completeUntil, nodeId: meterId, siteId: siteId))
            {
                if (day.End <= completeUntil && day.Node.Level == RollupLevel.Meter)
                {
                    _meterDays[(siteId, meterId, LocalDate(site, day.Start))] = day.Consumption;
                }
            }
        }

        _readUntil = completeUntil;
    }

    public static DateOnly LocalDate(Site site, DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, site.TimeZone).DateTime);

    private Dictionary<DateTimeOffset, (double Production, double TemperatureC)> Drivers(SeriesInfo? production, SeriesInfo? temperature, DateTimeOffset from, DateTimeOffset to)
    {
        var drivers = new Dictionary<DateTimeOffset, (double Production, double TemperatureC)>();
        if (production is not null)
        {
            foreach (var day in _store.GetSeriesIntervals(production, IntervalResolution.Day, from, to))
            {
                drivers[day.Start] = (day.Consumption, double.NaN);
            }
        }

        if (temperature is not null)
        {
            foreach (var day in _store.GetSeriesIntervals(temperature, IntervalResolution.Day, from, to))
            {
                var mean = day.Count > 0 ? day.Sum / day.Count : double.NaN;
                drivers[day.Start] = (drivers.GetValueOrDefault(day.Start).Production, mean);
            }
        }

        return drivers;
    }
}
