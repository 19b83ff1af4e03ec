using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Monitoring.Server.Demo;

/// <summary>One site's line of the live table: its local day so far, against its baseline.</summary>
/// <param name="IntensityToday">kWh of final energy per unit of the reference production today; null before any production.</param>
/// <param name="IntensityBaseline">The same over the baseline year.</param>
/// <param name="SavingsMwh">Normalised energy savings since 1 January (complete days), MWh.</param>
internal sealed record LiveSiteRow(
    string Site, double ElectricityKwh, double PeakKw, double? ContractKw, double WaterM3, double Tco2e, string ProductionUnit,
    double? IntensityToday, double? IntensityBaseline, double? SavingsMwh, double? SavingsUncertaintyMwh, IReadOnlyList<string> Alerts);

/// <summary>What the live table shows at one instant.</summary>
internal sealed record LiveSnapshot(DateTimeOffset PlantTime, double Speed, TimeSpan Elapsed, long Readings, IReadOnlyList<LiveSiteRow> Sites);

/// <summary>Renders the live table (Spectre.Console): one row per site, today's figures in the site's local time.</summary>
internal static class LiveTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IRenderable Render(LiveSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var table = new Table()
            .Border(TableBorder.Rounded)
            .Title(string.Create(Invariant, $"[bold]Plant time {snapshot.PlantTime:yyyy-MM-dd HH:mm} UTC[/]  x{snapshot.Speed:0}  ·  {snapshot.Readings:N0} readings applied  ·  {snapshot.Elapsed:hh\\:mm\\:ss}"))
            .Caption("Today so far (site local day) · intensity = kWh per unit produced · savings = normalised, since 1 January");
        table.AddColumn("Site");
        table.AddColumn(new TableColumn("kWh").RightAligned());
        table.AddColumn(new TableColumn("Demand kW (contract)").RightAligned());
        table.AddColumn(new TableColumn("m³").RightAligned());
        table.AddColumn(new TableColumn("tCO2e").RightAligned());
        table.AddColumn(new TableColumn("Intensity vs baseline").RightAligned());
        table.AddColumn(new TableColumn("Savings MWh").RightAligned());
        table.AddColumn("Alerts");
        foreach (var row in snapshot.Sites)
        {
            table.AddRow(
                new Markup(Markup.Escape(row.Site)),
                new Text(row.ElectricityKwh.ToString("N0", Invariant)),
                new Markup(Demand(row)),
                new Text(row.WaterM3.ToString("N1", Invariant)),
                new Text(row.Tco2e.ToString("N2", Invariant)),
                new Markup(Intensity(row)),
                new Text(row.SavingsMwh is { } s ? string.Create(Invariant, $"{s:N1}{(row.SavingsUncertaintyMwh is { } u ? $" ± {u:N1}" : string.Empty)}") : "-"),
                new Markup(row.Alerts.Count == 0 ? "[green]none[/]" : "[yellow]" + Markup.Escape(string.Join("; ", row.Alerts)) + "[/]"));
        }

        return table;
    }

    /// <summary>The plain-text status line printed instead of the table (<c>--no-live</c>, or output not a terminal).</summary>
    public static string Line(LiveSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return string.Create(Invariant, $"plant time {snapshot.PlantTime:yyyy-MM-dd HH:mm}Z, {snapshot.Readings:N0} readings applied: ")
            + string.Join("; ", snapshot.Sites.Select(s => string.Create(Invariant,
                $"{s.Site} today {s.ElectricityKwh:N0} kWh, peak {s.PeakKw:N0} kW, {s.WaterM3:N1} m3, {s.Tco2e:N2} tCO2e{(s.Alerts.Count > 0 ? " [" + string.Join("; ", s.Alerts) + "]" : string.Empty)}")));
    }

    private static string Demand(LiveSiteRow row)
    {
        var peak = row.PeakKw.ToString("N0", Invariant);
        if (row.ContractKw is not { } contract)
        {
            return peak;
        }

        var colour = row.PeakKw > contract ? "red" : "green";
        return string.Create(Invariant, $"[{colour}]{peak}[/] ({contract:N0})");
    }

    private static string Intensity(LiveSiteRow row)
    {
        if (row.IntensityToday is not { } today || row.IntensityBaseline is not { } baseline || baseline <= 0)
        {
            return "-";
        }

        var change = (today - baseline) / baseline;
        var colour = change <= 0 ? "green" : "red";
        return string.Create(Invariant, $"{today:N2} vs {baseline:N2} [{colour}]({change:+0%;-0%})[/]") + " " + Markup.Escape($"kWh/{row.ProductionUnit}");
    }
}
