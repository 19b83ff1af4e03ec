using System.Globalization;

namespace Monitoring.Kpi.CalTrack;

/// <summary>Baseline and reporting days of one meter, in file order.</summary>
public sealed record CalTrackDataset(IReadOnlyList<DailyObservation> Baseline, IReadOnlyList<DailyObservation> Reporting);

/// <summary>
/// Reads CalTRACK daily tables (<c>date_utc,period,meter_value,temperature_mean,n_days_kept</c>, any column order).
/// Rows with an empty value are end-of-period markers and are skipped, as are days with under half their data
/// (n_days_kept &lt; 0.5, CalTRACK's daily sufficiency rule). Anything else malformed is an error naming the line.
/// </summary>
public static class CalTrackCsv
{
    private static readonly string[] Columns = ["date_utc", "period", "meter_value", "temperature_mean", "n_days_kept"];

    /// <summary>ISO 8601 timestamps accepted besides plain dates; no culture-dependent forms such as 02/01/2020.</summary>
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"];

    /// <summary>Minimum fraction of a day's data for the day to count.</summary>
    private const double MinimumDayCoverage = 0.5;

    public static CalTrackDataset ReadFile(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <param name="sourceName">File name or other label used in error messages.</param>
    /// <exception cref="InvalidDataException">Missing column, wrong field count, bad date, period or number (with line).</exception>
    public static CalTrackDataset Read(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{sourceName}: the file is empty; expected the header {string.Join(',', Columns)}.");
        var names = header.Split(',', StringSplitOptions.TrimEntries);
        var index = Columns.Select(c => Array.IndexOf(names, c)).ToArray();
        var missing = Columns.Where((_, i) => index[i] < 0).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"{sourceName}:1: missing column(s) {string.Join(", ", missing)}; expected {string.Join(',', Columns)}.");
        }

        var baseline = new List<DailyObservation>();
        var reporting = new List<DailyObservation>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length != names.Length)
            {
                throw Error(sourceName, lineNumber, $"{fields.Length} fields where the header has {names.Length}");
            }

            var period = fields[index[1]].ToUpperInvariant() switch
            {
                "BASELINE" => baseline,
                "REPORTING" => reporting,
                _ => throw Error(sourceName, lineNumber, $"period '{fields[index[1]]}' is neither baseline nor reporting"),
            };
            if (fields[index[2]].Length == 0 || fields[index[3]].Length == 0 || fields[index[4]].Length == 0)
            {
                continue;
            }

            var date = ParseDate(fields[index[0]], sourceName, lineNumber);
            var usage = ParseNumber(fields[index[2]], Columns[2], sourceName, lineNumber);
            var temperature = ParseNumber(fields[index[3]], Columns[3], sourceName, lineNumber);
            if (ParseNumber(fields[index[4]], Columns[4], sourceName, lineNumber) >= MinimumDayCoverage)
            {
                period.Add(new DailyObservation(date, usage, temperature));
            }
        }

        return new CalTrackDataset(baseline, reporting);
    }

    private static DateOnly ParseDate(string text, string source, int line)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        if (DateTimeOffset.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return DateOnly.FromDateTime(timestamp.UtcDateTime);
        }

        throw Error(source, line, $"date_utc '{text}' is not a date (yyyy-MM-dd or ISO 8601)");
    }

    private static double ParseNumber(string text, string column, string source, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw Error(source, line, $"{column} '{text}' is not a finite number");

    private static InvalidDataException Error(string source, int line, string reason) => new($"{source}:{line}: {reason}.");
}
