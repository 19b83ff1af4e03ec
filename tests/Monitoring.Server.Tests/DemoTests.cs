using System.Globalization;
using Monitoring.Server.Cli;
using Monitoring.Server.Demo;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;
using Spectre.Console.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// <c>monitoring demo</c> end to end: the history of both plants through the write API, baselines, the plants live
/// with their edge agents, the programme report; the savings it measures against the simulator's ground truth.
/// </summary>
public sealed class DemoTests : IDisposable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly string _out = Directory.CreateTempSubdirectory("demo-test-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Demo_measures_the_projects_savings_within_10_percent_of_the_ground_truth_and_writes_the_report()
    {
        // History from the baseline year (2023) to 1 November 2025, when all three implemented projects run; 10 s live.
        var console = new TestConsole().Width(200).Interactive();
        var error = new StringWriter();
        var options = new DemoOptions(MonitoringCommand.BundledRegistry, _out, TimeSpan.FromSeconds(10), 1800, null, true, new DateTimeOffset(2025, 11, 1, 0, 0, 0, TimeSpan.Zero), 0);

        var exit = await DemoRunner.RunAsync(options, console, error, CancellationToken.None);

        Assert.True(exit == 0, $"exit {exit}: {error}\n{console.Output}");
        Assert.True(File.Exists(Path.Combine(_out, "ma-industry-2030-2025-10.html")), console.Output);
        Assert.True(File.Exists(Path.Combine(_out, "savings-programme.csv")));
        var projects = File.ReadAllLines(Path.Combine(_out, "project-savings.csv"))[1..]
            .Select(l => l.Split(','))
            .ToDictionary(r => r[0], r => (From: DateOnly.Parse(r[4], Invariant), To: DateOnly.Parse(r[5], Invariant), Measured: Number(r[10]), True: Number(r[12])));
        Assert.Equal(["casa-air-leaks", "casa-chiller-vsd", "tanger-tower-blowdown"], projects.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, p) in projects)
        {
            Assert.True(p.True > 0, $"{id}: no true savings");
            Assert.True(Math.Abs(p.Measured - p.True) <= 0.10 * p.True, $"{id}: measured {p.Measured:N0}, true {p.True:N0}");
        }

        // The live table was drawn with the live plants' figures, and the edge agents delivered.
        Assert.Contains("Plant time 2025-11-01", console.Output, StringComparison.Ordinal);
        Assert.Contains("Intensity vs baseline", console.Output, StringComparison.Ordinal);
        Assert.Matches(@"agent of casa-aero: [1-9][0-9,]* records in [0-9,]+ batches over Mqtt, 0 failures", console.Output);
        Assert.Matches(@"agent of tanger-mach: [1-9][0-9,]* records in [0-9,]+ batches over Http, 0 failures", console.Output);

        // The truth column is the simulator's: the same plant without the project uses that much more water.
        var tower = projects["tanger-tower-blowdown"];
        var withProject = TowerWater(tower.From, tower.To, withoutProject: false);
        var withoutProject = TowerWater(tower.From, tower.To, withoutProject: true);
        Assert.Equal(withoutProject - withProject, tower.True, 0.01);
    }

    [Fact]
    public void The_live_table_renders_each_site_with_its_figures_and_alerts()
    {
        var console = new TestConsole().Width(180);
        var snapshot = new LiveSnapshot(new DateTimeOffset(2026, 3, 2, 10, 15, 0, TimeSpan.Zero), 1800, TimeSpan.FromSeconds(42), 1_234_567,
        [
            new LiveSiteRow("casa-aero", 8_123.4, 1_250, 1_200, 40.5, 5.61, "parts", 14.2, 15.0, 272.1, 49.4, ["demand 1,250 kW over contract"]),
            new LiveSiteRow("tanger-mach", 5_072, 985, null, 23.0, 3.41, "t", null, 420.0, null, null, []),
        ]);

        console.Write(LiveTable.Render(snapshot));

        var output = console.Output;
        Assert.Contains("Plant time 2026-03-02 10:15 UTC", output, StringComparison.Ordinal);
        Assert.Contains("1,234,567 readings applied", output, StringComparison.Ordinal);
        Assert.Matches(@"casa-aero +│ +8,123 │ +1,250 \(1,200\) │ +40\.5 │ +5\.61 │ 14\.20 vs 15\.00 \(-5%\) kWh/parts │ +272\.1 ± 49\.4 │ demand 1,250 kW over contract", output);
        Assert.Matches(@"tanger-mach +│ +5,072 │ +985 │ +23\.0 │ +3\.41 │ +- │ +- │ none", output);
        Assert.Equal(
            "plant time 2026-03-02 10:15Z, 1,234,567 readings applied: casa-aero today 8,123 kWh, peak 1,250 kW, 40.5 m3, 5.61 tCO2e [demand 1,250 kW over contract]; tanger-mach today 5,072 kWh, peak 985 kW, 23.0 m3, 3.41 tCO2e",
            LiveTable.Line(snapshot));
    }

    [Theory]
    [InlineData("--duration", "soon")]
    [InlineData("--start", "yesterday")]
    [InlineData("--speed", "0")]
    public void Demo_refuses_bad_options(string option, string value)
    {
        var error = new StringWriter();
        var exit = MonitoringCommand.Create().Parse(["demo", option, value]).Invoke(new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(1, exit);
        Assert.Contains(option, error.ToString(), StringComparison.Ordinal);
    }

    private static double Number(string text) => double.Parse(text, Invariant);

    /// <summary>The cooling tower's true make-up water over [from, to] (local days), from the simulator's ground truth.</summary>
    private static double TowerWater(DateOnly from, DateOnly to, bool withoutProject)
    {
        var scenario = ScenarioLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "scenarios", "tanger-mach.yaml"), MonitoringCommand.BundledRegistry).Scenario!;
        var truth = new StringWriter(Invariant);
        var options = new GenerateOptions(scenario.LocalMidnight(from), scenario.LocalMidnight(to.AddDays(1)), TimeSpan.FromHours(1))
        {
            DisabledProjects = withoutProject ? new HashSet<string> { "tanger-tower-blowdown" } : new HashSet<string>(),
        };
        Generator.Run(scenario, options, Stream.Null, truth);
        return truth.ToString().Split('\n').Select(l => l.Split(','))
            .Where(r => r.Length == 6 && r[2] == "meter" && r[3] == "water-cooling-tower")
            .Sum(r => Number(r[5]));
    }
}
