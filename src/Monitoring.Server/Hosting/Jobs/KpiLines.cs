using System.Globalization;
using System.Text;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// Builds the KPI and alert points of docs/data-model.md as InfluxDB line protocol with millisecond timestamps (the
/// sinks' precision). Null or empty tags and non-finite fields are left out, as the data model says; a point without
/// a finite field is not written.
/// </summary>
internal sealed class KpiLines
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _point = new();
    private bool _hasField;

    public IReadOnlyList<string> Lines => _lines;

    public KpiLines Point(string measurement)
    {
        _point.Clear().Append(measurement);
        _hasField = false;
        return this;
    }

    public KpiLines Tag(string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _point.Append(',').Append(key).Append('=').Append(EscapeTag(value));
        }

        return this;
    }

    public KpiLines Field(string key, double value)
    {
        if (double.IsFinite(value))
        {
            _point.Append(_hasField ? ',' : ' ').Append(key).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture));
            _hasField = true;
        }

        return this;
    }

    public KpiLines Field(string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _point.Append(_hasField ? ',' : ' ').Append(key).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            _hasField = true;
        }

        return this;
    }

    /// <summary>Ends the point at <paramref name="time"/>.</summary>
    public void At(DateTimeOffset time)
    {
        if (_hasField)
        {
            _point.Append(' ').Append(time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            _lines.Add(_point.ToString());
        }

        _point.Clear();
    }

    private static string EscapeTag(string value) =>
        value.Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);
}
