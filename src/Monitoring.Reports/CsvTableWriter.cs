using System.Globalization;
using System.Text;

namespace Monitoring.Reports;

/// <summary>Writes a <see cref="ReportTable"/> as RFC 4180 CSV: a header of column names, numbers in invariant culture and full precision.</summary>
public static class CsvTableWriter
{
    public static void Write(ReportTable table, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(',', table.Columns.Select(c => Escape(c.Name))));
        writer.Write('\n');
        foreach (var row in table.Rows)
        {
            writer.Write(string.Join(',', row.Select(cell => Escape(Cell(cell)))));
            writer.Write('\n');
        }
    }

    public static string ToCsv(ReportTable table)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(table, writer);
        return writer.ToString();
    }

    private static string Cell(object? value) => value switch
    {
        null => string.Empty,
        double d when !double.IsFinite(d) => string.Empty,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return text;
        }

        var quoted = new StringBuilder(text.Length + 2).Append('"');
        quoted.Append(text.Replace("\"", "\"\"", StringComparison.Ordinal));
        return quoted.Append('"').ToString();
    }
}
