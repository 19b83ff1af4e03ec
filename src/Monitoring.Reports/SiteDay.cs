namespace Monitoring.Reports;

/// <summary>
/// One site and local day, as the aggregation core's daily site roll-ups give it: the report's only input.
/// </summary>
/// <param name="Date">Local day in the site's time zone (a day may last 23 or 25 hours).</param>
/// <param name="ElectricityKwh">Grid electricity imported (net of on-site generation netted on the incomer).</param>
/// <param name="FuelKwh">Final energy of every fuel burnt on site, through its net calorific value.</param>
/// <param name="Co2eKg">Location-based scope 2 + scope 1 + water scope 3, kg CO2e.</param>
/// <param name="Production">Output of the site's reference production counter (its first in the registry), in that counter's unit.</param>
/// <param name="TemperatureC">Mean outdoor temperature; NaN when the weather meter gave nothing that day.</param>
public sealed record SiteDay(
    string SiteId,
    DateOnly Date,
    double ElectricityKwh,
    double FuelKwh,
    double WaterM3,
    double Co2eKg,
    double Production,
    double TemperatureC)
{
    /// <summary>Final energy of all carriers, kWh.</summary>
    public double EnergyKwh => ElectricityKwh + FuelKwh;
}

/// <summary>
/// Where a report reads its daily site records: the CLI's simulation or CSV file, the server's aggregation store.
/// </summary>
public interface ISiteDaySource
{
    /// <summary>The days of <paramref name="siteIds"/> in [<paramref name="from"/>, <paramref name="toExclusive"/>), any order; missing days are simply absent.</summary>
    ValueTask<IReadOnlyList<SiteDay>> ReadAsync(IReadOnlyCollection<string> siteIds, DateOnly from, DateOnly toExclusive, CancellationToken cancellationToken);
}

/// <summary>Days already in memory (a CSV file read, a simulation, a test).</summary>
public sealed class InMemorySiteDaySource(IEnumerable<SiteDay> days) : ISiteDaySource
{
    private readonly SiteDay[] _days = [.. days];

    public ValueTask<IReadOnlyList<SiteDay>> ReadAsync(IReadOnlyCollection<string> siteIds, DateOnly from, DateOnly toExclusive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        IReadOnlyList<SiteDay> selected = [.. _days.Where(d => siteIds.Contains(d.SiteId) && d.Date >= from && d.Date < toExclusive)];
        return ValueTask.FromResult(selected);
    }
}
