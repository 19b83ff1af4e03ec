namespace Monitoring.Storage;

/// <summary>Where and how much the store-and-forward buffer keeps.</summary>
public sealed record DiskBufferOptions
{
    public required string Directory { get; init; }

    /// <summary>Total size of the segments; past it gauges are dropped first, then the oldest counters.</summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>Records older than this are dropped (counted as expired).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Size at which the active segment file is closed and a new one started.</summary>
    public long SegmentBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Group commit: appends wait for the next fsync, which runs at most this long after the first waiting append,
    /// so that one fsync makes many records durable. Zero fsyncs as soon as an append waits (appends that arrive during
    /// an fsync still share the next one).
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// When full, refuse new records (AppendAsync returns -1, counted as refused) instead of dropping gauges and then
    /// the oldest counters: for a write-ahead log, whose records were not acknowledged to anyone yet.
    /// </summary>
    public bool RefuseWhenFull { get; init; }

    /// <summary>
    /// How many of the newest records (acknowledged or not) <see cref="DiskBuffer.ContainsRecent"/> remembers, across
    /// restarts: acknowledged segments stay on disk while they hold part of these newest records. Zero (the default)
    /// keeps nothing acknowledged. For inputs whose source redelivers what it was not told is durable (MQTT QoS 1):
    /// at least that source's in-flight window.
    /// </summary>
    public int RedeliveryWindow { get; init; }

    /// <summary>False keeps records out of the process only (safe against a crash, not a power cut); for tests and benchmarks.</summary>
    public bool Fsync { get; init; } = true;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("Directory is required.", nameof(Directory));
        }

        if (SegmentBytes < 4096 || MaxBytes < 2 * SegmentBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "MaxBytes must hold at least two segments of at least 4 KiB.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(RedeliveryWindow);
        if (MaxAge <= TimeSpan.Zero || CommitInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAge), MaxAge, "MaxAge must be positive and CommitInterval not negative.");
        }
    }
}

/// <summary>What start-up recovery found: a damaged buffer is repaired, never a reason to refuse to start.</summary>
public sealed record BufferRecoveryReport(int Segments, long Records, long DiscardedRecords, long DiscardedBytes, IReadOnlyList<string> Problems);

/// <summary>The buffer's figures for the health series.</summary>
public sealed record BufferStatistics(
    long Records,
    long Bytes,
    TimeSpan OldestAge,
    long Appended,
    long Acknowledged,
    long DroppedGaugesFull,
    long DroppedCountersFull,
    long DroppedExpired,
    long RefusedFull = 0)
{
    /// <summary>Appends that failed on the file system (disk full, EFBIG, fsync error); their records were not kept.</summary>
    public long WriteFailures { get; init; }

    /// <summary>Times the acknowledged position could not be written; it is written again on the next acknowledgement.</summary>
    public long CursorWriteFailures { get; init; }

    /// <summary>The acknowledged position on disk is behind the one in memory.</summary>
    public bool CursorStale { get; init; }
}
