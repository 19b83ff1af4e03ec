using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;

namespace Monitoring.Ingestion;

/// <summary>
/// Where the aggregation loop puts what it produces: closed intervals, roll-ups and intensities (through the sink
/// interfaces), raw readings and pass-through lines. Called from the loop's single thread only. What it holds
/// counts as delivered once <see cref="FlushAsync"/> returns (it is durable, e.g. in a disk spool); its state is part
/// of the checkpoint.
/// </summary>
public interface IPipelineOutput : IIntervalSink, IRollupSink
{
    /// <summary>Whether <see cref="WriteReading"/> is wanted at all (raw readings are optional): skipped on the hot path when not.</summary>
    bool WantsReadings { get; }

    /// <summary>A reading as received (the output may downsample it).</summary>
    void WriteReading(SeriesInfo series, long timestampMs, double value);

    /// <summary>A line of line protocol with a millisecond timestamp, for the raw sink as it is.</summary>
    void WritePassthrough(ReadOnlySpan<byte> line);

    /// <summary>Makes everything written so far durable.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    void SaveState(Stream destination);

    void LoadState(Stream source);

    /// <summary>A registry reload: from now on records come from <paramref name="topology"/>; what is held moves to it by key.</summary>
    void Rebind(RollupTopology topology);
}
