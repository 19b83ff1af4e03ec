using System.Globalization;
using Monitoring.Reports;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>One consumption meter's local day, in its carrier's canonical unit.</summary>
internal sealed record MeterDay(string SiteId, string MeterId, string Carrier, DateOnly Date, double Consumption);

/// <summary>
/// The finalised daily records (<c>{data}/kpi/site-days.csv</c>, <c>meter-days.csv</c>): what the daily finalisation
/// job copies out of the interval store, which keeps only <c>StoreMaxAge</c> of history, so that baselines (a whole
/// baseline year) and programme reports can be computed on the server. Upserts by (site, meter, date): re-running a
/// finalisation rewrites the same rows. Thread-safe; files are replaced atomically.
/// </summary>
internal sealed class DailyArchive
{
    private const string SiteHeader = "site,date,electricity_kwh,fuel_kwh,water_m3,co2e_kg,production,temperature_c";
    private const string MeterHeader = "site,meter,carrier,date,consumption";
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private readonly Lock _lock = new();
    private readonly string _sitePath;
    private readonly string _meterPath;
    private readonly SortedDictionary<(string Site, DateOnly Date), SiteDay> _sites = [];
    private readonly SortedDictionary<(string Site, string Meter, DateOnly Date), MeterDay> _meters = [];

    public DailyArchive(string directory)
    {
        Directory.CreateDirectory(directory);
        _sitePath = Path.Combine(directory, "site-days.csv");
        _meterPath = Path.Combine(directory, "meter-days.csv");
        foreach (var fields in ReadRows(_sitePath))
        {
            var day = new SiteDay(fields[0], DateOnly.ParseExact(fields[1], "yyyy-MM-dd", Invariant), Number(fields[2]), Number(fields[3]),
                Number(fields[4]), Number(fields[5]), Number(fields[6]), fields[7].Length == 0 ? double.NaN : Number(fields[7]));
            _sites[(day.SiteId, day.Date)] = day;
        }

        foreach (var fields in ReadRows(_meterPath))
        {
            var day = new MeterDay(fields[0], fields[1], fields[2], DateOnly.ParseExact(fields[3], "yyyy-MM-dd", Invariant), Number(fields[4]));
            _meters[(day.SiteId, day.MeterId, day.Date)] = day;
        }
    }

    public int SiteDayCount
    {
        get
        {
            lock (_lock)
            {
                return _sites.Count;
            }
        }
    }

    /// <summary>Adds or replaces days and saves both files.</summary>
    public void Upsert(IEnumerable<SiteDay> sites, IEnumerable<MeterDay> meters)
    {
        lock (_lock)
        {
            foreach (var day in sites)
            {
                _sites[(day.SiteId, day.Date)] = day;
            }

            foreach (var day in meters)
            {
                _meters[(day.SiteId, day.MeterId, day.Date)] = day;
            }

            Save(_sitePath, SiteHeader, _sites.Values.Select(d => string.Create(Invariant,
                $"{d.SiteId},{d.Date:yyyy-MM-dd},{d.ElectricityKwh:R},{d.FuelKwh:R},{d.WaterM3:R},{d.Co2eKg:R},{d.Production:R},{(double.IsFinite(d.TemperatureC) ? d.TemperatureC.ToString("R", Invariant) : string.Empty)}")));
            Save(_meterPath, MeterHeader, _meters.Values.Select(d => string.Create(Invariant, $"{d.SiteId},{d.MeterId},{d.Carrier},{d.Date:yyyy-MM-dd},{d.Consumption:R}")));
        }
    }

    public IReadOnlyList<SiteDay> SiteDays(IReadOnlyCollection<string> siteIds, DateOnly from, DateOnly toExclusive)
    {
        lock (_lock)
        {
            return [.. _sites.Values.Where(d => siteIds.Contains(d.SiteId) && d.Date >= from && d.Date < toExclusive)];
        }
    }

    public IReadOnlyList<MeterDay> MeterDays(string siteId, DateOnly from, DateOnly toExclusive)
    {
        lock (_lock)
        {
            return [.. _meters.Values.Where(d => d.SiteId == siteId && d.Date >= from && d.Date < toExclusive)];
        }
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, Invariant);

    private static IEnumerable<string[]> ReadRows(string path) =>
        File.Exists(path) ? File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')) : [];

    private static void Save(string path, string header, IEnumerable<string> rows)
    {
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, [header, .. rows]);
        File.Move(temporary, path, overwrite: true);
    }
}
