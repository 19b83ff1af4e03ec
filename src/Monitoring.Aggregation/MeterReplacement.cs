namespace Monitoring.Aggregation;

/// <summary>
/// A counter register replaced (new meter, new register) at <paramref name="At"/>: the old register's final
/// value and the new one's initial value, both raw (before the multiplier). A reading span that contains
/// <paramref name="At"/> gets consumption <c>(OldFinal - prev) + (cur - NewInitial)</c> (methods.md §Counters).
/// </summary>
public sealed record MeterReplacement(string SiteId, string MeterId, string Field, DateTimeOffset At, double OldFinal, double NewInitial);
