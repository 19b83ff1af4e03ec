using System.Globalization;
using Monitoring.Domain.Registry;

namespace Monitoring.Server.Cli;

/// <summary>The one-screen overview of a valid registry printed by <c>config check</c> and <c>demo</c>.</summary>
internal static class RegistrySummary
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Write(TextWriter output, string directory, RegistryLoadResult result)
    {
        var registry = result.Registry!;
        output.WriteLine($"Registry {directory}: valid ({result.Files.Count} files)");
        output.WriteLine();

        output.WriteLine($"Sites ({registry.Sites.Count})");
        Table(output, registry.Sites.Select(s => new[]
        {
            s.Id, s.Ecosystem, s.TimeZone.Id,
            Count(s.Lines.Count, "line"), Count(s.Assets.Count, "asset"),
            Count(s.Meters.Count, "meter"), Count(s.ProductionCounters.Count, "production counter"),
        }));
        output.WriteLine();

        output.WriteLine("Meters per carrier");
        var meters = registry.Sites.SelectMany(s => s.Meters).ToList();
        Table(output, meters
            .GroupBy(m => m.Carrier)
            .OrderBy(g => g.Key)
            .Select(g => new[]
            {
                g.Key.ToName(),
                g.Count().ToString(Invariant),
                g.Count(m => m.IsVirtual) is var v and > 0 ? $"({v.ToString(Invariant)} virtual)" : string.Empty,
            }));
        output.WriteLine();

        output.WriteLine($"Carbon: GWP {registry.Carbon.Gwp.ToString().ToUpperInvariant()}, "
            + $"{Count(registry.EmissionFactors.Count, "emission factor")}, {Count(registry.Fuels.Count, "fuel")}");
        output.WriteLine();

        output.WriteLine($"Programmes ({registry.Programmes.Count})");
        Table(output, registry.Programmes.Select(p => new[]
        {
            p.Id, Count(p.SiteIds.Count, "site"),
            $"{p.BaselineYear.ToString(Invariant)} -> {p.TargetYear.ToString(Invariant)}",
            Targets(p.Targets),
        }));
        output.WriteLine();

        output.WriteLine($"Projects ({registry.Projects.Count})");
        Table(output, registry.Projects.Select(p => new[]
        {
            p.Id, p.SiteId, p.Status.ToString().ToLowerInvariant(),
            $"capex {p.Capex.ToString("N0", Invariant)} {p.Currency}",
            $"saves {p.ExpectedSavings.Cost.ToString("N0", Invariant)} {p.Currency}/yr",
        }));
    }

    private static string Targets(ProgrammeTargets targets)
    {
        var parts = new List<string>();
        Add("energy", targets.EnergyPercent);
        Add("CO2e", targets.Co2ePercent);
        Add("water", targets.WaterPercent);
        return string.Join(", ", parts);

        void Add(string name, double? percent)
        {
            if (percent is { } p)
            {
                parts.Add($"{name} -{p.ToString(Invariant)} %");
            }
        }
    }

    private static string Count(int count, string noun) =>
        $"{count.ToString(Invariant)} {noun}{(count == 1 ? string.Empty : "s")}";

    private static void Table(TextWriter output, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            output.WriteLine("  (none)");
            return;
        }

        var widths = Enumerable.Range(0, list.Max(r => r.Length))
            .Select(i => list.Max(r => i < r.Length ? r[i].Length : 0))
            .ToArray();
        foreach (var row in list)
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]));
            output.WriteLine(("  " + string.Join("  ", cells)).TrimEnd());
        }
    }
}
