using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Storage;

namespace Monitoring.Ingestion.Tests;

/// <summary>The write-ahead log of a real <see cref="IngestPipeline"/> on disk: writes stored in parts, and parts a crash cut short.</summary>
public sealed class PipelineRecoveryTests : IDisposable
{
    private static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-10);
    private readonly string _data = Directory.CreateTempSubdirectory("pipeline-recovery-").FullName;
    private readonly RollupTopology _topology;

    public PipelineRecoveryTests()
    {
        var registry = SiteRegistryLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "config")).Registry!;
        _topology = RollupTopology.Create(SeriesCatalog.Create(registry));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private int Series(string meter) =>
        _topology.Catalog.TryGetSeries("casa-aero", meter, "energy_import_kwh", out var id) ? id : throw new InvalidOperationException(meter);

    private PointRecord[] Readings(string meter, int from, int count) =>
        [.. Enumerable.Range(from, count).Select(m => new PointRecord(Series(meter), Start.AddMinutes(m).ToUnixTimeMilliseconds(), 1000 + m))];

    private Task<IngestPipeline> StartAsync() => IngestPipeline.StartAsync(_topology, new DiscardingOutput(), new Quarantine(null),
        new IngestPipelineOptions { DataDirectory = _data, Fsync = false }, NullLogger.Instance);

    [Fact]
    public async Task A_write_stored_in_parts_is_applied_once_whole_and_a_group_a_crash_cut_short_is_skipped_at_replay()
    {
        await using (var pipeline = await StartAsync())
        {
            var records = IngestBatch.CreateRecords("w\u001fbig"u8, Readings("compressors", 0, 3000), [], maxRecordBytes: 16 * 1024);
            Assert.True(records.Count >= 3);
            Assert.Equal(SubmitOutcome.Stored, await pipeline.SubmitAsync(records));
            Assert.Equal(SubmitOutcome.Duplicate, await pipeline.SubmitAsync(records));
            await pipeline.CheckpointAsync();
            Assert.Equal((3000L, 1L, 1L), (pipeline.Statistics.ReadingsApplied, pipeline.Statistics.BatchesStored, pipeline.Statistics.BatchesDuplicate));
        }

        // A crash while a later write was being appended in parts: its first part is in the log, the rest is not,
        // and whole writes came after it. Then another group whose first part alone made it, at the end of the log.
        await using (var wal = DiskBuffer.Open(new DiskBufferOptions { Directory = Path.Combine(_data, "wal"), Fsync = false }, out _))
        {
            var cut = IngestBatch.CreateRecords("w\u001fcut"u8, Readings("chillers", 0, 3000), [], maxRecordBytes: 16 * 1024);
            await wal.AppendAsync(RecordPriority.Counter, cut[0].Payload);
            await wal.AppendAsync(RecordPriority.Counter, IngestBatch.Create("w\u001fwhole"u8, Readings("compressors", 3000, 10), []).Payload);
            var tail = IngestBatch.CreateRecords("w\u001ftail"u8, Readings("chillers", 5000, 3000), [], maxRecordBytes: 16 * 1024);
            await wal.AppendAsync(RecordPriority.Counter, tail[0].Payload);
            await wal.AppendAsync(RecordPriority.Counter, tail[1].Payload);
        }

        await using var restarted = await StartAsync();
        Assert.Equal((1L, 10L), (restarted.Statistics.ReplayedBatches, restarted.Statistics.ReadingsApplied));

        // The writes cut short were never acknowledged: sent again, they are stored, not taken for duplicates.
        Assert.Equal(SubmitOutcome.Stored, await restarted.SubmitAsync(IngestBatch.CreateRecords("w\u001fcut"u8, Readings("chillers", 0, 3000), [], 16 * 1024)));
        Assert.Equal(SubmitOutcome.Duplicate, await restarted.SubmitAsync(IngestBatch.Create("w\u001fwhole"u8, Readings("compressors", 3000, 10), [])));
        await restarted.CheckpointAsync();
        Assert.Equal(3010L, restarted.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task The_same_batch_sent_while_the_first_copy_is_on_its_way_gets_the_first_copys_answer()
    {
        await using var pipeline = await StartAsync();
        var batch = IngestBatch.Create("w\u001fsame"u8, Readings("compressors", 0, 100), []);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => pipeline.SubmitAsync(batch).AsTask()));
        await pipeline.CheckpointAsync();

        Assert.Single(outcomes, o => o == SubmitOutcome.Stored);
        Assert.Equal(7, outcomes.Count(o => o == SubmitOutcome.Duplicate));
        Assert.Equal((100L, 1L, 7L), (pipeline.Statistics.ReadingsApplied, pipeline.Statistics.BatchesStored, pipeline.Statistics.BatchesDuplicate));
        Assert.All(pipeline.Loops, l => Assert.Equal((0L, "running"), (l.Restarts, l.State)));
    }

}
