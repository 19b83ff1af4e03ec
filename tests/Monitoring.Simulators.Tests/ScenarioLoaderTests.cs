using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Tests;

public sealed class ScenarioLoaderTests
{
    [Fact]
    public void Both_example_scenarios_load_against_the_example_registry()
    {
        var casa = Scenarios.Load(Scenarios.CasaPath);
        var tanger = Scenarios.Load(Scenarios.TangerPath);

        Assert.Equal("casa-aero", casa.Site.Id);
        Assert.Equal("tanger-mach", tanger.Site.Id);
        // Every physical meter and production counter of each site is simulated.
        foreach (var scenario in new[] { casa, tanger })
        {
            var physical = scenario.Site.Meters.Where(m => !m.IsVirtual).Select(m => m.Id)
                .Concat(scenario.Site.ProductionCounters.Select(c => c.Id));
            Assert.Equal(physical.Order(StringComparer.Ordinal), scenario.Meters.Select(m => m.Id).Order(StringComparer.Ordinal));
            Assert.All(scenario.Projects, p => Assert.NotNull(scenario.Registry.FindProject(p.Id)));
        }
    }

    [Fact]
    public void An_unknown_meter_is_an_error_with_file_line_and_column()
    {
        var text = File.ReadAllText(Scenarios.CasaPath).Replace(
            "- { id: furnace-aux, device: modbus",
            "- { id: furnace-auxx, device: modbus",
            StringComparison.Ordinal);

        var result = ScenarioLoader.Load(Scenarios.CasaPath, text);

        Assert.Null(result.Scenario);
        var error = result.Errors.First(e => e.Message.Contains("furnace-auxx", StringComparison.Ordinal)).ToString();
        var line = text.Split('\n').Select((l, i) => (l, i)).First(x => x.l.Contains("furnace-auxx", StringComparison.Ordinal)).i + 1;
        var column = text.Split('\n')[line - 1].IndexOf("furnace-auxx", StringComparison.Ordinal) + 1;
        Assert.Equal($"{Scenarios.CasaPath}:{line}:{column}: meter 'furnace-auxx': unknown meter: site 'casa-aero' has no meter or production counter 'furnace-auxx'", error);
        // The registry meter left without a device is reported too.
        Assert.Contains(result.Errors, e => e.Message.Contains("meter 'furnace-aux' of site 'casa-aero' has no entry", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("- { id: base, meter: main-incomer, model: base", "- { id: base, meter: main-incomerr, model: base", "unknown meter 'main-incomerr'")]
    [InlineData("- { id: base, meter: main-incomer, model: base", "- { id: base, meter: elec-unmetered, model: base", "is virtual")]
    [InlineData("model: compressor, annual: 1400000, leak: 0.35", "model: compressor, annual: 1400000, leek: 0.35", "unknown key 'leek' (did you mean 'leak'?)")]
    [InlineData("{ type: drop, meter: cnc-line-1,", "{ type: drop, meter: compressors,", "behind gateway 'elec-gw'")]
    [InlineData("{ id: casa-air-leaks, consumer: air,", "{ id: tanger-tower-blowdown, consumer: air,", "not in the registry's project bank for site 'casa-aero'")]
    [InlineData("{ id: casa-chiller-vsd, consumer: chiller,", "{ id: casa-chiller-vsd, consumer: air,", "not behind the project's meters (chillers)")]
    public void Scenario_errors_name_what_is_wrong(string find, string replace, string expected)
    {
        var text = File.ReadAllText(Scenarios.CasaPath).Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(File.ReadAllText(Scenarios.CasaPath), text);

        var result = ScenarioLoader.Load(Scenarios.CasaPath, text);

        Assert.Null(result.Scenario);
        Assert.Contains(result.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal) && e.Location.Line > 0);
    }
}
