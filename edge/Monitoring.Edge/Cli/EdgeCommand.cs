using System.CommandLine;
using System.Globalization;
using System.Text;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Modbus;
using Monitoring.Storage;

namespace Monitoring.Edge.Cli;

/// <summary>The <c>monitoring-edge</c> command line.</summary>
internal static class EdgeCommand
{
    public const int Ok = 0;
    public const int DeviceFailure = 1;
    public const int InvalidConfiguration = 2;

    /// <summary><c>run</c>: a loop kept failing (or the buffer cannot be opened); the service manager should restart the agent.</summary>
    public const int AgentFailure = 3;

    private static readonly string[] CheckTableHeader = ["field", "value", "unit", "raw registers", "group"];

    public static RootCommand Create()
    {
        var root = new RootCommand("Edge agent: reads Modbus TCP meters and forwards their readings as line protocol.");
        root.Subcommands.Add(CreateCheck());
        root.Subcommands.Add(CreatePoll());
        root.Subcommands.Add(CreateRun());
        return root;
    }

    private static Option<FileInfo> ConfigOption() => new("--config", "-c")
    {
        Description = "The agent's YAML configuration file.",
        Required = true,
    };

    private static Command CreateCheck()
    {
        var config = ConfigOption();
        var check = new Command("check", "Validate the configuration, read every device once, print decoded values, raw registers and planned requests.");
        check.Options.Add(config);
        check.SetAction((parse, cancellationToken) => CheckAsync(
            parse.GetValue(config)!.ToString(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return check;
    }

    private static Command CreatePoll()
    {
        var config = ConfigOption();
        var once = new Option<bool>("--once") { Description = "Poll every group of every device once, then exit (non-zero if a device failed)." };
        var poll = new Command("poll", "Poll the devices and print their readings as line protocol on stdout; errors go to stderr.");
        poll.Options.Add(config);
        poll.Options.Add(once);
        poll.SetAction((parse, cancellationToken) => PollAsync(
            parse.GetValue(config)!.ToString(), parse.GetValue(once), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return poll;
    }

    private static Command CreateRun()
    {
        var config = ConfigOption();
        var run = new Command("run", "Run the agent: poll, buffer every reading on disk, forward upstream, report health. SIGTERM or Ctrl+C stops it cleanly.");
        run.Options.Add(config);
        run.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(config)!.ToString(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return run;
    }

    internal static async Task<int> RunAsync(string path, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var hangup = new HangupSignal();
        if (HangupSignal.IsIgnoredByProcess())
        {
            await error.WriteLineAsync("monitoring-edge: SIGHUP is ignored by this process (started under nohup?): restart it to read its configuration again").ConfigureAwait(false);
        }

        return await RunAsync(path, output, error, hangup.WaitAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the agent; each time <paramref name="waitForReload"/> completes (SIGHUP) the configuration is read again.
    /// A valid one replaces the running agent: it stops (the buffer is closed with everything durable in it) and a new
    /// one starts on the same buffer. An invalid one is reported and the running agent goes on unchanged.
    /// </summary>
    internal static async Task<int> RunAsync(string path, TextWriter output, TextWriter error, Func<CancellationToken, Task> waitForReload, CancellationToken cancellationToken)
    {
        if (LoadForRun(path, error) is not { } configuration)
        {
            return InvalidConfiguration;
        }

        using var systemd = new SystemdService(configuration.Agent);
        while (true)
        {
            EdgeAgent agent;
            BufferRecoveryReport recovery;
            try
            {
                agent = new EdgeAgent(configuration, out recovery);
            }
            catch (EdgeBufferUnavailableException ex)
            {
                error.WriteLine($"monitoring-edge: {ex.Message}");
                return AgentFailure;
            }

            await using var running = agent;
            output.WriteLine($"monitoring-edge {configuration.Agent} for site {configuration.Site}: {configuration.Devices.Count} Modbus device(s), {configuration.MqttInputs?.Count ?? 0} MQTT input(s), buffer {configuration.Buffer!.Directory}, uplink {agent.UplinkDescription}");
            output.WriteLine($"buffer: {recovery.Records} record(s) waiting in {recovery.Segments} segment(s)"
                + (recovery.DiscardedRecords > 0 ? $"; discarded {recovery.DiscardedRecords} damaged record(s), {recovery.DiscardedBytes} bytes" : string.Empty));
            foreach (var problem in recovery.Problems)
            {
                error.WriteLine($"buffer: {problem}");
            }

            using var generation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = agent.RunAsync(generation.Token);
            systemd.Started(agent, generation.Token);
            EdgeConfiguration? next = null;
            while (next is null && !cancellationToken.IsCancellationRequested)
            {
                var reload = waitForReload(generation.Token);
                await Task.WhenAny(run, reload).ConfigureAwait(false);
                if (run.IsCompleted || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                next = LoadForRun(path, error);
                if (next is null)
                {
                    error.WriteLine($"{path}: reload refused; the running configuration stays in force");
                }
                else if (next.Buffer!.Directory != configuration.Buffer.Directory)
                {
                    error.WriteLine($"{path}: reload refused: a new buffer directory needs a restart");
                    next = null;
                }
            }

            systemd.Stopping();
            await generation.CancelAsync().ConfigureAwait(false);
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (EdgeLoopFailedException ex)
            {
                error.WriteLine($"monitoring-edge: {ex.Message}; exiting so that the service manager restarts the agent");
                return AgentFailure;
            }

            if (next is null)
            {
                output.WriteLine("stopped; the buffer keeps what was not yet forwarded");
                return Ok;
            }

            output.WriteLine($"{path}: reloaded");
            configuration = next;
        }
    }

    private static EdgeConfiguration? LoadForRun(string path, TextWriter error)
    {
        if (Load(path, error) is not { } configuration)
        {
            return null;
        }

        if (configuration.Buffer is null || configuration.Uplink is null)
        {
            error.WriteLine($"{path}: 'run' needs the 'buffer' and 'uplink' sections (see docs/edge.md)");
            return null;
        }

        return configuration;
    }

    private static EdgeConfiguration? Load(string path, TextWriter error)
    {
        var result = EdgeConfigurationLoader.LoadFile(path);
        foreach (var problem in result.Errors)
        {
            error.WriteLine(problem.ToString());
        }

        return result.Configuration;
    }

    internal static async Task<int> PollAsync(string path, bool once, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (Load(path, error) is not { } configuration)
        {
            return InvalidConfiguration;
        }

        await using var poller = new EdgePoller(configuration);
        if (once)
        {
            var polls = await poller.PollOnceAsync(cancellationToken).ConfigureAwait(false);
            foreach (var poll in polls)
            {
                Report(configuration, poll, output, error);
            }

            return polls.All(p => p.Succeeded) ? Ok : DeviceFailure;
        }

        var gate = new Lock();
        await poller.RunAsync(
            (poll, _) =>
            {
                lock (gate)
                {
                    Report(configuration, poll, output, error);
                    output.Flush();
                }

                return ValueTask.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);
        return Ok;
    }

    private static void Report(EdgeConfiguration configuration, DevicePoll poll, TextWriter output, TextWriter error)
    {
        var lines = new StringBuilder();
        LineProtocolWriter.WriteMeterLines(lines, configuration.Site, poll.Device.Id, poll.Readings);
        output.Write(lines.ToString());
        foreach (var failure in poll.Errors)
        {
            error.WriteLine($"device '{poll.Device.Id}' ({poll.Device.Endpoint} unit {poll.Device.Unit}): {failure.Block}: {failure.Error.Kind}: {failure.Error.Message}");
        }

        foreach (var field in poll.Invalid)
        {
            error.WriteLine($"device '{poll.Device.Id}': {field}: the device reports no valid value (sentinel or NaN); not sent");
        }
    }

    internal static async Task<int> CheckAsync(string path, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (Load(path, error) is not { } configuration)
        {
            return InvalidConfiguration;
        }

        output.WriteLine($"Configuration {path}: valid. Site {configuration.Site}, agent {configuration.Agent}, {configuration.Devices.Count} device(s).");
        output.WriteLine("Poll groups: " + string.Join(", ", configuration.PollGroups.Select(g => $"{g.Key} every {Durations.Format(g.Value)}")));
        await using var poller = new EdgePoller(configuration);
        var polls = await poller.PollOnceAsync(cancellationToken).ConfigureAwait(false);
        var failed = 0;
        foreach (var device in poller.Devices)
        {
            var config = device.Device;
            output.WriteLine();
            output.WriteLine($"Device {config.Id}: {config.Profile.Name} (profile {config.Profile.Id} v{config.Profile.Version}) at {config.Endpoint} unit {config.Unit}, {TransportName(config)}");
            var devicePolls = polls.Where(p => ReferenceEquals(p.Device, config)).ToList();
            var rows = new List<string[]> { CheckTableHeader };
            foreach (var point in config.Points)
            {
                var poll = devicePolls.First(p => p.Group == point.Group);
                var reading = poll.Readings.FirstOrDefault(r => r.Field == point.Field);
                var value = reading.Field is not null ? reading.Value.ToString("G10", CultureInfo.InvariantCulture)
                    : poll.Invalid.Contains(point.Field) ? "(no valid value)" : "(not read)";
                rows.Add([point.Field, value, FieldUnit(point.Field), RawRegisters(poll, point), point.Group]);
            }

            WriteTable(output, rows);
            output.WriteLine("  Requests:");
            foreach (var group in device.Groups)
            {
                foreach (var block in device.PlanOf(group))
                {
                    output.WriteLine($"    {group}: {block}");
                }
            }

            foreach (var failure in devicePolls.SelectMany(p => p.Errors))
            {
                error.WriteLine($"device '{config.Id}' ({config.Endpoint} unit {config.Unit}): {failure.Block}: {failure.Error.Kind}: {failure.Error.Message}");
            }

            failed += devicePolls.Any(p => !p.Succeeded) ? 1 : 0;
        }

        output.WriteLine();
        foreach (var (endpoint, statistics) in poller.Statistics)
        {
            var crc = statistics.CrcErrors > 0 ? $" ({statistics.CrcErrors} CRC)" : string.Empty;
            output.WriteLine($"{endpoint}: {statistics.Requests} requests, {statistics.Errors} errors{crc}, mean latency {statistics.MeanLatency.TotalMilliseconds:0.0} ms");
        }

        output.WriteLine(failed == 0 ? "Every device answered." : $"{failed} of {configuration.Devices.Count} device(s) failed.");
        return failed == 0 ? Ok : DeviceFailure;
    }

    private static string FieldUnit(string field) =>
        Monitoring.Domain.Registry.FieldVocabulary.TryGet(field, out var known) ? known.Unit : string.Empty;

    private static string RawRegisters(DevicePoll poll, Profiles.ProfilePoint point)
    {
        foreach (var (block, registers) in poll.Raw)
        {
            var planned = block.Points.FirstOrDefault(p => ReferenceEquals(p.Point, point));
            if (planned is not null)
            {
                return string.Join(' ', registers.Skip(planned.Offset).Take(point.RegisterCount).Select(r => r.ToString("X4", CultureInfo.InvariantCulture)));
            }
        }

        return "-";
    }

    private static string TransportName(Configuration.DeviceConfiguration device) => device.Transport switch
    {
        ModbusTransport.Tcp => "Modbus TCP",
        ModbusTransport.RtuOverTcp => "RTU over TCP",
        _ => $"Modbus RTU {device.Serial}",
    };

    private static void WriteTable(TextWriter output, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(("  " + string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i])))).TrimEnd());
        }
    }
}
