using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// <c>monitoring config check --edge</c> over copies of the repository's example (config/ and deploy/edge/): the registry
/// held against the edge agents' configurations, read with the agent's own loader and built-in profiles.
/// </summary>
public sealed class EdgeCheckTests : IDisposable
{
    /// <summary>The casa-aero main incomer as the example declared it before the fix (with pf, on one line).</summary>
    private const string CasaIncomerBefore =
        "        fields: [energy_import_kwh, reactive_energy_kvarh, power_kw, reactive_power_kvar, pf, voltage_v, current_a, frequency_hz]\n";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edge-check-" + Guid.NewGuid().ToString("N"));

    public EdgeCheckTests()
    {
        CopyFolder(Path.Combine(Repository.Root, "config"), Registry);
        CopyFolder(Path.Combine(Repository.Root, "deploy", "edge"), Edge);
    }

    private string Registry => Path.Combine(_folder, "config");

    private string Edge => Path.Combine(_folder, "edge");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_example_as_it_was_reports_the_incomers_unserved_reactive_energy_first_and_exits_2()
    {
        Replace(Path.Combine(Registry, "sites", "casa-aero.yaml"),
            "        # No pf: the UMG 96RM has only per-phase cos phi; the period's PF comes from kWh and kvarh.\n"
            + "        fields: [energy_import_kwh, reactive_energy_kvarh, power_kw, reactive_power_kvar, voltage_v, current_a, frequency_hz]\n",
            CasaIncomerBefore);
        Replace(Path.Combine(Edge, "casa-aero.yaml"), "fields: [energy_import_kwh, reactive_energy_kvarh, power_kw, reactive_power_kvar,", "fields: [energy_import_kwh, power_kw, reactive_power_kvar,");
        Replace(Path.Combine(Edge, "tanger-mach.yaml"), "fields: [energy_import_kwh, energy_export_kwh, reactive_energy_kvarh, power_kw,", "fields: [energy_import_kwh, energy_export_kwh, power_kw,");

        var (exit, _, error) = CommandLineTests.Run("config", "check", "--registry", Registry, "--edge", Edge);

        Assert.Equal(2, exit);
        Assert.Equal(
            [
                $"{Registry}/sites/casa-aero.yaml:31:37: error: meter 'main-incomer' of site 'casa-aero' declares 'reactive_energy_kvarh', which no device or MQTT input of {Edge}/casa-aero.yaml serves "
                    + "(device 'main-incomer' reads energy_import_kwh, power_kw, reactive_power_kvar, voltage_v, current_a, frequency_hz): its intervals will be INCOMPLETE every day; "
                    + $"profile 'janitza-umg96rm' has it: add it to the device's fields ({Edge}/casa-aero.yaml:8:5)",
                $"{Registry}/sites/casa-aero.yaml:31:91: error: meter 'main-incomer' of site 'casa-aero' declares 'pf', which no device or MQTT input of {Edge}/casa-aero.yaml serves "
                    + "(device 'main-incomer' reads energy_import_kwh, power_kw, reactive_power_kvar, voltage_v, current_a, frequency_hz): its intervals will be INCOMPLETE every day",
                $"{Registry}/sites/tanger-mach.yaml:32:56: error: meter 'main-incomer' of site 'tanger-mach' declares 'reactive_energy_kvarh', which no device or MQTT input of {Edge}/tanger-mach.yaml serves "
                    + "(device 'main-incomer' reads energy_import_kwh, energy_export_kwh, power_kw, pf, voltage_v, current_a, frequency_hz): its intervals will be INCOMPLETE every day; "
                    + $"profile 'schneider-pm5xxx' has it: add it to the device's fields ({Edge}/tanger-mach.yaml:6:5)",
                $"edge {Edge}: 2 configuration(s) against registry {Registry}: 3 error(s), 0 warning(s)",
            ],
            error.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void The_repository_example_passes_and_exits_0()
    {
        var registry = Path.Combine(Repository.Root, "config");
        var edge = Path.Combine(Repository.Root, "deploy", "edge");

        var (exit, output, error) = CommandLineTests.Run("config", "check", "--registry", registry, "--edge", edge);

        Assert.Equal(string.Empty, error);
        Assert.Equal(0, exit);
        Assert.EndsWith($"edge {edge}: 2 configuration(s) against registry {registry}: 0 error(s), 0 warning(s)", output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_a_device_reads_that_the_registry_does_not_declare_is_a_warning_at_the_device()
    {
        Replace(Path.Combine(Edge, "casa-aero.yaml"), "profile: eastron-sdm630, fields: [energy_import_kwh, power_kw, pf] }", "profile: eastron-sdm630, fields: [energy_import_kwh, power_kw, pf, voltage_v] }");

        var (exit, output, error) = CommandLineTests.Run("config", "check", "--registry", Registry, "--edge", Edge);

        Assert.Equal(0, exit);
        Assert.Equal(
            $"{Edge}/casa-aero.yaml:9:5: warning: device 'compressors' reads 'voltage_v', which meter 'compressors' of site 'casa-aero' does not declare "
                + $"({Registry}/sites/casa-aero.yaml:33:9): the server quarantines it; declare it or leave it out of the device's fields",
            error.TrimEnd());
        Assert.EndsWith($"edge {Edge}: 2 configuration(s) against registry {Registry}: 0 error(s), 1 warning(s)", output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_that_is_not_a_registry_meter_is_an_error_and_the_meter_it_should_be_goes_unserved()
    {
        Replace(Path.Combine(Edge, "tanger-mach.yaml"), "{ id: rooftop-pv,", "{ id: roof-pv,");

        var (exit, _, error) = CommandLineTests.Run("config", "check", "--registry", Registry, "--edge", Edge);

        Assert.Equal(2, exit);
        Assert.Equal(
            [
                $"{Registry}/sites/tanger-mach.yaml:80:18: error: meter 'rooftop-pv' of site 'tanger-mach' declares 'energy_import_kwh', which no device or MQTT input of {Edge}/tanger-mach.yaml serves (no device reads it): its intervals will be INCOMPLETE every day",
                $"{Registry}/sites/tanger-mach.yaml:80:37: error: meter 'rooftop-pv' of site 'tanger-mach' declares 'power_kw', which no device or MQTT input of {Edge}/tanger-mach.yaml serves (no device reads it): its intervals will be INCOMPLETE every day",
                $"{Edge}/tanger-mach.yaml:13:5: error: device 'roof-pv' is not a meter of site 'tanger-mach' in the registry: the server quarantines all its readings",
                $"edge {Edge}: 2 configuration(s) against registry {Registry}: 3 error(s), 0 warning(s)",
            ],
            error.TrimEnd().Split(Environment.NewLine));
    }

    private static void Replace(string file, string text, string replacement)
    {
        var content = File.ReadAllText(file);
        Assert.Contains(text, content, StringComparison.Ordinal);
        File.WriteAllText(file, content.Replace(text, replacement, StringComparison.Ordinal));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
