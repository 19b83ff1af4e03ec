using System.Diagnostics;
using System.Globalization;
using System.Text;
using Monitoring.Storage;

namespace Monitoring.Edge.Benchmarks;

/// <summary>
/// <c>buffer-throughput [--records 200000] [--writers 64] [--fsync true]</c>: appends line-protocol-sized records from
/// concurrent writers (as the agent's inputs append) with the default group commit, then replays them in uplink
/// batches of 5 000 (peek + acknowledge), and prints records/s for both.
/// </summary>
public static class BufferThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var records = SimulatedDevices.IntOption(args, "--records", 200_000);
        var writers = SimulatedDevices.IntOption(args, "--writers", 64);
        var fsync = SimulatedDevices.StringOption(args, "--fsync", "true") == "true";
        var directory = Path.Combine(Path.GetTempPath(), "buffer-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new DiskBufferOptions { Directory = directory, Fsync = fsync };
            var perWriter = records / writers;
            var appendTime = Stopwatch.StartNew();
            await using (var buffer = DiskBuffer.Open(options, out _))
            {
                await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; i < perWriter; i++)
                    {
                        var line = string.Create(CultureInfo.InvariantCulture, $"meter,site=casa-aero,meter=m-{w:000} energy_import_kwh={123456.5 + i},power_kw=12.25,pf=0.92 {1764000000000000000L + i}\n");
                        await buffer.AppendAsync(RecordPriority.Counter, Encoding.UTF8.GetBytes(line)).ConfigureAwait(false);
                    }
                }))).ConfigureAwait(false);
            }

            appendTime.Stop();
            var appended = perWriter * writers;
            var bytes = new DirectoryInfo(directory).EnumerateFiles("*.seg").Sum(f => f.Length);

            var replayTime = Stopwatch.StartNew();
            var replayed = 0;
            await using (var buffer = DiskBuffer.Open(options, out var report))
            {
                while (buffer.Peek(5000) is { Count: > 0 } batch)
                {
                    replayed += batch.Count;
                    buffer.Acknowledge(batch[^1].Sequence);
                }

                if (report.Records != appended || replayed != appended)
                {
                    throw new InvalidOperationException($"appended {appended}, recovered {report.Records}, replayed {replayed}");
                }
            }

            replayTime.Stop();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"append: {appended} records ({bytes / 1048576.0:0.0} MiB) from {writers} writers, fsync {(fsync ? "group commit" : "off")}: "
                + $"{appended / appendTime.Elapsed.TotalSeconds:0} records/s; replay (recovery + peek/acknowledge in batches of 5000): "
                + $"{replayed / replayTime.Elapsed.TotalSeconds:0} records/s"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
