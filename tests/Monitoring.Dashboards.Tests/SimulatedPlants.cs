using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.LineProtocol;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// The example plants through the product's path, as <c>monitoring demo</c> runs them: simulators → line protocol →
/// parser → <see cref="PointRouter"/> → <see cref="IntervalAggregator"/> → <see cref="RollupEngine"/>. The sites are
/// generated in parallel and their lines merged in time order, as a live server receives them (so programme
/// nodes are not forced closed while one site runs ahead of the other).
/// </summary>
internal sealed class SimulatedPlants
{
    private SimulatedPlants(SiteRegistry registry, RollupTopology topology, PointRouter router, LineProtocolBodyReader reader)
    {
        Registry = registry;
        Topology = topology;
        Router = router;
        Reader = reader;
    }

    public SiteRegistry Registry { get; }

    public RollupTopology Topology { get; }

    public PointRouter Router { get; }

    private LineProtocolBodyReader Reader { get; }

    /// <summary>
    /// Simulates every scenario from <paramref name="from"/> to <paramref name="to"/> (local dates and times of the
    /// sites) every <paramref name="interval"/>, with <paramref name="extraFaults"/> (scenario YAML fault entries per
    /// site) added to the scenario files, and aggregates everything into <paramref name="records"/>.
    /// </summary>
    public static async Task<SimulatedPlants> RunAsync(
        string from,
        string to,
        TimeSpan interval,
        IReadOnlyDictionary<string, string[]> extraFaults,
        PlantRecords records,
        CancellationToken cancellationToken)
    {
        var registry = SiteRegistryLoader.LoadDirectory(RepositoryPaths.Registry).Registry
            ?? throw new InvalidOperationException("the example registry in config/ does not load");
        var catalog = SeriesCatalog.Create(registry);
        var topology = RollupTopology.Create(catalog);
        var engine = new RollupEngine(topology, records);
        var aggregator = new IntervalAggregator(catalog, new FanOutIntervalSink(records, engine));
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = long.MaxValue, MaxErrors = 0 });
        var plants = new SimulatedPlants(registry, topology, new PointRouter(catalog, aggregator), reader);

        var scenarios = Directory.EnumerateFiles(RepositoryPaths.Scenarios, "*.yaml").Order(StringComparer.Ordinal)
            .Select(file => LoadScenario(file, extraFaults)).ToList();
        var pipes = scenarios.Select(_ => new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20))).ToList();
        var generators = scenarios.Select((scenario, i) => Task.Run(() => Generate(scenario, from, to, interval, pipes[i].Writer), cancellationToken)).ToList();
        var merged = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var merging = Task.Run(() => MergeInTimeOrderAsync(pipes.Select(p => p.Reader).ToList(), merged.Writer, cancellationToken), cancellationToken);
        await reader.ReadAsync(merged.Reader, plants.Router, LineProtocolPrecision.Nanoseconds, 0, cancellationToken).ConfigureAwait(false);
        await merged.Reader.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll([.. generators, merging]).ConfigureAwait(false);

        aggregator.CloseAll();
        engine.CloseAll();
        return plants;
    }

    /// <summary>Feeds more line protocol (e.g. lines the registry refuses) through the same router.</summary>
    public async Task FeedAsync(string lines, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(lines));
        await Reader.ReadAsync(body, Router, LineProtocolPrecision.Seconds, 0, cancellationToken).ConfigureAwait(false);
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
