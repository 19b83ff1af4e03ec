namespace Monitoring.Aggregation.Rollups;

/// <summary>Settings of the <see cref="RollupEngine"/>; checked when the engine is built.</summary>
public sealed class RollupOptions
{
    /// <summary>
    /// Intervals each node keeps open per resolution while it waits for all its inputs (a lagging meter keeps
    /// them open). When full, the oldest is written INCOMPLETE and what arrives later for it becomes corrections.
    /// </summary>
    public int OpenIntervalsPerNode { get; init; } = 16;

    /// <summary>
    /// <see cref="RollupEngine.Advance"/> writes every interval ending at or before (watermark − this grace), even
    /// if some inputs have not delivered it (INCOMPLETE; late inputs then arrive as corrections).
    /// </summary>
    public TimeSpan CompletionGrace { get; init; } = TimeSpan.FromMinutes(15);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(OpenIntervalsPerNode, 2, nameof(OpenIntervalsPerNode));
        ArgumentOutOfRangeException.ThrowIfLessThan(CompletionGrace, TimeSpan.Zero, nameof(CompletionGrace));
    }
}

/// <summary>The roll-up engine's own figures (for System.Diagnostics.Metrics later).</summary>
/// <param name="Intervals">Records written at close (meters, nodes and intensities).</param>
/// <param name="Corrections">Correction records written.</param>
/// <param name="Incomplete">Records written before every input delivered (by <see cref="RollupEngine.Advance"/>, <see cref="RollupEngine.CloseAll"/> or a full buffer).</param>
/// <param name="CapacityForced">Intervals written early because <see cref="RollupOptions.OpenIntervalsPerNode"/> was reached.</param>
public readonly record struct RollupCounters(long Intervals, long Corrections, long Incomplete, long CapacityForced);
