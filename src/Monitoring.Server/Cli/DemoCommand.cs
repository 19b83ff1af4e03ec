using System.CommandLine;
using System.Globalization;
using Monitoring.Server.Demo;
using Spectre.Console;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring demo</c>: the whole product in one command on embedded defaults (see <see cref="DemoRunner"/>).
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var registry = new Option<DirectoryInfo>("--registry", "-r")
        {
            Description = "Registry folder (default: the example plants shipped with the program).",
            DefaultValueFactory = _ => new DirectoryInfo(MonitoringCommand.BundledRegistry),
        };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for the programme report (HTML + CSV).", DefaultValueFactory = _ => new DirectoryInfo("out") };
        var duration = new Option<string?>("--duration", "-d") { Description = "Real time the plants run live (30s, 5m, 1h; 0 = none); default: until Ctrl+C." };
        var speed = new Option<double>("--speed", "-s") { Description = "Plant seconds per real second in the live run.", DefaultValueFactory = _ => 1800 };
        var influx = new Option<Uri?>("--influx") { Description = "Also write every interval to this InfluxDB (v2 write API; token in MONITORING_INFLUX_TOKEN)." };
        var noLive = new Option<bool>("--no-live") { Description = "No live table: a status line every 10 s instead (CI, logs)." };
        var start = new Option<string?>("--start") { Description = "Plant time (UTC, yyyy-mm-dd or yyyy-mm-ddThh:mm) where the history ends and the live run starts; default: now." };
        var port = new Option<int>("--port") { Description = "HTTP port of the API on 127.0.0.1 (0: a free port).", DefaultValueFactory = _ => 8080 };
        var demo = new Command("demo", "The whole product in one process: the example plants' history through the write API, baselines and savings, the plants live with their edge agents, the programme report.");
        foreach (var option in new Option[] { registry, output, duration, speed, influx, noLive, start, port })
        {
            demo.Options.Add(option);
        }

        demo.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!TryParseOptions(parse.GetValue(duration), parse.GetValue(start), parse.GetValue(speed), parse.GetValue(port), out var live, out var startAt, error))
            {
                return ExitCodes.Failure;
            }

            // The live table and the progress bar on the process's own terminal; any other writer is a log.
            var writer = parse.InvocationConfiguration.Output;
            // (Spectre's own detection of interactivity says no inside tmux; a terminal on both ends is what matters here.)
            var terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected && !Console.IsInputRedirected;
            var console = AnsiConsole.Create(terminal
                ? new AnsiConsoleSettings { Interactive = InteractionSupport.Yes }
                : new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.No });
            if (!console.Profile.Capabilities.Interactive)
            {
                console.Profile.Width = Math.Max(console.Profile.Width, 160); // a log file has no width: keep the tables whole
            }

            var options = new DemoOptions(parse.GetValue(registry)!.ToString(), parse.GetValue(output)!.ToString(), live, parse.GetValue(speed), parse.GetValue(influx),
                !parse.GetValue(noLive), startAt, parse.GetValue(port));
            return await DemoRunner.RunAsync(options, console, error, cancellationToken).ConfigureAwait(false);
        });
        return demo;
    }

    internal static bool TryParseOptions(string? durationText, string? startText, double speed, int port, out TimeSpan? duration, out DateTimeOffset? start, TextWriter error)
    {
        duration = null;
        start = null;
        if (durationText is not null)
        {
            if (durationText == "0")
            {
                duration = TimeSpan.Zero;
            }
            else if (TryParseDuration(durationText, out var parsed))
            {
                duration = parsed;
            }
            else
            {
                error.WriteLine($"--duration '{durationText}' is not a duration (30s, 5m, 1h)");
                return false;
            }
        }

        if (startText is not null)
        {
            if (!DateTime.TryParseExact(startText, ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var utc))
            {
                error.WriteLine($"--start '{startText}' is not a UTC time (yyyy-mm-dd or yyyy-mm-ddThh:mm)");
                return false;
            }

            start = new DateTimeOffset(utc, TimeSpan.Zero);
        }

        if (!(speed is >= 1 and <= 1_000_000) || port is < 0 or > 65535)
        {
            error.WriteLine("--speed must be between 1 and 1000000, --port between 0 and 65535");
            return false;
        }

        return true;
    }

    /// <summary><c>90s</c>, <c>5m</c>, <c>1h</c>.</summary>
    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var unit = text.Length == 0 ? ' ' : text[^1];
        var seconds = unit switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, _ => 0.0 };
        if (seconds == 0.0 || !double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * seconds);
        return true;
    }
}
