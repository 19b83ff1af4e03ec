using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;

namespace Monitoring.Ingestion;

/// <summary>How <see cref="IngestPipeline"/> stores, applies and checkpoints writes (configuration section <c>Ingestion</c>).</summary>
public sealed class IngestPipelineOptions
{
    /// <summary>Folder of the write-ahead log (<c>wal/</c>), the checkpoint and the quarantine.</summary>
    public string DataDirectory { get; set; } = "data";

    public AggregatorOptions Aggregation { get; set; } = new();

    public RollupOptions Rollups { get; set; } = new();

    /// <summary>Writes waiting for the write-ahead log; past it writers get "busy" (HTTP 503, Retry-After).</summary>
    public int SubmitQueueCapacity { get; set; } = 256;

    /// <summary>Stored writes waiting for the aggregation loop; when full the log writer waits (and the submit queue fills).</summary>
    public int ApplyQueueCapacity { get; set; } = 512;

    /// <summary>
    /// Bytes of writes waiting for the log or the aggregation loop, together; past it writers get "busy" (HTTP 503). A
    /// single write larger than this still goes when nothing else waits.
    /// </summary>
    public long QueueMaxBytes { get; set; } = 256L << 20;

    /// <summary>Edge agents a site may have: health lines of a new agent past it are quarantined (<c>TooManyAgents</c>).</summary>
    public int MaxAgentsPerSite { get; set; } = 256;

    /// <summary>Size of the write-ahead log; past it writes are refused (HTTP 503) until a checkpoint truncates it.</summary>
    public long WalMaxBytes { get; set; } = 4L << 30;

    public long WalSegmentBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Group commit: how long a write waits, before the fsync that covers it, for more writes to share it. Zero (the
    /// default) fsyncs as soon as a write waits; writes that arrive during an fsync still share the next one, so an
    /// extra delay only adds latency on a disk whose fsync takes a fraction of a millisecond (with 4 writers, 5 ms cost
    /// a fifth of the throughput).
    /// </summary>
    public TimeSpan WalCommitInterval { get; set; } = TimeSpan.Zero;

    /// <summary>False skips fsync (crash-safe against a process kill, not a power cut): for benchmarks only.</summary>
    public bool Fsync { get; set; } = true;

    /// <summary>How often idle series are flushed and roll-ups advanced.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the outputs are made durable (then sent on by the sinks).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the state is checkpointed and the write-ahead log truncated behind it.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("Ingestion:DataDirectory is required.", nameof(DataDirectory));
        }

        Aggregation.Validate();
        Rollups.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SubmitQueueCapacity, 1, nameof(SubmitQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ApplyQueueCapacity, 1, nameof(ApplyQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueMaxBytes, 1L << 20, nameof(QueueMaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAgentsPerSite, 1, nameof(MaxAgentsPerSite));
        ArgumentOutOfRangeException.ThrowIfLessThan(WalSegmentBytes, 1L << 20, nameof(WalSegmentBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(WalMaxBytes, 2 * WalSegmentBytes, nameof(WalMaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(WalCommitInterval, TimeSpan.Zero, nameof(WalCommitInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TickInterval, TimeSpan.Zero, nameof(TickInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FlushInterval, TimeSpan.Zero, nameof(FlushInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CheckpointInterval, TimeSpan.Zero, nameof(CheckpointInterval));
    }
}

/// <summary>What became of a submitted write.</summary>
public enum SubmitOutcome
{
    /// <summary>In the write-ahead log (fsynced): acknowledge it.</summary>
    Stored,

    /// <summary>Its batch id was stored already: acknowledge it, nothing is stored twice.</summary>
    Duplicate,

    /// <summary>Too many writes waiting: the sender should retry shortly.</summary>
    Busy,

    /// <summary>The write-ahead log is full: the sender should retry later.</summary>
    Full,

    /// <summary>The write-ahead log could not be written (disk full, I/O error): the sender should retry later.</summary>
    Failed,

    /// <summary>The pipeline is stopping.</summary>
    Stopping,
}
