namespace Monitoring.Aggregation;

/// <summary>
/// Interval boundaries (UTC Unix milliseconds) of a site's time zone: UTC quarter hours, local hours, local
/// days and local months. Day and month boundaries come from the zone's own rules, so a day around a clock
/// change lasts 23 or 25 hours; nothing is ever derived by multiplying by 24.
/// </summary>
/// <remarks>
/// Boundaries are computed from UTC → local conversions only (always well defined), by searching the first
/// instant whose local date is the wanted date; the last two days and months found are cached, so the hot
/// path does no time zone arithmetic. Not thread-safe: one aggregator owns its calendars.
/// Assumes, as every zone in tzdata does today, that offsets are whole quarter hours, so every boundary is a
/// UTC quarter hour and 15-minute intervals nest in hours, days and months.
/// </remarks>
internal sealed class SiteCalendar(TimeZoneInfo zone)
{
    public const long QuarterMs = 15 * 60 * 1000;
    public const long HourMs = 60 * 60 * 1000;
    private const long MinuteMs = 60 * 1000;
    private const int NoPhase = -1;

    private Span2 _days;
    private Span2 _months;

    public TimeZoneInfo Zone { get; } = zone;

    public void GetInterval(IntervalResolution resolution, long t, out long start, out long end)
    {
        switch (resolution)
        {
            case IntervalResolution.FifteenMinutes:
                start = FloorQuarter(t);
                end = start + QuarterMs;
                return;
            case IntervalResolution.Hour:
                GetHour(t, out start, out end);
                return;
            case IntervalResolution.Day:
                GetDay(t, out start, out end, out _);
                return;
            case IntervalResolution.Month:
                GetMonth(t, out start, out end);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(resolution), resolution, null);
        }
    }

    public static long FloorQuarter(long t) => t - Mod(t, QuarterMs);

    public void GetHour(long t, out long start, out long end)
    {
        GetDay(t, out var dayStart, out var dayEnd, out var phase);
        if (phase == NoPhase)
        {
            phase = Mod(OffsetMs(t), HourMs);
        }

        start = t - Mod(t + phase, HourMs);
        end = start + HourMs;
        // An hour never straddles a local midnight; clamp for zones whose offset changes by a fraction of an hour.
        start = Math.Max(start, dayStart);
        end = Math.Min(end, dayEnd);
    }

    public void GetDay(long t, out long start, out long end) => GetDay(t, out start, out end, out _);

    public void GetMonth(long t, out long start, out long end)
    {
        if (_months.TryGet(t, out start, out end, out _))
        {
            return;
        }

        var date = LocalDate(t);
        var first = new DateOnly(date.Year, date.Month, 1);
        start = FirstInstantOf(first);
        end = FirstInstantOf(first.AddMonths(1));
        _months.Add(start, end, NoPhase);
    }

    /// <summary>The local date at instant <paramref name="t"/>.</summary>
    public DateOnly LocalDate(long t) =>
        DateOnly.FromDateTime(new DateTime(DateTime.UnixEpoch.Ticks + ((t + OffsetMs(t)) * TimeSpan.TicksPerMillisecond), DateTimeKind.Unspecified));

    /// <summary>The UTC offset at instant <paramref name="t"/>, in milliseconds.</summary>
    public long OffsetMs(long t) =>
        Zone.GetUtcOffset(new DateTime(DateTime.UnixEpoch.Ticks + (t * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc)).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>The first instant (UTC ms, minute precision) whose local date is <paramref name="date"/> or later.</summary>
    public long FirstInstantOf(DateOnly date)
    {
        var midnightAsUtc = (date.ToDateTime(TimeOnly.MinValue).Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
        // Offsets lie within ±26 h: search that window at minute precision for the first instant on or after the date.
        var lo = (midnightAsUtc - (26 * HourMs)) / MinuteMs;
        var hi = (midnightAsUtc + (26 * HourMs)) / MinuteMs;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (LocalDate(mid * MinuteMs) >= date)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo * MinuteMs;
    }

    private void GetDay(long t, out long start, out long end, out long phase)
    {
        if (_days.TryGet(t, out start, out end, out phase))
        {
            return;
        }

        var date = LocalDate(t);
        start = FirstInstantOf(date);
        end = FirstInstantOf(date.AddDays(1));
        var phaseAtStart = Mod(OffsetMs(start), HourMs);
        var phaseAtEnd = Mod(OffsetMs(end - 1), HourMs);
        phase = phaseAtStart == phaseAtEnd ? phaseAtStart : NoPhase;
        _days.Add(start, end, phase);
    }

    private static long Mod(long value, long modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }

    /// <summary>A two-entry cache of [start, end) spans (the current one and the previous one, for late data).</summary>
    private struct Span2
    {
        private long _start0, _end0, _phase0, _start1, _end1, _phase1;
        private bool _has0, _has1;

        public readonly bool TryGet(long t, out long start, out long end, out long phase)
        {
            if (_has0 && t >= _start0 && t < _end0)
            {
                (start, end, phase) = (_start0, _end0, _phase0);
                return true;
            }

            if (_has1 && t >= _start1 && t < _end1)
            {
                (start, end, phase) = (_start1, _end1, _phase1);
                return true;
            }

            (start, end, phase) = (0, 0, NoPhase);
            return false;
        }

        public void Add(long start, long end, long phase)
        {
            (_start1, _end1, _phase1, _has1) = (_start0, _end0, _phase0, _has0);
            (_start0, _end0, _phase0, _has0) = (start, end, phase, true);
        }
    }
}
