using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Reports;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// The server's daily site records for reports, baselines and savings: the interval store's site-level day roll-ups
/// (with the reference production counter and the outdoor temperature of each day) over the finalised archive; where
/// both have a day, the store's (latest merged) record wins.
/// </summary>
internal sealed class ServerSiteDays(LatestIntervalStore store, DailyArchive archive) : ISiteDaySource
{
    public DailyArchive Archive => archive;

    public ValueTask<IReadOnlyList<SiteDay>> ReadAsync(IReadOnlyCollection<string> siteIds, DateOnly from, DateOnly toExclusive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        var days = archive.SiteDays(siteIds, from, toExclusive).ToDictionary(d => (d.SiteId, d.Date));
        foreach (var day in FromStore(siteIds, from, toExclusive))
        {
            days[(day.SiteId, day.Date)] = day;
        }

        IReadOnlyList<SiteDay> result = [.. days.Values.OrderBy(d => d.SiteId, StringComparer.Ordinal).ThenBy(d => d.Date)];
        return ValueTask.FromResult(result);
    }

    /// <summary>Site days of the interval store (only days whose electricity, or any carrier's, site record exists).</summary>
    public IEnumerable<SiteDay> FromStore(IReadOnlyCollection<string> siteIds, DateOnly from, DateOnly toExclusive)
    {
        // The store's registry is the one in force (a reload moves the store to the new one).
        var registry = store.Topology.Catalog.Registry;
        foreach (var siteId in siteIds)
        {
            if (registry.FindSite(siteId) is not { } site)
            {
                continue;
            }

            var (start, end) = (LocalCalendar.StartOf(site, from), LocalCalendar.StartOf(site, toExclusive));
            var records = store.GetNodeIntervals(RollupLevel.Site, IntervalResolution.Day, start, end, siteId, siteId)
                .Where(r => r.Node.Carrier is not null)
                .GroupBy(r => r.Start);
            var production = DailyValues(site, start, end, ProductionSeries(site), r => r.Consumption);
            var temperature = DailyValues(site, start, end, TemperatureSeries(site), r => r.Mean);
            foreach (var day in records)
            {
                double Sum(Func<RollupInterval, bool> which, Func<RollupInterval, double> value) => day.Where(which).Sum(value);
                yield return new SiteDay(
                    siteId,
                    LocalCalendar.DateOf(site, day.Key),
                    Sum(r => r.Node.Carrier == Carrier.Electricity, r => r.Consumption),
                    Sum(r => r.Node.Carrier is { } c && c.IsFuel(), r => r.EnergyKwh),
                    Sum(r => r.Node.Carrier == Carrier.Water, r => r.Consumption),
                    Sum(_ => true, r => r.Co2eKg),
                    production.GetValueOrDefault(day.Key),
                    temperature.TryGetValue(day.Key, out var t) ? t : double.NaN);
            }
        }
    }

    /// <summary>Consumption-meter days of the interval store, for meter baselines.</summary>
    public IEnumerable<MeterDay> MeterDaysFromStore(Site site, DateOnly from, DateOnly toExclusive)
    {
        var (start, end) = (LocalCalendar.StartOf(site, from), LocalCalendar.StartOf(site, toExclusive));
        return store.GetNodeIntervals(RollupLevel.Meter, IntervalResolution.Day, start, end, siteId: site.Id)
            .Select(r => new MeterDay(site.Id, r.Node.Id, r.Node.CarrierName, LocalCalendar.DateOf(site, r.Start), r.Consumption));
    }

    private SeriesInfo? ProductionSeries(Site site) =>
        site.ProductionCounters.Count > 0 && store.Topology.Catalog.TryGetSeries(site.Id, site.ProductionCounters[0].Id, site.ProductionCounters[0].Field, out var id)
            ? store.Topology.Catalog[id] : null;

    private SeriesInfo? TemperatureSeries(Site site) =>
        site.Temperature is { } t && store.Topology.Catalog.TryGetSeries(site.Id, t.MeterId, t.Field, out var id) ? store.Topology.Catalog[id] : null;

    private Dictionary<DateTimeOffset, double> DailyValues(Site site, DateTimeOffset start, DateTimeOffset end, SeriesInfo? series, Func<ClosedInterval, double> value) =>
        series is null ? [] : store.GetSeriesIntervals(series, IntervalResolution.Day, start, end).ToDictionary(r => r.Start, value);
}

/// <summary>Local days of a site (IANA zone): the first instant of a date, the date of an instant.</summary>
internal static class LocalCalendar
{
    /// <summary>The first instant whose local date is <paramref name="date"/> (a midnight skipped by a clock change moves to the next valid hour).</summary>
    public static DateTimeOffset StartOf(Site site, DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        while (site.TimeZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = site.TimeZone.IsAmbiguousTime(local) ? site.TimeZone.GetAmbiguousTimeOffsets(local).Max() : site.TimeZone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    public static DateOnly DateOf(Site site, DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, site.TimeZone).DateTime);
}
