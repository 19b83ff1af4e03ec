using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

namespace Monitoring.Ingestion.Tests;

/// <summary>
/// <see cref="IngestPipeline.ReloadAsync"/> on a real pipeline and log: a removed meter's open intervals are closed,
/// the others continue, a write read under the old registry is translated, and writes racing reloads are all stored.
/// </summary>
public sealed class RegistryReloadTests : IDisposable
{
    private static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-2);
    private readonly string _root = Directory.CreateTempSubdirectory("registry-reload-").FullName;
    private readonly RollupTopology _before;
    private readonly RollupTopology _after;

    public RegistryReloadTests()
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, "config");
        _before = Load(bundled);

        // The same registry with CNC cell 2's meter removed and a sub-meter added in front of the others.
        var edited = Path.Combine(_root, "registry");
        foreach (var file in Directory.EnumerateFiles(bundled, "*.yaml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(edited, Path.GetRelativePath(bundled, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var site = Path.Combine(edited, "sites", "casa-aero.yaml");
        var text = File.ReadAllText(site);
        var changed = text
            .Replace("    meters:\n", "    meters:\n      - id: new-sub\n        name: New sub-meter\n        carrier: electricity\n        parent: main-incomer\n        fields: [energy_import_kwh]\n", StringComparison.Ordinal)
            .Replace("      - id: cnc-line-2\n        name: CNC cell 2 (Carlo Gavazzi EM24)\n        carrier: electricity\n        asset: cnc-cell-2\n" +
                "        parent: main-incomer\n        rated_rate: 400\n        fields: [energy_import_kwh, power_kw]\n", "", StringComparison.Ordinal);
        Assert.NotEqual(text, changed);
        File.WriteAllText(site, changed);
        _after = Load(edited);
    }

    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static RollupTopology Load(string directory)
    {
        var load = SiteRegistryLoader.LoadDirectory(directory);
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        return RollupTopology.Create(SeriesCatalog.Create(load.Registry!));
    }

    private static int Series(SeriesCatalog catalog, string meter) =>
        catalog.TryGetSeries("casa-aero", meter, "energy_import_kwh", out var id) ? id : throw new InvalidOperationException(meter);

    /// <summary>A meter's energy register, <paramref name="perMinute"/> kWh a minute, from minute <paramref name="from"/>, as resolved under <paramref name="catalog"/>.</summary>
    private static PointRecord[] Readings(SeriesCatalog catalog, string meter, int from, int to, double perMinute) =>
        [.. Enumerable.Range(from, to - from).Select(m => new PointRecord(Series(catalog, meter), Start.AddMinutes(m).ToUnixTimeMilliseconds(), 1000 + (m * perMinute)))];

    private Task<IngestPipeline> StartAsync(IPipelineOutput output, Quarantine quarantine) => IngestPipeline.StartAsync(_before, output, quarantine,
        new IngestPipelineOptions { DataDirectory = Data, Fsync = false }, NullLogger.Instance);

    [Fact]
    public async Task A_removed_meter_is_closed_incomplete_the_others_continue_and_a_write_read_before_the_reload_is_translated()
    {
        var output = new RecordingOutput();
        var quarantine = new Quarantine(null);
        await using var pipeline = await StartAsync(output, quarantine);
        var before = pipeline.Catalog;
        Assert.Equal(SubmitOutcome.Stored, await pipeline.SubmitAsync(IngestBatch.Create("w\u001f1"u8,
            [.. Readings(before, "compressors", 0, 21, 1), .. Readings(before, "cnc-line-2", 0, 21, 2)], [])));

        var swap = await pipeline.ReloadAsync(_after);

        Assert.Equal(["casa-aero/cnc-line-2/energy_import_kwh", "casa-aero/cnc-line-2/power_kw"], swap.SeriesRemoved.Order(StringComparer.Ordinal));
        Assert.Equal((1, 1), (swap.SeriesAdded, swap.SeriesClosed));
        Assert.Same(_after.Catalog, pipeline.Catalog);

        // CNC cell 2's last readings (minutes 15 to 20) are in intervals closed at the reload, flagged INCOMPLETE.
        var closed = output.Series("cnc-line-2");
        var quarter = Assert.Single(closed, i => i.Resolution == IntervalResolution.FifteenMinutes && i.Start == Start.AddMinutes(15));
        Assert.Equal(10, quarter.Consumption, 9);
        Assert.True((quarter.Flags & IntervalQuality.Incomplete) != 0);
        var hour = Assert.Single(closed, i => i.Resolution == IntervalResolution.Hour);
        Assert.Equal(40, hour.Consumption, 9);
        Assert.True((hour.Flags & IntervalQuality.Incomplete) != 0);

        // A write read under the old registry and submitted after the reload: the compressors' readings get their new
        // ids, CNC cell 2's go to quarantine. Then the new meter, resolved under the new registry.
        Assert.Equal(SubmitOutcome.Stored, await pipeline.SubmitAsync(
            [IngestBatch.Create("w\u001f2"u8, [.. Readings(before, "compressors", 21, 40, 1), .. Readings(before, "cnc-line-2", 21, 25, 2)], [])], before));
        Assert.Equal(SubmitOutcome.Stored, await pipeline.SubmitAsync(
            [IngestBatch.Create("w\u001f3"u8, [.. Readings(pipeline.Catalog, "compressors", 40, 61, 1), .. Readings(pipeline.Catalog, "new-sub", 30, 61, 0.5)], [])], pipeline.Catalog));
        await pipeline.CheckpointAsync();
        Assert.Equal(4, quarantine.Count(RejectionReason.UnknownMeter));

        // The compressors' quarter across the reload holds its 15 kWh; the new meter's full quarters 7.5 kWh.
        var compressors = output.Series("compressors").Where(i => i.Resolution == IntervalResolution.FifteenMinutes).ToList();
        Assert.Equal([0, 15, 30], compressors.Select(i => (int)(i.Start - Start).TotalMinutes));
        Assert.All(compressors, i => Assert.Equal(15, i.Consumption, 9));
        Assert.Same(_after.Catalog[Series(_after.Catalog, "compressors")], compressors[^1].Series);
        Assert.Equal(7.5, Assert.Single(output.Series("new-sub"), i => i.Resolution == IntervalResolution.FifteenMinutes).Consumption, 9);
        Assert.Equal(21 + 21 + 19 + 21 + 31, pipeline.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task Writes_sent_while_the_registry_is_reloaded_again_and_again_are_all_stored_and_applied_to_their_own_meters()
    {
        var output = new RecordingOutput();
        await using var pipeline = await StartAsync(output, new Quarantine(null));
        const int Reloads = 6;
        var reloads = Task.Run(async () =>
        {
            for (var i = 0; i < Reloads; i++)
            {
                await pipeline.ReloadAsync(i % 2 == 0 ? _after : _before);
                await Task.Delay(20);
            }
        });

        // Four writers, one meter each, one reading every ten seconds of event time (0.6 kWh a minute) per write, each
        // resolving it against the registry in force when it "reads" its write, until the last reload is done. Every
        // reload moves the casa-aero series ids: a reading applied under the wrong registry lands on another meter.
        string[] meters = ["compressors", "cnc-line-1", "chillers", "furnace-aux"];
        var outcomes = await Task.WhenAll(meters.Select((meter, writer) => Task.Run(async () =>
        {
            var results = new List<SubmitOutcome>();
            for (var i = 0; i < 200 || (!reloads.IsCompleted && i < 10_000); i++)
            {
                var catalog = pipeline.Catalog;
                PointRecord[] reading = [new(Series(catalog, meter), Start.AddSeconds(i * 10).ToUnixTimeMilliseconds(), 1000 + (i * 0.1))];
                results.Add(await pipeline.SubmitAsync([IngestBatch.Create(System.Text.Encoding.UTF8.GetBytes($"w\u001f{writer}-{i}"), reading, [])], catalog));
            }

            return results;
        })));
        await reloads;
        await pipeline.CheckpointAsync();

        Assert.All(outcomes.SelectMany(o => o), o => Assert.Equal(SubmitOutcome.Stored, o));
        Assert.Equal(outcomes.Sum(o => o.Count), pipeline.Statistics.ReadingsApplied);
        Assert.Equal(meters.Order(StringComparer.Ordinal), output.Meters());
        foreach (var meter in meters)
        {
            var quarters = output.Series(meter).Where(i => i.Resolution == IntervalResolution.FifteenMinutes).ToList();
            Assert.NotEmpty(quarters);
            Assert.All(quarters, q => Assert.Equal(9, q.Consumption, 9));
        }
    }

    /// <summary>Keeps the series intervals the pipeline writes (the applier's thread writes, the test reads after a checkpoint).</summary>
    private sealed class RecordingOutput : DiscardingOutput
    {
        private readonly List<ClosedInterval> _intervals = [];

        public List<ClosedInterval> Series(string meter)
        {
            lock (_intervals)
            {
                return [.. _intervals.Where(i => i.Series.MeterId == meter && i.Series.Field == "energy_import_kwh" && !i.IsCorrection)];
            }
        }

        public List<string> Meters()
        {
            lock (_intervals)
            {
                return [.. _intervals.Select(i => i.Series.MeterId).Distinct().Order(StringComparer.Ordinal)];
            }
        }

        public override void Write(in ClosedInterval interval)
        {
            lock (_intervals)
            {
                _intervals.Add(interval);
            }
        }
    }
}
