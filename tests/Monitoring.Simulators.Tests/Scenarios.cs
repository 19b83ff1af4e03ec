using System.Globalization;
using System.Text;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Tests;

/// <summary>The repository's scenario files and a line-protocol reader for what <c>generate</c> writes.</summary>
internal static class Scenarios
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string CasaPath => Path.Join(RepositoryRoot, "simulators", "scenarios", "casa-aero.yaml");

    public static string TangerPath => Path.Join(RepositoryRoot, "simulators", "scenarios", "tanger-mach.yaml");

    private static readonly Dictionary<string, Scenario> Loaded = [];

    public static Scenario Load(string path)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(path, out var scenario))
            {
                var result = ScenarioLoader.LoadFile(path);
                Assert.True(result.Scenario is not null, string.Join(Environment.NewLine, result.Errors));
                scenario = result.Scenario!;
                Loaded[path] = scenario;
            }

            return scenario;
        }
    }

    public static DateTimeOffset Local(Scenario scenario, string text) =>
        scenario.ToUtc(DateTime.ParseExact(text, ["yyyy-MM-dd", "yyyy-MM-dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None));

    /// <summary>Runs <c>generate</c> in memory: the lines parsed, and the ground-truth CSV rows.</summary>
    public static (List<Line> Lines, List<TruthRow> Truth) Generate(Scenario scenario, string from, string to, TimeSpan interval, params string[] withoutProjects)
    {
        using var lines = new MemoryStream();
        using var truth = new StringWriter(CultureInfo.InvariantCulture);
        Generator.Run(
            scenario,
            new GenerateOptions(Local(scenario, from), Local(scenario, to), interval) { DisabledProjects = withoutProjects.ToHashSet() },
            lines,
            truth);
        return (ParseLines(Encoding.UTF8.GetString(lines.ToArray())), ParseTruth(truth.ToString()));
    }

    public static List<Line> ParseLines(string text)
    {
        var result = new List<Line>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            Assert.Equal(3, parts.Length);
            var tags = parts[0].Split(',');
            Assert.Equal("meter", tags[0]);
            var fields = parts[1].Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
            var ns = long.Parse(parts[2], CultureInfo.InvariantCulture);
            result.Add(new Line(tags[1]["site=".Length..], tags[2]["meter=".Length..], fields, DateTimeOffset.UnixEpoch.AddTicks(ns / 100)));
        }

        return result;
    }

    public static List<TruthRow> ParseTruth(string csv)
    {
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("site,date,kind,id,quantity,value", rows[0]);
        return [.. rows[1..].Select(r => r.Split(',')).Select(c => new TruthRow(
            DateOnly.ParseExact(c[1], "yyyy-MM-dd", CultureInfo.InvariantCulture), c[2], c[3], c[4], double.Parse(c[5], CultureInfo.InvariantCulture)))];
    }

    /// <summary>A counter's readings turned back into a true running total: rollovers undone, multiplier applied.</summary>
    public static List<(DateTimeOffset Time, double Total)> Unwrapped(IEnumerable<Line> lines, string meter, string field, double multiplier, double? modulus)
    {
        var result = new List<(DateTimeOffset, double)>();
        var offset = 0.0;
        double? previous = null;
        foreach (var line in lines.Where(l => l.Meter == meter && l.Fields.ContainsKey(field)).OrderBy(l => l.Time))
        {
            var value = line.Fields[field];
            if (previous is { } p && value < p && modulus is { } m)
            {
                offset += m;
            }

            previous = value;
            result.Add((line.Time, (value + offset) * multiplier));
        }

        return result;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "Monitoring.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Monitoring.sln not found above the test binaries.");
    }
}

internal sealed record Line(string Site, string Meter, Dictionary<string, double> Fields, DateTimeOffset Time);

internal sealed record TruthRow(DateOnly Date, string Kind, string Id, string Quantity, double Value);
