using System.Globalization;
using Monitoring.Domain.Registry;

namespace Monitoring.Reports;

/// <summary>
/// Reads daily site records from the daily site table <c>monitoring demo</c> writes (<c>sites-daily.csv</c>): columns
/// by name, in any order, others ignored: <c>site</c>, <c>date</c> (local, YYYY-MM-DD) or <c>day_start_utc</c>
/// (the UTC instant of the local midnight), <c>electricity_kwh</c>, <c>fuel_kwh</c>, <c>water_m3</c>,
/// <c>co2e_kg</c>, <c>production</c>, <c>temperature_c</c> (empty = no temperature that day).
/// </summary>
public static class SiteDayCsv
{
    private static readonly string[] Required = ["site", "electricity_kwh", "fuel_kwh", "water_m3", "co2e_kg", "production", "temperature_c"];

    /// <exception cref="ReportDataException">A malformed file, as <c>FILE:LINE: reason</c>.</exception>
    public static IReadOnlyList<SiteDay> Read(string path, SiteRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!File.Exists(path))
        {
            throw new ReportDataException($"{path}: no such file.");
        }

        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.Split(',') ?? throw new ReportDataException($"{path}:1: empty file.");
        var columns = header.Select((name, i) => (name: name.Trim(), i)).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        var missing = Required.Where(c => !columns.ContainsKey(c)).ToList();
        if (!columns.ContainsKey("date") && !columns.ContainsKey("day_start_utc"))
        {
            missing.Add("date or day_start_utc");
        }

        if (missing.Count > 0)
        {
            throw new ReportDataException($"{path}:1: missing column(s) {string.Join(", ", missing)}.");
        }

        var days = new List<SiteDay>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            if (cells.Length != header.Length)
            {
                throw new ReportDataException($"{path}:{lineNumber}: {cells.Length} fields, the header has {header.Length}.");
            }

            var siteId = cells[columns["site"]];
            var site = registry.FindSite(siteId) ?? throw new ReportDataException($"{path}:{lineNumber}: unknown site '{siteId}'.");
            double Number(string column, bool optional = false)
            {
                var text = cells[columns[column]];
                if (optional && text.Length == 0)
                {
                    return double.NaN;
                }

                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                    ? value
                    : throw new ReportDataException($"{path}:{lineNumber}: {column} '{text}' is not a number.");
            }

            days.Add(new SiteDay(
                siteId,
                LocalDate(cells, columns, site, path, lineNumber),
                Number("electricity_kwh"),
                Number("fuel_kwh"),
                Number("water_m3"),
                Number("co2e_kg"),
                Number("production"),
                Number("temperature_c", optional: true)));
        }

        return days;
    }

    private static DateOnly LocalDate(string[] cells, Dictionary<string, int> columns, Site site, string path, int lineNumber)
    {
        if (columns.TryGetValue("date", out var dateColumn))
        {
            return DateOnly.TryParseExact(cells[dateColumn], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw new ReportDataException($"{path}:{lineNumber}: date '{cells[dateColumn]}' is not YYYY-MM-DD.");
        }

        var text = cells[columns["day_start_utc"]];
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start)
            ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, site.TimeZone).DateTime)
            : throw new ReportDataException($"{path}:{lineNumber}: day_start_utc '{text}' is not an ISO 8601 instant.");
    }
}
