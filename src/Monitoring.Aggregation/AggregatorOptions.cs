namespace Monitoring.Aggregation;

/// <summary>Settings of the <see cref="IntervalAggregator"/>; checked by <see cref="Validate"/> when the aggregator is built.</summary>
public sealed class AggregatorOptions
{
    /// <summary>How late (in event time, behind the series' newest reading) a reading may arrive and still be aggregated as if on time.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Wall-clock time (<see cref="TimeProvider"/>) without any reading after which <see cref="IntervalAggregator.FlushIdle"/> closes a series' intervals.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A reading span longer than this is a gap: its consumption, spread over intervals it does not lie within, is ESTIMATED.</summary>
    public TimeSpan GapThreshold { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>SPIKE when a delta exceeds rated rate × Δt × this factor (methods.md: 1.2).</summary>
    public double SpikeFactor { get; init; } = 1.2;

    /// <summary>Readings stamped further than this ahead of the wall clock are rejected (a gateway with a wrong clock must not drag the watermark).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Readings stamped further than this behind the wall clock are rejected: a register spread over decades (a
    /// gateway clock at 1970, a mistyped timestamp) is never meant, and would cost work without bound.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// A counter reading that arrives late and lies before a series' first remembered reading may open a span of at
    /// most this long (its consumption spreads over it as corrections); further back it is TooLate.
    /// </summary>
    public TimeSpan MaxBackfillSpan { get; init; } = TimeSpan.FromDays(31);

    /// <summary>Readings held per series while they wait for the watermark; when full the oldest is processed early (counted).</summary>
    public int PendingCapacity { get; init; } = 32;

    /// <summary>Processed readings remembered per series, for duplicate detection and for replaying counters when a reading arrives beyond the allowed lateness.</summary>
    public int HistoryDepth { get; init; } = 32;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(AllowedLateness, TimeSpan.Zero, nameof(AllowedLateness));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero, nameof(IdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(GapThreshold, TimeSpan.Zero, nameof(GapThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFutureSkew, TimeSpan.Zero, nameof(MaxFutureSkew));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxAge, TimeSpan.Zero, nameof(MaxAge));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxBackfillSpan, TimeSpan.Zero, nameof(MaxBackfillSpan));
        if (!double.IsFinite(SpikeFactor) || SpikeFactor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SpikeFactor), SpikeFactor, "must be a positive number");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(PendingCapacity, 1, nameof(PendingCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(HistoryDepth, 2, nameof(HistoryDepth));
    }
}

/// <summary>What <see cref="IntervalAggregator.Update(int, long, double)"/> did with a reading.</summary>
public enum UpdateResult
{
    /// <summary>Aggregated (or held until the watermark passes it).</summary>
    Accepted,
    /// <summary>Arrived after its time was final: aggregated through correction records.</summary>
    Corrected,
    /// <summary>Same series and timestamp as a reading already received: ignored (at-least-once delivery resends).</summary>
    Duplicate,
    /// <summary>A counter reading older than the remembered history: it cannot be placed; the register's next delta still carries its consumption.</summary>
    TooLate,
    /// <summary>Not a series id, not a finite number, or stamped too far in the future or the past.</summary>
    Rejected,
}

/// <summary>The aggregator's own figures (for System.Diagnostics.Metrics later).</summary>
public readonly record struct AggregatorCounters(
    long Accepted,
    long Reordered,
    long Corrected,
    long Duplicates,
    long TooLate,
    long RejectedInvalid,
    long RejectedFuture,
    long PendingOverflow,
    long Intervals,
    long Corrections);
