using System.Globalization;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Benchmarks;

/// <summary><c>throughput [--days N] [--out FILE]</c>: one timed <c>generate</c> run of the Casablanca plant at 1-minute readings.</summary>
public static class Throughput
{
    public static Scenario LoadCasa()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Join(dir.FullName, "simulators", "scenarios", "casa-aero.yaml");
            if (File.Exists(path))
            {
                var result = ScenarioLoader.LoadFile(path);
                return result.Scenario ?? throw new InvalidOperationException(string.Join(Environment.NewLine, result.Errors));
            }
        }

        throw new InvalidOperationException("simulators/scenarios/casa-aero.yaml not found above the benchmark binaries.");
    }

    public static int Run(string[] args)
    {
        var days = Option(args, "--days") is { } d ? int.Parse(d, CultureInfo.InvariantCulture) : 365;
        var outPath = Option(args, "--out");
        var scenario = LoadCasa();
        var from = scenario.LocalMidnight(new DateOnly(2023, 1, 1));
        using var output = outPath is null ? Stream.Null : File.Create(outPath);
        var result = Generator.Run(scenario, new GenerateOptions(from, from.AddDays(days), TimeSpan.FromMinutes(1)), output);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Lines} lines, {result.Bytes / 1e6:0.0} MB in {result.Elapsed.TotalSeconds:0.00} s: {result.LinesPerSecond:0} lines/s ({(outPath is null ? "to Stream.Null" : outPath)})"));
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
