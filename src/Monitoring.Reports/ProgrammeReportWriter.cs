using System.Text;

namespace Monitoring.Reports;

/// <summary>Writes a report to a folder: the HTML page <c>{programme}-{YYYY-MM}.html</c> and <c>{table}.csv</c> for every table.</summary>
public static class ProgrammeReportWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The HTML page's file name for a programme and month.</summary>
    public static string HtmlFileName(ProgrammeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return $"{report.Programme.Id}-{report.Month}.html";
    }

    /// <returns>The files written, the HTML page first.</returns>
    public static async Task<IReadOnlyList<string>> WriteAsync(ProgrammeReport report, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var tables = ReportTables.Create(report);
        var html = Path.Combine(directory, HtmlFileName(report));
        await File.WriteAllTextAsync(html, HtmlReportRenderer.Render(report, tables), Utf8, cancellationToken).ConfigureAwait(false);
        var files = new List<string> { html };
        foreach (var table in tables)
        {
            var csv = Path.Combine(directory, table.Id + ".csv");
            await File.WriteAllTextAsync(csv, CsvTableWriter.ToCsv(table), Utf8, cancellationToken).ConfigureAwait(false);
            files.Add(csv);
        }

        return files;
    }
}
