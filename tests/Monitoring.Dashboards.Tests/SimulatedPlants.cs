using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// The example plants' readings as their edge agents would send them: the simulators generate each site's line
/// protocol in parallel and the lines are merged in time order, as a live server receives them (so programme nodes are
/// not forced closed while one site runs ahead of the other), then handed over in chunks that end at a line.
/// </summary>
internal static class SimulatedPlants
{
    private const int ChunkBytes = 8 << 20;

    /// <summary>
    /// Simulates every scenario from <paramref name="from"/> to <paramref name="to"/> (local dates and times of the
    /// sites) every <paramref name="interval"/>, with <paramref name="extraFaults"/> (scenario YAML fault entries per
    /// site) added to the scenario files, and calls <paramref name="send"/> with each chunk (nanosecond timestamps) in
    /// order. Returns the number of lines.
    /// </summary>
    public static async Task<long> SendAsync(
        string from,
        string to,
        TimeSpan interval,
        IReadOnlyDictionary<string, string[]> extraFaults,
        Func<ReadOnlyMemory<byte>, Task> send,
        CancellationToken cancellationToken)
    {
        var scenarios = Directory.EnumerateFiles(RepositoryPaths.Scenarios, "*.yaml").Order(StringComparer.Ordinal)
            .Select(file => LoadScenario(file, extraFaults)).ToList();
        var pipes = scenarios.Select(_ => new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20))).ToList();
        var generators = scenarios.Select((scenario, i) => Task.Run(() => Generate(scenario, from, to, interval, pipes[i].Writer), cancellationToken)).ToList();
        var merged = new Pipe(new PipeOptions(pauseWriterThreshold: 16 << 20, resumeWriterThreshold: 8 << 20));
        var merging = Task.Run(() => MergeInTimeOrderAsync(pipes.Select(p => p.Reader).ToList(), merged.Writer, cancellationToken), cancellationToken);
        var lines = await SendChunksAsync(merged.Reader, send, cancellationToken).ConfigureAwait(false);
        await merged.Reader.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll([.. generators, merging]).ConfigureAwait(false);
        return lines;
    }

    private static async Task<long> SendChunksAsync(PipeReader reader, Func<ReadOnlyMemory<byte>, Task> send, CancellationToken cancellationToken)
    {
        long lines = 0;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            while (buffer.Length >= ChunkBytes || (read.IsCompleted && !buffer.IsEmpty))
            {
                var window = buffer.Slice(0, Math.Min(buffer.Length, ChunkBytes)).ToArray();
                var end = read.IsCompleted && buffer.Length <= ChunkBytes ? window.Length : Array.LastIndexOf(window, (byte)'\n') + 1;
                lines += window.AsSpan(0, end).Count((byte)'\n');
                await send(window.AsMemory(0, end)).ConfigureAwait(false);
                buffer = buffer.Slice(end);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return lines;
            }
        }
    }

    private static Scenario LoadScenario(string file, IReadOnlyDictionary<string, string[]> extraFaults)
    {
        var text = File.ReadAllText(file);
        var site = Path.GetFileNameWithoutExtension(file);
        if (extraFaults.TryGetValue(site, out var faults))
        {
            // The fault entries go right below the 'faults:' key, before the file's own.
            var lines = text.Split('\n').ToList();
            var at = lines.FindIndex(l => l.StartsWith("faults:", StringComparison.Ordinal));
            if (at < 0)
            {
                throw new InvalidOperationException($"{file} has no 'faults:' section to add to");
            }

            lines.InsertRange(at + 1, faults.Select(f => "  - " + f));
            text = string.Join('\n', lines);
        }

        var loaded = ScenarioLoader.Load(file, text, RepositoryPaths.Registry);
        return loaded.Scenario ?? throw new InvalidOperationException($"{file}: {string.Join("; ", loaded.Errors)}");
    }

    private static async Task Generate(Scenario scenario, string from, string to, TimeSpan interval, PipeWriter output)
    {
        try
        {
            var zone = scenario.Site.TimeZone;
            var options = new GenerateOptions(LocalInstant(from, zone), LocalInstant(to, zone), interval);
            await using var stream = output.AsStream(leaveOpen: true);
            Generator.Run(scenario, options, stream);
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private static DateTimeOffset LocalInstant(string local, TimeZoneInfo zone)
    {
        var time = DateTime.ParseExact(local, ["yyyy-MM-dd", "yyyy-MM-dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None);
        return new DateTimeOffset(time, zone.GetUtcOffset(time));
    }

    /// <summary>Copies the lines of every input to <paramref name="output"/>, always the one with the earliest timestamp next.</summary>
    private static async Task MergeInTimeOrderAsync(List<PipeReader> inputs, PipeWriter output, CancellationToken cancellationToken)
    {
        try
        {
            var readers = inputs.Select(i => new StreamReader(i.AsStream(), Encoding.UTF8)).ToList();
            var heads = new string?[readers.Count];
            var times = new long[readers.Count];
            for (var i = 0; i < readers.Count; i++)
            {
                (heads[i], times[i]) = await NextAsync(readers[i], cancellationToken).ConfigureAwait(false);
            }

            await using var writer = new StreamWriter(output.AsStream(leaveOpen: true), new UTF8Encoding(false), 1 << 16);
            while (true)
            {
                var next = -1;
                for (var i = 0; i < heads.Length; i++)
                {
                    if (heads[i] is not null && (next < 0 || times[i] < times[next]))
                    {
                        next = i;
                    }
                }

                if (next < 0)
                {
                    break;
                }

                await writer.WriteAsync(heads[next]).ConfigureAwait(false);
                await writer.WriteAsync('\n').ConfigureAwait(false);
                (heads[next], times[next]) = await NextAsync(readers[next], cancellationToken).ConfigureAwait(false);
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(string? Line, long Time)> NextAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return line is null ? (null, 0) : (line, long.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
