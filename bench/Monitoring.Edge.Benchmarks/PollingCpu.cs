using System.Diagnostics;
using System.Globalization;
using System.Text;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;

namespace Monitoring.Edge.Benchmarks;

/// <summary>
/// <c>polling-cpu [--devices 200] [--seconds 30] [--interval 1s] [--sparse]</c>: the agent polls N simulated meters (each its own
/// TCP server, in a child process so that their CPU does not count) every interval, and reports the agent's CPU
/// as a percentage of one core, with polls and readings per second.
/// </summary>
public static class PollingCpu
{
    public static async Task<int> RunAsync(string[] args)
    {
        var devices = SimulatedDevices.IntOption(args, "--devices", 200);
        var seconds = SimulatedDevices.IntOption(args, "--seconds", 30);
        var interval = SimulatedDevices.StringOption(args, "--interval", "1s");
        using var child = StartDevices(devices, sparse: args.Contains("--sparse"));
        var ready = await child.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("the device process did not start");
        var ports = ready["ready ".Length..].Split(',');

        var yaml = new StringBuilder($"site: bench\nagent: gw\npoll_groups: {{ fast: {interval}, slow: {interval} }}\ndevices:\n");
        for (var i = 0; i < ports.Length; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: m-{i:000}, host: 127.0.0.1, port: {ports[i]}, profile: eastron-sdm630 }}\n");
        }

        var configuration = EdgeConfigurationLoader.Load("bench.yaml", yaml.ToString()).Configuration ?? throw new InvalidOperationException("invalid generated configuration");
        await using var poller = new EdgePoller(configuration);
        long polls = 0, readings = 0, errors = 0;
        using var stop = new CancellationTokenSource();
        var run = poller.RunAsync(
            (poll, _) =>
            {
                Interlocked.Increment(ref polls);
                Interlocked.Add(ref readings, poll.Readings.Count);
                Interlocked.Add(ref errors, poll.Errors.Count);
                return ValueTask.CompletedTask;
            },
            stop.Token);

        await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false); // warm-up: connections, JIT, first cycle
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var (pollsBefore, readingsBefore, errorsBefore) = (Interlocked.Read(ref polls), Interlocked.Read(ref readings), Interlocked.Read(ref errors));
        var requestsBefore = poller.Statistics.Values.Sum(s => s.Requests);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var wall = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        child.StandardInput.Close();
        await child.WaitForExitAsync().ConfigureAwait(false);

        var polled = Interlocked.Read(ref polls) - pollsBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"devices {devices}, interval {interval}, measured {wall.TotalSeconds:0.0} s: "
            + $"{polled / wall.TotalSeconds:0} polls/s, {(poller.Statistics.Values.Sum(s => s.Requests) - requestsBefore) / wall.TotalSeconds:0} requests/s, "
            + $"{(Interlocked.Read(ref readings) - readingsBefore) / wall.TotalSeconds:0} readings/s, "
            + $"{Interlocked.Read(ref errors) - errorsBefore} errors, CPU {100 * cpu.TotalSeconds / wall.TotalSeconds:0.00} % of one core, "
            + $"{allocated / wall.TotalSeconds / 1024:0} KiB/s allocated, "
            + $"{poller.Statistics.Values.Sum(s => s.Connects)} connects"));
        return 0;
    }

    private static Process StartDevices(int devices, bool sparse)
    {
        var self = Environment.ProcessPath!;
        var serve = $"serve-devices --devices {devices}{(sparse ? " --sparse" : string.Empty)}";
        var arguments = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? $"\"{typeof(PollingCpu).Assembly.Location}\" {serve}"
            : serve;
        return Process.Start(new ProcessStartInfo(self, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("cannot start the device process");
    }
}
