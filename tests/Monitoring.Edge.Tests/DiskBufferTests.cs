using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Storage;
using Monitoring.Testing;

namespace Monitoring.Edge.Tests;

public sealed class DiskBufferTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "buffer-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private DiskBufferOptions Options(long maxBytes = 1 << 20, long segmentBytes = 64 * 1024) =>
        new() { Directory = _directory, MaxBytes = maxBytes, SegmentBytes = segmentBytes, CommitInterval = TimeSpan.Zero };

    private static byte[] Text(string value) => Encoding.ASCII.GetBytes(value);

    private static string[] Texts(IEnumerable<BufferedRecord> records) => [.. records.Select(r => Encoding.ASCII.GetString(r.Payload.Span))];

    [Fact]
    public async Task Unacknowledged_records_survive_a_restart_in_order_and_sequences_are_never_reused()
    {
        await using (var buffer = DiskBuffer.Open(Options(), out _))
        {
            for (var i = 0; i < 10; i++)
            {
                await buffer.AppendAsync(RecordPriority.Counter, Text($"r{i}"));
            }

            var first = buffer.Peek(4);
            buffer.Acknowledge(first[^1].Sequence);
            Assert.Equal(["r0", "r1", "r2", "r3"], Texts(first));
        }

        await using var reopened = DiskBuffer.Open(Options(), out var report);
        var next = await reopened.AppendAsync(RecordPriority.Gauge, Text("r10"));

        Assert.Equal((1, 6L, 0L), (report.Segments, report.Records, report.DiscardedRecords));
        Assert.Equal(11, next);
        Assert.Equal(["r4", "r5", "r6", "r7", "r8", "r9", "r10"], Texts(reopened.Peek(100)));
        Assert.Equal(7, reopened.Statistics.Records);
    }

    [Fact]
    public async Task A_full_file_system_fails_appends_without_a_trace_and_keeps_the_acknowledged_position_in_memory()
    {
        using var fileSystem = await SmallFileSystem.MountAsync("256k");
        var options = Options() with { Directory = Path.Combine(fileSystem.Path, "buffer") };
        var kept = new List<string>();
        long lastSequence;
        await using (var buffer = DiskBuffer.Open(options, out _))
        {
            lastSequence = await buffer.AppendAsync(RecordPriority.Counter, Text("before"));
            kept.Add("before");
            var filler = fileSystem.FillUp();

            // The last page of the segment may still take a few records; then the disk is full.
            IOException? full = null;
            for (var i = 0; full is null && i < 10_000; i++)
            {
                try
                {
                    lastSequence = await buffer.AppendAsync(RecordPriority.Counter, Text($"full-{i:D4}-" + new string('x', 200)));
                    kept.Add($"full-{i:D4}-" + new string('x', 200));
                }
                catch (IOException ex)
                {
                    full = ex;
                }
            }

            buffer.Acknowledge(buffer.Peek(1)[0].Sequence);
            kept.RemoveAt(0);
            var whileFull = buffer.Statistics;
            File.Delete(filler);
            var after = await buffer.AppendAsync(RecordPriority.Counter, Text("after"));
            kept.Add("after");

            Assert.NotNull(full);
            Assert.Equal((1L, 1L, true), (whileFull.WriteFailures, whileFull.CursorWriteFailures, whileFull.CursorStale));
            Assert.Equal(lastSequence + 1, after);
            buffer.Acknowledge(buffer.Peek(1)[0].Sequence);
            kept.RemoveAt(0);
            Assert.False(buffer.Statistics.CursorStale);
        }

        await using var reopened = DiskBuffer.Open(options, out var report);

        Assert.Equal((0L, 0L), (report.DiscardedRecords, report.DiscardedBytes));
        Assert.Equal(kept, Texts(reopened.Peek(100_000)));
    }

    [Fact]
    public async Task Recent_payloads_are_recognised_after_they_were_acknowledged_and_after_a_restart_within_the_window_only()
    {
        // Small segments, so that acknowledged records sit in sealed segments the buffer would otherwise delete.
        var options = Options(segmentBytes: 4096) with { RedeliveryWindow = 300 };
        await using (var buffer = DiskBuffer.Open(options, out _))
        {
            for (var i = 0; i < 1000; i++)
            {
                await buffer.AppendAsync(RecordPriority.Counter, Text($"reading {i:D4} with some padding to fill the segments"));
            }

            buffer.Acknowledge(buffer.Peek(int.MaxValue)[^1].Sequence);
            Assert.True(buffer.ContainsRecent(Text("reading 0999 with some padding to fill the segments")));
            Assert.True(buffer.ContainsRecent(Text("reading 0700 with some padding to fill the segments")));
            Assert.False(buffer.ContainsRecent(Text("reading 0699 with some padding to fill the segments")));
            Assert.False(buffer.ContainsRecent(Text("reading 0999 with some padding to fill the segment")));
            Assert.Equal(0, buffer.Statistics.Records);
        }

        // A crash between the durable append and the broker's acknowledgement, then the forwarder drained everything:
        // after the restart the newest records are still known, though nothing is left to send.
        await using var reopened = DiskBuffer.Open(options, out var report);
        Assert.Equal((0, 0L), (report.Segments, report.Records));
        Assert.Empty(reopened.Peek(100));
        Assert.True(reopened.ContainsRecent(Text("reading 0999 with some padding to fill the segments")));
        Assert.True(reopened.ContainsRecent(Text("reading 0700 with some padding to fill the segments")));
        Assert.False(reopened.ContainsRecent(Text("reading 0000 with some padding to fill the segments")));
        var kept = Directory.GetFiles(_directory, "*.seg").Length;
        Assert.InRange(kept, 2, 10); // the segments of the window (some 50 records each), not all 20 written

        // Without a window nothing acknowledged stays on disk and nothing is recognised.
        await using var plain = DiskBuffer.Open(Options(segmentBytes: 4096), out _);
        Assert.False(plain.ContainsRecent(Text("reading 0999 with some padding to fill the segments")));
        await plain.AppendAsync(RecordPriority.Counter, Text("one more"));
        plain.Acknowledge(plain.Peek(1)[0].Sequence);
        Assert.Single(Directory.GetFiles(_directory, "*.seg"));
    }

    [Fact]
    public async Task A_record_hidden_in_the_payload_of_a_damaged_record_is_never_replayed()
    {
        // A writer controls payload bytes (an agent's health line goes to the log as it came): it hides a whole
        // record in one, in the old CRC-32 format and in the keyed format with a guessed seed.
        var forged = new byte[BufferRecordFormat.Size(16) * 2];
        BufferRecordFormat.WriteLegacy(forged, 2, 0, RecordPriority.Counter, Text("forged reading 1"));
        BufferRecordFormat.Write(forged.AsSpan(BufferRecordFormat.Size(16)), 0, 3, 0, RecordPriority.Counter, Text("forged reading 2"));
        await using (var buffer = DiskBuffer.Open(Options(), out _))
        {
            await buffer.AppendAsync(RecordPriority.Counter, Text("genuine 1"));
            byte[] hiding = [.. Text("edge_status note=\""), .. forged, .. Text("\"")];
            await buffer.AppendAsync(RecordPriority.Counter, hiding);
            await buffer.AppendAsync(RecordPriority.Counter, Text("genuine 3"));
        }

        // The disk damages the record holding them: recovery must skip to the next genuine record.
        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        Assert.Matches(@"^\d{20}-[0-9a-f]{16}\.seg$", Path.GetFileName(segment));
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[BufferRecordFormat.Size(9) + 2] ^= 0xFF; // the second record's magic
        await File.WriteAllBytesAsync(segment, bytes);

        await using var reopened = DiskBuffer.Open(Options(), out var report);
        Assert.Equal(["genuine 1", "genuine 3"], Texts(reopened.Peek(100)));
        Assert.Equal(1, report.DiscardedRecords);
    }

    [Fact]
    public async Task A_buffer_of_the_old_format_is_read_and_new_records_go_to_a_keyed_segment()
    {
        Directory.CreateDirectory(_directory);
        var old = new byte[BufferRecordFormat.Size(5) + BufferRecordFormat.Size(5)];
        var size = BufferRecordFormat.HeaderLength + 5 + BufferRecordFormat.LegacyTrailerLength;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        BufferRecordFormat.WriteLegacy(old, 1, now, RecordPriority.Counter, Text("old 1"));
        BufferRecordFormat.WriteLegacy(old.AsSpan(size), 2, now, RecordPriority.Gauge, Text("old 2"));
        await File.WriteAllBytesAsync(Path.Combine(_directory, "00000000000000000001.seg"), old.AsSpan(0, 2 * size).ToArray());

        await using (var buffer = DiskBuffer.Open(Options(), out var report))
        {
            Assert.Equal((2L, 0L), (report.Records, report.DiscardedRecords));
            Assert.Equal(3, await buffer.AppendAsync(RecordPriority.Counter, Text("new 3")));
            Assert.Equal(["old 1", "old 2", "new 3"], Texts(buffer.Peek(100)));
        }

        Assert.Equal(2, Directory.GetFiles(_directory, "*.seg").Length);
        await using var reopened = DiskBuffer.Open(Options(), out _);
        Assert.Equal(["old 1", "old 2", "new 3"], Texts(reopened.Peek(100)));
    }

    [Fact]
    public async Task A_torn_tail_is_truncated_at_the_last_whole_record()
    {
        await using (var buffer = DiskBuffer.Open(Options(), out _))
        {
            for (var i = 0; i < 5; i++)
            {
                await buffer.AppendAsync(RecordPriority.Counter, Text($"reading {i}"));
            }
        }

        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 7);
        }

        await using var reopened = DiskBuffer.Open(Options(), out var report);
        await reopened.AppendAsync(RecordPriority.Counter, Text("after"));

        Assert.Equal((4L, 1L), (report.Records, report.DiscardedRecords));
        Assert.Single(report.Problems);
        Assert.Equal(["reading 0", "reading 1", "reading 2", "reading 3", "after"], Texts(reopened.Peek(100)));
    }

    [Fact]
    public async Task Flipped_bytes_in_the_middle_lose_only_the_damaged_record()
    {
        await using (var buffer = DiskBuffer.Open(Options(), out _))
        {
            for (var i = 0; i < 5; i++)
            {
                await buffer.AppendAsync(RecordPriority.Counter, Text($"reading {i}"));
            }
        }

        var segment = Directory.GetFiles(_directory, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        var recordSize = bytes.Length / 5;
        bytes[(2 * recordSize) + 30] ^= 0xFF;
        bytes[(2 * recordSize) + 31] ^= 0x55;
        File.WriteAllBytes(segment, bytes);

        await using var reopened = DiskBuffer.Open(Options(), out var report);

        Assert.Equal(["reading 0", "reading 1", "reading 3", "reading 4"], Texts(reopened.Peek(100)));
        Assert.Equal((1L, (long)recordSize), (report.DiscardedRecords, report.DiscardedBytes));
    }

    [Fact]
    public async Task When_full_gauges_go_first_and_counters_only_when_no_gauge_is_left()
    {
        await using var buffer = DiskBuffer.Open(Options(maxBytes: 8192, segmentBytes: 4096), out _);
        var payload = new byte[100]; // 129 bytes on disk
        for (var i = 0; i < 40; i++)
        {
            await buffer.AppendAsync(RecordPriority.Counter, payload);
            await buffer.AppendAsync(RecordPriority.Gauge, payload);
        }

        var statistics = buffer.Statistics;
        var kept = buffer.Peek(1000);

        // 80 records of 129 bytes do not fit in 8 KiB: every counter is kept, gauges were refused or compacted away.
        Assert.Equal(40, kept.Count(r => r.Priority == RecordPriority.Counter));
        Assert.Equal(0, statistics.DroppedCountersFull);
        Assert.Equal(40 - kept.Count(r => r.Priority == RecordPriority.Gauge), statistics.DroppedGaugesFull);
        Assert.True(statistics.DroppedGaugesFull > 0);
        Assert.True(statistics.Bytes <= 8192);

        // With no gauge left to drop, the oldest counters go, and are counted.
        for (var i = 0; i < 40; i++)
        {
            await buffer.AppendAsync(RecordPriority.Counter, payload);
        }

        Assert.True(buffer.Statistics.DroppedCountersFull > 0);

        // Every one of the 120 appends is either still in the buffer or counted as dropped.
        var final = buffer.Statistics;
        Assert.Equal(120, buffer.Peek(1000).Count + final.DroppedCountersFull + final.DroppedGaugesFull);
    }

    [Fact]
    public async Task Records_older_than_the_maximum_age_expire_and_are_counted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T00:00:00Z", CultureInfo.InvariantCulture));
        var options = Options(segmentBytes: 4096) with { MaxAge = TimeSpan.FromDays(1), Fsync = false };
        await using var buffer = DiskBuffer.Open(options, out _, time);
        var payload = new byte[1000];
        for (var i = 0; i < 5; i++)
        {
            await buffer.AppendAsync(RecordPriority.Counter, payload);
        }

        time.Advance(TimeSpan.FromDays(2));
        await buffer.AppendAsync(RecordPriority.Counter, payload);

        Assert.Equal(5, buffer.Statistics.DroppedExpired);
        Assert.Equal([6L], buffer.Peek(100).Select(r => r.Sequence));
    }

    [Fact]
    public async Task Killed_twenty_times_while_appending_nothing_durable_is_lost_or_duplicated()
    {
        var harness = Path.Combine(AppContext.BaseDirectory, "Monitoring.Edge.CrashHarness.dll");
        var random = new Random(20261126);
        var durable = -1L;
        for (var kill = 0; kill < 20; kill++)
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{harness}\" \"{_directory}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var target = random.Next(5, 300);
            var seen = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (seen < target && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                durable = long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                seen++;
            }

            process.Kill(entireProcessTree: true); // SIGKILL: no flush, no dispose
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(seen == target, $"run {kill} stopped after {seen} records: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
        }

        await using var buffer = DiskBuffer.Open(Options(maxBytes: 64L << 20), out var report);
        var numbers = buffer.Peek(int.MaxValue).Select(r => long.Parse(Encoding.ASCII.GetString(r.Payload.Span).Split(' ')[^1], CultureInfo.InvariantCulture)).ToList();

        // Everything not yet acknowledged by the simulated uplink is there once, in order, through the last durable record.
        Assert.NotEmpty(numbers);
        Assert.Equal(Enumerable.Range((int)numbers[0], numbers.Count).Select(n => (long)n), numbers);
        Assert.True(numbers[^1] >= durable, $"last durable record {durable} missing (buffer ends at {numbers[^1]})");
        Assert.Equal(0, report.DiscardedRecords);
    }
}
