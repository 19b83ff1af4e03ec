using System.CommandLine;
using System.Globalization;
using System.Net;
using Monitoring.Simulators.Devices;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Cli;

/// <summary>The <c>monitoring-sim</c> command line: <c>plant</c> (live devices) and <c>generate</c> (history as line protocol).</summary>
internal static class SimCommand
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;

    private static readonly string[] TimeFormats = ["yyyy-MM-dd", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"];

    public static RootCommand Create()
    {
        var root = new RootCommand("Simulated plants: live Modbus TCP and MQTT meters, and months of readings as line protocol.");
        root.Subcommands.Add(CreatePlant());
        root.Subcommands.Add(CreateGenerate());
        return root;
    }

    private static Option<FileInfo> ScenarioOption() => new("--scenario", "-s")
    {
        Description = "The scenario file (simulators/scenarios/*.yaml).",
        Required = true,
    };

    private static Option<DirectoryInfo> RegistryOption() => new("--registry")
    {
        Description = "The site registry folder (default: the scenario's 'registry' key).",
    };

    private static Option<string[]> WithoutProjectOption() => new("--without-project")
    {
        Description = "Leave out a project of the scenario, as if it never happened (repeatable).",
    };

    private static Command CreateGenerate()
    {
        var scenario = ScenarioOption();
        var registry = RegistryOption();
        var from = new Option<string>("--from") { Description = "First local date or time of the site (yyyy-mm-dd[ hh:mm]).", Required = true };
        var to = new Option<string>("--to") { Description = "Last local date or time, included (yyyy-mm-dd[ hh:mm]).", Required = true };
        var interval = new Option<string>("--interval") { Description = "Time between readings: 10s, 1m, 15m, 1h.", DefaultValueFactory = _ => "1m" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Line protocol file (default: standard output)." };
        var truth = new Option<FileInfo?>("--ground-truth") { Description = "Ground-truth CSV (default with --out: OUT with extension .truth.csv)." };
        var without = WithoutProjectOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar." };
        var command = new Command("generate", "Write the readings the site's edge agents would have produced, as line protocol, as fast as possible; and the ground truth per local day.");
        foreach (var option in new Option[] { scenario, registry, from, to, interval, output, truth, without, quiet })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) => Task.FromResult(Generate(
            parse.GetValue(scenario)!.FullName,
            parse.GetValue(registry)?.FullName,
            parse.GetValue(from)!,
            parse.GetValue(to)!,
            parse.GetValue(interval)!,
            parse.GetValue(output)?.FullName,
            parse.GetValue(truth)?.FullName,
            parse.GetValue(without) ?? [],
            parse.GetValue(quiet),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error)));
        return command;
    }

    private static Command CreatePlant()
    {
        var scenario = ScenarioOption();
        var registry = RegistryOption();
        var speed = new Option<double>("--speed") { Description = "Virtual seconds per real second (3600: an hour per second).", DefaultValueFactory = _ => 1 };
        var start = new Option<string?>("--start") { Description = "Virtual start, local time of the site (default: now)." };
        var host = new Option<string>("--host") { Description = "Address the Modbus servers listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--base-port") { Description = "First Modbus port, then one per device or gateway (0: free ports).", DefaultValueFactory = _ => 15020 };
        var mqtt = new Option<string?>("--mqtt") { Description = "MQTT broker for the MQTT meters (mqtt://host:port)." };
        var publishEvery = new Option<string>("--publish-every") { Description = "Virtual time between two MQTT readings of a meter.", DefaultValueFactory = _ => "1m" };
        var edgeConfig = new Option<FileInfo?>("--edge-config") { Description = "Write an edge agent configuration for the Modbus devices here." };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many real seconds (default: run until Ctrl+C)." };
        var without = WithoutProjectOption();
        var sparkplug = new Option<bool>("--sparkplug") { Description = "Publish the MQTT meters as the devices of one Sparkplug B edge node instead of JSON." };
        var command = new Command("plant", "Run the scenario's devices live: Modbus TCP servers with the meters' register maps, MQTT meters publishing JSON.");
        foreach (var option in new Option[] { scenario, registry, speed, start, host, port, mqtt, publishEvery, edgeConfig, duration, without, sparkplug })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => PlantAsync(
            new PlantOptions(
                parse.GetValue(scenario)!.FullName,
                parse.GetValue(registry)?.FullName,
                parse.GetValue(speed),
                parse.GetValue(start),
                parse.GetValue(host)!,
                parse.GetValue(port),
                parse.GetValue(mqtt),
                parse.GetValue(publishEvery)!,
                parse.GetValue(edgeConfig)?.FullName,
                parse.GetValue(duration),
                parse.GetValue(without) ?? [],
                parse.GetValue(sparkplug)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    internal static Scenario? LoadScenario(string path, string? registry, TextWriter error)
    {
        var result = ScenarioLoader.LoadFile(path, registry);
        foreach (var problem in result.Errors)
        {
            error.WriteLine(problem.ToString());
        }

        return result.Scenario;
    }

    internal static int Generate(
        string scenarioPath, string? registry, string fromText, string toText, string intervalText, string? outPath, string? truthPath,
        string[] withoutProjects, bool quiet, TextWriter output, TextWriter error)
    {
        if (LoadScenario(scenarioPath, registry, error) is not { } scenario)
        {
            return InvalidInput;
        }

        if (!TryParseLocal(scenario, fromText, out var from) || !TryParseLocal(scenario, toText, out var to))
        {
            error.WriteLine("monitoring-sim: --from and --to are local times written yyyy-mm-dd or yyyy-mm-dd hh:mm");
            return InvalidInput;
        }

        if (!TryParseDuration(intervalText, out var interval) || interval <= TimeSpan.Zero)
        {
            error.WriteLine($"monitoring-sim: --interval '{intervalText}' is not a duration such as 10s, 1m, 15m, 1h");
            return InvalidInput;
        }

        if (from < scenario.Epoch || to < from)
        {
            error.WriteLine($"monitoring-sim: the period must start on or after the scenario start {scenario.Start:yyyy-MM-dd} and end after it starts");
            return InvalidInput;
        }

        var unknown = withoutProjects.Where(p => scenario.Projects.All(x => x.Id != p)).ToList();
        if (unknown.Count > 0)
        {
            error.WriteLine($"monitoring-sim: --without-project: the scenario has no project {string.Join(", ", unknown)} (it has: {string.Join(", ", scenario.Projects.Select(p => p.Id))})");
            return InvalidInput;
        }

        truthPath ??= outPath is null ? null : Path.ChangeExtension(outPath, ".truth.csv");
        using var lines = outPath is null ? Console.OpenStandardOutput() : new FileStream(outPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        using var truth = truthPath is null ? null : new StreamWriter(truthPath, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
        var result = Generator.Run(
            scenario,
            new GenerateOptions(from, to, interval) { DisabledProjects = withoutProjects.ToHashSet(StringComparer.Ordinal), Progress = quiet ? null : error },
            lines,
            truth);
        if (outPath is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Lines} lines ({result.Bytes / 1e6:0.0} MB) in {result.Elapsed.TotalSeconds:0.00} s: {result.LinesPerSecond:0} lines/s -> {outPath}"));
            if (truthPath is not null)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.GroundTruthRows} ground-truth rows -> {truthPath}"));
            }
        }

        return Ok;
    }

    internal sealed record PlantOptions(
        string Scenario, string? Registry, double Speed, string? Start, string Host, int BasePort, string? Mqtt, string PublishEvery,
        string? EdgeConfig, double? Duration, string[] WithoutProjects, bool Sparkplug = false);

    internal static async Task<int> PlantAsync(PlantOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (LoadScenario(options.Scenario, options.Registry, error) is not { } scenario)
        {
            return InvalidInput;
        }

        var start = DateTimeOffset.UtcNow;
        if (options.Start is not null && !TryParseLocal(scenario, options.Start, out start))
        {
            error.WriteLine("monitoring-sim: --start is a local time written yyyy-mm-dd or yyyy-mm-dd hh:mm");
            return InvalidInput;
        }

        if (start < scenario.Epoch)
        {
            error.WriteLine($"monitoring-sim: --start is before the scenario start {scenario.Start:yyyy-MM-dd}");
            return InvalidInput;
        }

        if (options.Speed <= 0 || !IPAddress.TryParse(options.Host, out var address) || !TryParseDuration(options.PublishEvery, out var publishEvery))
        {
            error.WriteLine("monitoring-sim: --speed must be positive, --host an IP address, --publish-every a duration (1m)");
            return InvalidInput;
        }

        Uri? broker = null;
        if (options.Mqtt is not null)
        {
            try
            {
                broker = MqttMeters.ParseBroker(options.Mqtt);
            }
            catch (FormatException ex)
            {
                error.WriteLine($"monitoring-sim: --mqtt: {ex.Message}");
                return InvalidInput;
            }
        }

        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"monitoring-sim: running the model from {scenario.Start:yyyy-MM-dd} to {scenario.ToLocal(start):yyyy-MM-dd HH:mm} (local)..."));
        var plant = new LivePlant(scenario, new VirtualClock(start, options.Speed), options.WithoutProjects.ToHashSet(StringComparer.Ordinal));
        await using var modbus = new ModbusDevices(plant, address, options.BasePort);
        modbus.Start();
        MqttMeters? mqtt = null;
        try
        {
            if (broker is not null)
            {
                mqtt = new MqttMeters(plant, broker, publishEvery, options.Sparkplug);
                await mqtt.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            PrintDevices(scenario, modbus, mqtt, broker, options, output);
            if (options.EdgeConfig is not null)
            {
                await File.WriteAllTextAsync(options.EdgeConfig, modbus.EdgeConfiguration(options.Host, mqtt?.MeterIds), cancellationToken).ConfigureAwait(false);
                output.WriteLine($"edge configuration: {options.EdgeConfig}");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready: virtual time {plant.Clock.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss'Z'} x{options.Speed}"));
            output.Flush();
            try
            {
                await Task.Delay(options.Duration is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or System.Net.Sockets.SocketException)
        {
            error.WriteLine($"monitoring-sim: {ex.Message}");
            return Failure;
        }
        finally
        {
            if (mqtt is not null)
            {
                await mqtt.DisposeAsync().ConfigureAwait(false);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped at virtual time {plant.Clock.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss'Z'}"));
        return Ok;
    }

    private static void PrintDevices(Scenario scenario, ModbusDevices modbus, MqttMeters? mqtt, Uri? broker, PlantOptions options, TextWriter output)
    {
        output.WriteLine($"site {scenario.Site.Id}: Modbus TCP devices");
        foreach (var endpoint in modbus.Endpoints)
        {
            foreach (var index in endpoint.Meters)
            {
                var meter = scenario.Meters[index];
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {meter.Id,-22} {options.Host}:{endpoint.Port} unit {meter.Unit,-3} {meter.Profile!.Id,-22} {string.Join(",", meter.ReportedFields)}"));
            }
        }

        var mqttMeters = scenario.Meters.Where(m => m.Device == DeviceKind.Mqtt).ToList();
        if (mqttMeters.Count > 0)
        {
            output.WriteLine(mqtt is null
                ? $"MQTT meters (not published: no --mqtt): {string.Join(", ", mqttMeters.Select(m => m.Id))}"
                : $"MQTT meters on {broker}:");
            if (mqtt is not null)
            {
                foreach (var meter in mqttMeters)
                {
                    output.WriteLine($"  {meter.Id,-22} {MqttMeters.Topic(scenario.Site.Id, meter.Id)}  {{\"ts\":...,{string.Join(",", meter.ReportedFields.Select(f => $"\"{f}\":..."))}}}");
                }
            }
        }
    }

    internal static bool TryParseLocal(Scenario scenario, string text, out DateTimeOffset utc)
    {
        if (DateTime.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            utc = scenario.ToUtc(local);
            return true;
        }

        utc = default;
        return false;
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ when text.EndsWith('d') => (text[..^1], 86400.0),
            _ => (string.Empty, 0),
        };
        if (unit == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * unit);
        return true;
    }
}
