using System.Globalization;
using System.Net;
using System.Text;

namespace Monitoring.Reports;

/// <summary>
/// Renders a report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no external URL;
/// every text from the registry or the data is HTML-escaped.
/// </summary>
public static class HtmlReportRenderer
{
    private const string Style = """
        body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #1d2733; max-width: 1280px; }
        h1 { font-size: 24px; margin-bottom: 4px; }
        h2 { font-size: 19px; margin-top: 32px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
        p.meta { color: #57606a; margin-top: 0; }
        table { border-collapse: collapse; margin: 8px 0 4px; font-size: 12px; }
        th, td { border: 1px solid #d0d7de; padding: 3px 6px; }
        th { background: #f0f3f6; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        caption { text-align: left; font-weight: bold; padding: 4px 0; }
        figure { margin: 12px 0; }
        figcaption, p.export { color: #57606a; font-size: 12px; }
        .kpis { display: flex; gap: 16px; flex-wrap: wrap; }
        .kpi { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; min-width: 200px; }
        .kpi b { display: block; font-size: 20px; }
        """;

    public static string Render(ProgrammeReport report, IReadOnlyList<ReportTable>? tables = null, IReadOnlyList<ReportChart>? charts = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        tables ??= ReportTables.Create(report);
        charts ??= ReportCharts.Create(report);
        var programme = report.Programme;
        var html = new StringBuilder(256 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<title>").Append(Encode($"{programme.Name}: {report.Month.ToLongName()}")).Append("</title>\n")
            .Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");

        html.Append("<h1>").Append(Encode(programme.Name)).Append("</h1>\n");
        html.Append("<p class=\"meta\">Programme report <b>").Append(Encode(programme.Id)).Append("</b>, ")
            .Append(Encode(report.Month.ToLongName())).Append(" (").Append(Encode(report.Month.ToString())).Append("). Baseline year ")
            .Append(programme.BaselineYear.ToString(CultureInfo.InvariantCulture)).Append(", target year ")
            .Append(programme.TargetYear.ToString(CultureInfo.InvariantCulture)).Append(". Reporting period ")
            .Append(Encode(Date(report.ReportingFrom))).Append(" to ").Append(Encode(Date(report.ReportingTo.AddDays(-1)))).Append(".</p>\n");
        html.Append("<p>Sites: ").Append(string.Join("; ", report.Sites.Select(s => $"<b>{Encode(s.Name)}</b> ({Encode(s.Id)}, {Encode(s.Ecosystem)})"))).Append(".</p>\n");
        Headline(html, report);

        var byId = tables.ToDictionary(t => t.Id, StringComparer.Ordinal);
        Section(html, "Trajectory vs target", [.. charts.Where(c => c.Id == "trajectory")], byId, ReportTables.Trajectory, ReportTables.SavingsProgramme);
        Section(html, "Normalised savings and CUSUM", [.. charts.Where(c => c.Id.StartsWith("cusum", StringComparison.Ordinal))], byId, ReportTables.SavingsMonthly, ReportTables.Baselines);
        Section(html, "Intensity by site", [.. charts.Where(c => c.Id == "intensity")], byId, ReportTables.IntensityTable, ReportTables.MonthSites);
        Section(html, "Project bank", [], byId, ReportTables.Projects, ReportTables.ProjectRisks);

        html.Append("<h2>Notes and methods</h2>\n<ul>\n");
        foreach (var note in report.Notes)
        {
            html.Append("<li>").Append(Encode(note)).Append("</li>\n");
        }

        html.Append("<li>").Append(Encode(
            $"Baselines: daily ISO 50006 / IPMVP Option C regressions on the {programme.BaselineYear} days of each site, drivers chosen among the reference production, " +
            $"HDD (base {Number(report.Options.HddBaseC)} °C) and CDD (base {Number(report.Options.CddBaseC)} °C): the valid subset with the highest adjusted R². " +
            "Savings = adjusted baseline − actual over the reporting days with a temperature; CUSUM = Σ savings, a rising line means savings. " +
            $"Uncertainty: ASHRAE Guideline 14 fractional savings uncertainty at {Number(report.Options.ConfidenceLevel * 100.0)} % confidence; sites combined as √Σ ΔS². " +
            "Trajectories: target(y) = B·(1 − R·(y − y0)/(T − y0)); the report year is compared on the same months of the baseline year. " +
            "Avoided emissions of projects: electricity at the grid combined-margin factor, fuels by IPCC 2006 Tier 1, water supply and treatment factors.")).Append("</li>\n");
        html.Append("</ul>\n");
        html.Append("<p class=\"export\">Every table is also exported as CSV beside this page (").Append(Encode(string.Join(", ", tables.Select(t => t.Id + ".csv")))).Append(").</p>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Headline(StringBuilder html, ProgrammeReport report)
    {
        html.Append("<div class=\"kpis\">\n");
        foreach (var savings in report.ProgrammeSavings)
        {
            var (unit, scale) = ReportTables.Display(savings.Quantity);
            var band = savings.Uncertainty is { } u ? $" ± {Number(u * scale, "N1")}" : string.Empty;
            html.Append("<div class=\"kpi\">").Append(Encode($"{ReportTables.Name(savings.Quantity)} saved to date"))
                .Append("<b>").Append(Encode($"{Number(savings.TotalSavings * scale, "N1")}{band} {unit}")).Append("</b>")
                .Append(Encode($"{Number(savings.Improvement * 100.0, "N1")} % of the adjusted baseline")).Append("</div>\n");
        }

        foreach (var status in report.Trajectory)
        {
            html.Append("<div class=\"kpi\">").Append(Encode($"{ReportTables.Name(status.Quantity)}, index to date"))
                .Append("<b>").Append(Encode($"{Number(status.Index, "N1")} vs target {Number(status.TargetIndex, "N1")}")).Append("</b>")
                .Append(Encode(status.OnTrack ? "on track" : "behind the trajectory")).Append("</div>\n");
        }

        html.Append("</div>\n");
    }

    private static void Section(StringBuilder html, string title, IReadOnlyList<ReportChart> charts, Dictionary<string, ReportTable> tables, params string[] tableIds)
    {
        html.Append("<h2>").Append(Encode(title)).Append("</h2>\n");
        foreach (var chart in charts)
        {
            html.Append("<figure class=\"chart\" id=\"chart-").Append(Encode(chart.Id)).Append("\">\n").Append(chart.Svg).Append('\n')
                .Append("<figcaption>").Append(Encode(chart.Caption)).Append("</figcaption>\n</figure>\n");
        }

        foreach (var id in tableIds)
        {
            if (tables.TryGetValue(id, out var table))
            {
                Table(html, table);
            }
        }
    }

    private static void Table(StringBuilder html, ReportTable table)
    {
        html.Append("<table id=\"table-").Append(Encode(table.Id)).Append("\">\n<caption>").Append(Encode(table.Title)).Append("</caption>\n<thead><tr>");
        foreach (var column in table.Columns)
        {
            html.Append("<th>").Append(Encode(column.Title)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var (text, numeric) = Cell(row[i], table.Columns[i].Format);
                html.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Encode(text)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n<p class=\"export\">").Append(Encode($"CSV: {table.Id}.csv")).Append("</p>\n");
    }

    private static (string Text, bool Numeric) Cell(object? value, string? format) => value switch
    {
        null => (string.Empty, false),
        double d when !double.IsFinite(d) => ("–", true),
        double d => (d.ToString(format ?? "G6", CultureInfo.InvariantCulture), true),
        int i => (i.ToString(format ?? "0", CultureInfo.InvariantCulture), true),
        IFormattable f => (f.ToString(null, CultureInfo.InvariantCulture), false),
        _ => (value.ToString() ?? string.Empty, false),
    };

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
