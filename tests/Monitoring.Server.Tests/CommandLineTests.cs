using System.CommandLine;
using Monitoring.Server.Cli;

namespace Monitoring.Server.Tests;

/// <summary>The <c>monitoring</c> verbs as a user types them: exit codes and what lands on stdout and stderr.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cli-test-" + Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs the command line in process, as <c>monitoring ARGS</c>.</summary>
    internal static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = MonitoringCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Config_check_on_the_example_registry_prints_the_summary_and_exits_0()
    {
        var (exit, output, error) = Run("config", "check", "--registry", MonitoringCommand.BundledRegistry);

        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error);
        Assert.Contains("valid (5 files)", output, StringComparison.Ordinal);
        Assert.Contains("casa-aero    aeronautics            Africa/Casablanca  3 lines  6 assets  16 meters  3 production counters", output, StringComparison.Ordinal);
        Assert.Contains("electricity  17  (2 virtual)", output, StringComparison.Ordinal);
        Assert.Contains("ma-industry-2030  2 sites  2023 -> 2030  energy -20 %, CO2e -45 %, water -15 %", output, StringComparison.Ordinal);
        Assert.Contains("casa-furnace-burners   casa-aero    approved     capex 1,200,000 MAD  saves 350,000 MAD/yr", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Health_refuses_a_url_that_is_not_http_and_exits_1_when_nothing_answers()
    {
        var (exit, output, error) = Run("health", "--url", "localhost:8080");
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--url: 'localhost:8080' is not an http(s) URL", error, StringComparison.Ordinal);

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (exit, output, error) = Run("health", "--url", $"http://127.0.0.1:{port}/health/ready");
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith($"http://127.0.0.1:{port}/health/ready: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_check_on_a_broken_registry_prints_every_error_and_exits_2()
    {
        File.WriteAllText(Path.Combine(_folder, "a.yaml"), "sites:\n  - id: s1\n    ecosystem: aeronautics\n    timezone: Mars/Olympus\n");
        File.WriteAllText(Path.Combine(_folder, "b.yaml"), "programmes:\n  - id: p\n    sites: [s9]\n    baseline_year: 2023\n    target_year: 2030\n    targets: { energy_percent: 20 }\n");

        var (exit, output, error) = Run("config", "check", "--registry", _folder);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal(
            [
                $"{_folder}/a.yaml:4:15: site 's1': unknown time zone 'Mars/Olympus' (expected an IANA id such as Africa/Casablanca)",
                $"{_folder}/b.yaml:3:13: programme 'p': unknown site 's9'",
                $"registry {_folder}: 2 error(s) in 2 file(s)",
            ],
            error.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void Unknown_verb_is_a_usage_error()
    {
        var (exit, _, error) = Run("frobnicate");

        Assert.Equal(1, exit);
        Assert.Contains("frobnicate", error, StringComparison.Ordinal);
    }
}
