namespace Monitoring.Aggregation;

/// <summary>A share of consumption and the reading span it belongs to: spread over the span by duration.</summary>
internal readonly record struct CounterPiece(long T1, long T2, double Amount, IntervalQuality Flags);

/// <summary>
/// What the counter rules need to know about a series. A multiplier changed by the registry (a new CT ratio) applies
/// from <see cref="MultiplierFrom"/> (event time, Unix ms): samples before it, and the share of a counter span before
/// it, keep <see cref="PreviousMultiplier"/>.
/// </summary>
internal readonly record struct CounterSettings(
    double Multiplier, double? RolloverModulus, double? RatedRate, double SpikeFactor, double PreviousMultiplier = 1, long MultiplierFrom = long.MinValue)
{
    /// <summary>The multiplier of a gauge sample taken at <paramref name="t"/>.</summary>
    public double MultiplierAt(long t) => t < MultiplierFrom ? PreviousMultiplier : Multiplier;

    /// <summary>The multiplier of a counter delta over (<paramref name="t1"/>, <paramref name="t2"/>]: prorated by time when the change lies inside.</summary>
    public double MultiplierOver(long t1, long t2) =>
        t2 <= MultiplierFrom ? PreviousMultiplier
        : t1 >= MultiplierFrom || t2 <= t1 ? Multiplier
        : ((PreviousMultiplier * (MultiplierFrom - t1)) + (Multiplier * (t2 - MultiplierFrom))) / (t2 - t1);
}

/// <summary>
/// methods.md §Counters: the consumption between two consecutive valid reads of a cumulative register. Pure;
/// the aggregator calls it in event-time order and again, identically, when a late read forces a replay.
/// </summary>
internal static class CounterRules
{
    public const double RolloverHigh = 0.9;
    public const double RolloverLow = 0.1;
    public const double DipRatio = 0.9;

    /// <summary>
    /// Evaluates the read (<paramref name="t2"/>, <paramref name="cur"/>) against the reference
    /// (<paramref name="t1"/>, <paramref name="prev"/>). Returns the number of pieces (1 or 2, in time order) and
    /// the new reference value (<paramref name="prev"/> after a DIP, else <paramref name="cur"/>); the new
    /// reference time is always <paramref name="t2"/>.
    /// </summary>
    public static int Evaluate(
        in CounterSettings settings,
        long t1,
        double prev,
        long t2,
        double cur,
        ReadOnlySpan<ReplacementPoint> replacements,
        out CounterPiece first,
        out CounterPiece second,
        out double reference)
    {
        second = default;
        reference = cur;
        var m = settings.MultiplierOver(t1, t2);
        foreach (var replacement in replacements)
        {
            if (replacement.At > t1 && replacement.At <= t2)
            {
                // Replacement: (old_final - prev) over [t1, at], (cur - new_initial) over [at, t2].
                var before = (replacement.OldFinal - prev) * m;
                var after = (cur - replacement.NewInitial) * m;
                var flags = IntervalQuality.Replacement | SpikeFlag(settings, t1, t2, before + after);
                if (replacement.At == t2)
                {
                    first = new CounterPiece(t1, t2, before + after, flags);
                    return 1;
                }

                first = new CounterPiece(t1, replacement.At, before, flags);
                second = new CounterPiece(replacement.At, t2, after, flags);
                return 2;
            }
        }

        var d = cur - prev;
        if (d >= 0)
        {
            var amount = d * m;
            first = new CounterPiece(t1, t2, amount, SpikeFlag(settings, t1, t2, amount));
            return 1;
        }

        if (settings.RolloverModulus is { } modulus && prev >= RolloverHigh * modulus && cur <= RolloverLow * modulus)
        {
            var amount = (cur + modulus - prev) * m;
            first = new CounterPiece(t1, t2, amount, IntervalQuality.Rollover | SpikeFlag(settings, t1, t2, amount));
            return 1;
        }

        if (cur >= DipRatio * prev)
        {
            reference = prev;
            first = new CounterPiece(t1, t2, 0, IntervalQuality.Dip);
            return 1;
        }

        // Reset: consumption cur, never spread across the missing reads: it all goes to the last quarter of the span.
        var resetAmount = cur * m;
        var lastQuarter = Math.Max(t1, SiteCalendar.FloorQuarter(t2 - 1));
        first = new CounterPiece(lastQuarter, t2, resetAmount, IntervalQuality.Reset | SpikeFlag(settings, t1, t2, resetAmount));
        return 1;
    }

    private static IntervalQuality SpikeFlag(in CounterSettings settings, long t1, long t2, double amount)
    {
        if (settings.RatedRate is not { } rated)
        {
            return IntervalQuality.None;
        }

        var hours = (t2 - t1) / (double)SiteCalendar.HourMs;
        return amount > rated * hours * settings.SpikeFactor ? IntervalQuality.Spike : IntervalQuality.None;
    }
}

/// <summary>A registered replacement resolved to its series, in Unix milliseconds.</summary>
internal readonly record struct ReplacementPoint(long At, double OldFinal, double NewInitial);
