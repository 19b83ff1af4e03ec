using System.Globalization;
using ScottPlot;

namespace Monitoring.Reports;

/// <summary>A chart rendered as an inline SVG element, with the caption the page shows under it.</summary>
public sealed record ReportChart(string Id, string Caption, string Svg);

/// <summary>The report's charts, drawn with ScottPlot and rendered to SVG (no raster image, no external resource).</summary>
public static class ReportCharts
{
    private const int Width = 960;
    private const int Height = 420;

    public static IReadOnlyList<ReportChart> Create(ProgrammeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var charts = new List<ReportChart>();
        if (report.Trajectory.Count > 0)
        {
            charts.Add(Trajectory(report));
        }

        foreach (var quantity in new[] { ReportQuantity.Energy, ReportQuantity.Water })
        {
            if (report.SiteSavings.Any(s => s.Quantity == quantity))
            {
                charts.Add(Cusum(report, quantity));
            }
        }

        if (report.Intensities.Count > 0)
        {
            charts.Add(Intensity(report));
        }

        return charts;
    }

    private static ReportChart Trajectory(ProgrammeReport report)
    {
        var plot = new Plot();
        var programme = report.Programme;
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < report.Trajectory.Count; i++)
        {
            var status = report.Trajectory[i];
            var color = palette.GetColor(i);
            var name = ReportTables.Name(status.Quantity);
            var line = plot.Add.Scatter(
                new double[] { programme.BaselineYear, programme.TargetYear },
                new double[] { 100.0, 100.0 * (1.0 - status.Trajectory.Reduction) },
                color);
            // Solid lines only: Skia's SVG canvas cannot draw dash patterns (it drops them and prints to stdout).
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name} target (−{status.Trajectory.Reduction * 100.0:0.#} % by {programme.TargetYear})");
            var actual = plot.Add.Scatter(new double[] { programme.BaselineYear, status.Year }, new double[] { 100.0, status.Index }, color);
            actual.LineWidth = 0;
            actual.MarkerSize = 11;
            actual.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name} {status.Year} to date: {status.Index:0.0}");
        }

        var years = Enumerable.Range(programme.BaselineYear, programme.TargetYear - programme.BaselineYear + 1).Select(y => (double)y).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(years, [.. years.Select(y => y.ToString("0", CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimitsX(programme.BaselineYear - 0.5, programme.TargetYear + 0.5);
        plot.Title($"Trajectory vs target, {report.Month.Year} to date ({programme.BaselineYear} = 100)");
        plot.YLabel("Index (baseline = 100)");
        plot.ShowLegend(Alignment.LowerLeft);
        return new ReportChart("trajectory", $"Each target is a straight line from the baseline year ({programme.BaselineYear} = 100) to the target year; the points are January to {report.Month.ToLongName()} against the same months of {programme.BaselineYear}.", Render(plot));
    }

    private static ReportChart Cusum(ProgrammeReport report, ReportQuantity quantity)
    {
        var plot = new Plot();
        var (unit, scale) = ReportTables.Display(quantity);
        var palette = new ScottPlot.Palettes.Category10();
        var sites = report.SiteSavings.Where(s => s.Quantity == quantity).ToArray();
        var total = new SortedDictionary<DateOnly, double>();
        for (var i = 0; i < sites.Length; i++)
        {
            var points = sites[i].DailyCusum;
            var line = plot.Add.Scatter(
                points.Select(p => ToX(p.Date)).ToArray(),
                points.Select(p => p.CumulativeSavings * scale).ToArray(),
                palette.GetColor(i + 1));
            line.MarkerSize = 0;
            line.LegendText = report.Sites.First(s => s.Id == sites[i].SiteId).Name;
            foreach (var point in points)
            {
                total[point.Date] = 0.0;
            }
        }

        // The programme line carries each site's last CUSUM value over days it has no data.
        foreach (var site in sites)
        {
            var last = 0.0;
            var next = 0;
            foreach (var date in total.Keys.ToArray())
            {
                while (next < site.DailyCusum.Count && site.DailyCusum[next].Date <= date)
                {
                    last = site.DailyCusum[next++].CumulativeSavings;
                }

                total[date] += last * scale;
            }
        }

        var programme = plot.Add.Scatter(total.Keys.Select(ToX).ToArray(), total.Values.ToArray(), palette.GetColor(0));
        programme.MarkerSize = 0;
        programme.LineWidth = 3;
        programme.LegendText = "Programme";
        plot.Add.HorizontalLine(0.0, 1, Colors.Gray);
        var dates = plot.Axes.DateTimeTicksBottom();
        if (dates.TickGenerator is ScottPlot.TickGenerators.DateTimeAutomatic ticks)
        {
            ticks.LabelFormatter = d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        plot.Title($"Savings CUSUM, {ReportTables.Name(quantity)} ({unit}), since 1 January {report.Month.Year}");
        plot.YLabel($"Σ savings, {unit}");
        plot.ShowLegend(Alignment.UpperLeft);
        return new ReportChart(
            $"cusum-{ReportTables.Name(quantity).ToLowerInvariant()}",
            "Savings CUSUM = Σ (adjusted baseline − actual): a rising line means savings, a falling one overconsumption against the baseline year's model.",
            Render(plot));
    }

    private static ReportChart Intensity(ProgrammeReport report)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var rows = report.Intensities.Where(i => i.Quantity == ReportQuantity.Energy).ToArray();
        var bars = new List<Bar>();
        var labels = new List<(double Position, string Label)>();
        string[] series = [$"{report.Programme.BaselineYear}", report.Month.ToString(), $"{report.Month.Year} to date"];
        for (var i = 0; i < rows.Length; i++)
        {
            var origin = i * (series.Length + 1);
            double[] values = [100.0, 100.0 * rows[i].Month / rows[i].Baseline, 100.0 * rows[i].YearToDate / rows[i].Baseline];
            for (var k = 0; k < values.Length; k++)
            {
                bars.Add(new Bar { Position = origin + k, Value = values[k], FillColor = palette.GetColor(k), Label = values[k].ToString("0", CultureInfo.InvariantCulture) });
            }

            var site = report.Sites.First(s => s.Id == rows[i].SiteId);
            labels.Add((origin + 1, string.Create(CultureInfo.InvariantCulture, $"{site.Name} ({rows[i].Baseline:0.##} kWh/{rows[i].ProductionUnit} in {report.Programme.BaselineYear})")));
        }

        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. labels.Select(l => l.Position)], [.. labels.Select(l => l.Label)]);
        plot.Axes.SetLimitsY(0, bars.Select(b => b.Value).DefaultIfEmpty(100.0).Max() * 1.25); // room for the legend above the bars
        for (var k = 0; k < series.Length; k++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[k], FillColor = palette.GetColor(k) });
        }

        plot.Title($"Energy intensity by site ({report.Programme.BaselineYear} = 100)");
        plot.YLabel("kWh per unit produced, index");
        plot.ShowLegend(Alignment.UpperRight);
        return new ReportChart("intensity", "Final energy per unit of each site's reference production (ratio of sums), as an index of the baseline year; below 100 is an improvement.", Render(plot));
    }

    private static double ToX(DateOnly date) => date.ToDateTime(TimeOnly.MinValue).ToOADate();

    /// <summary>The SVG element alone: inside HTML the XML declaration Skia writes first would be a bogus comment.</summary>
    private static string Render(Plot plot)
    {
        var svg = plot.GetSvgHtml(Width, Height);
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start < 0 ? throw new InvalidOperationException("ScottPlot rendered no SVG element.") : svg[start..].Trim();
    }
}
