using System.Diagnostics;
using System.Globalization;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;

namespace Monitoring.Edge.Benchmarks;

/// <summary>
/// <c>serial-bus [--baud 9600] [--seconds 30]</c>: three meters on one RS-485 bus (pymodbus's RTU serial server behind
/// tests/peers/serial_relay.py, which holds every frame for its time on the wire at that baud rate, 8N1), polled back
/// to back; reports the requests (frame pairs) per second achieved against the bus's theoretical maximum for the same
/// requests: their bytes at 10 bits each plus t3.5 of silence before every frame.
/// </summary>
public static class SerialBusThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var baud = SimulatedDevices.IntOption(args, "--baud", 9600);
        var seconds = SimulatedDevices.IntOption(args, "--seconds", 30);
        var peers = Path.Combine(RepositoryRoot(), "tests", "peers");
        var directory = Directory.CreateTempSubdirectory("serial-bench-").FullName;
        var relay = Start(peers, "serial_relay.py", "--link-dir", directory, "--baud", baud.ToString(CultureInfo.InvariantCulture));
        try
        {
            await WaitForLineAsync(relay, "serial_relay: ready").ConfigureAwait(false);
            var server = Start(peers, "modbus_server.py", "--serial", Path.Combine(directory, "device"), "--baud", baud.ToString(CultureInfo.InvariantCulture));
            try
            {
                await WaitForLineAsync(server, "modbus_server: serving").ConfigureAwait(false);
                return await MeasureAsync(Path.Combine(directory, "agent"), baud, seconds).ConfigureAwait(false);
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            relay.Kill();
            await relay.WaitForExitAsync().ConfigureAwait(false);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> MeasureAsync(string port, int baud, int seconds)
    {
        var b = baud.ToString(CultureInfo.InvariantCulture);
        var configuration = EdgeConfigurationLoader.Load("bench.yaml", $"""
            site: bench
            agent: gw
            defaults: {"{"} serial: {port}, baud: {b}, timeout: 1s {"}"}
            devices:
              - {"{"} id: sdm630, unit: 11, profile: eastron-sdm630 {"}"}
              - {"{"} id: flow, unit: 16, profile: tuf-2000m {"}"}
              - {"{"} id: water, unit: 17, profile: xintai-water {"}"}
            """).Configuration ?? throw new InvalidOperationException("invalid bench configuration");
        await using var poller = new EdgePoller(configuration);
        await poller.PollOnceAsync(CancellationToken.None).ConfigureAwait(false); // opens the port; plans settle after exception 2 splits
        await poller.PollOnceAsync(CancellationToken.None).ConfigureAwait(false);

        var line = configuration.Devices[0].Serial!;
        var perCycle = poller.Devices.SelectMany(d => d.Groups.SelectMany(d.PlanOf)).ToList();
        var wirePerCycle = perCycle.Sum(block => line.WireTime(8 + 5 + (2 * block.Count)).TotalSeconds + (2 * line.InterFrameSilence.TotalSeconds));
        var statistics = poller.Statistics[port];
        var (requestsBefore, errorsBefore) = (statistics.Requests, statistics.Errors);
        var clock = Stopwatch.StartNew();
        var cycles = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await poller.PollOnceAsync(CancellationToken.None).ConfigureAwait(false);
            cycles++;
        }

        var wall = clock.Elapsed.TotalSeconds;
        var achieved = (statistics.Requests - requestsBefore) / wall;
        var theoretical = perCycle.Count / wirePerCycle;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serial bus {line}, 3 units, {perCycle.Count} requests a cycle, measured {wall:0.0} s: {cycles / wall:0.00} cycles/s, "
            + $"{achieved:0.0} requests/s of a theoretical {theoretical:0.0} ({100 * achieved / theoretical:0} %), "
            + $"{statistics.Errors - errorsBefore} errors, mean latency {statistics.MeanLatency.TotalMilliseconds:0.0} ms"));
        return 0;
    }

    private static Process Start(string peers, string script, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(Path.Combine(peers, script));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {script}");
    }

    private static async Task WaitForLineAsync(Process process, string prefix)
    {
        while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException($"the peer exited before printing '{prefix}'");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository (tests/peers holds the serial peers)");
    }
}
