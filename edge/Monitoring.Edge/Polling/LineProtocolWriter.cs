using System.Globalization;
using System.Text;

namespace Monitoring.Edge.Polling;

/// <summary>Writes readings as InfluxDB line protocol in the vocabulary of DESIGN.md §4.</summary>
public static class LineProtocolWriter
{
    /// <summary>
    /// One line per distinct request timestamp: <c>meter,site=S,meter=M field=value,... nanoseconds</c>.
    /// Field values are always floats so a field keeps one type whatever value it takes.
    /// </summary>
    public static void WriteMeterLines(StringBuilder output, string site, string meter, IEnumerable<Reading> readings)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var group in readings.GroupBy(r => r.Timestamp).OrderBy(g => g.Key))
        {
            output.Append("meter,site=");
            AppendEscaped(output, site);
            output.Append(",meter=");
            AppendEscaped(output, meter);
            var separator = ' ';
            foreach (var reading in group)
            {
                output.Append(separator);
                AppendEscaped(output, reading.Field);
                output.Append('=');
                output.Append(reading.Value.ToString("R", CultureInfo.InvariantCulture));
                separator = ',';
            }

            output.Append(' ');
            output.Append(UnixNanoseconds(group.Key).ToString(CultureInfo.InvariantCulture));
            output.Append('\n');
        }
    }

    public static long UnixNanoseconds(DateTimeOffset timestamp) => (timestamp - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>Tag keys, tag values and field keys escape commas, equals signs and spaces.</summary>
    private static void AppendEscaped(StringBuilder output, string value)
    {
        foreach (var c in value)
        {
            if (c is ',' or '=' or ' ')
            {
                output.Append('\\');
            }

            output.Append(c);
        }
    }
}
