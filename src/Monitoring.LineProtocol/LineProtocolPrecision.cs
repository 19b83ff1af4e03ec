namespace Monitoring.LineProtocol;

/// <summary>Unit of the timestamps in a line protocol body, as declared by the writer (query parameter <c>precision</c>).</summary>
public enum LineProtocolPrecision
{
    /// <summary><c>ns</c> (v2) or <c>n</c> (v1): the default.</summary>
    Nanoseconds,

    /// <summary><c>us</c> (v2) or <c>u</c> (v1).</summary>
    Microseconds,

    /// <summary><c>ms</c>.</summary>
    Milliseconds,

    /// <summary><c>s</c>.</summary>
    Seconds,

    /// <summary><c>m</c> (v1 only).</summary>
    Minutes,

    /// <summary><c>h</c> (v1 only).</summary>
    Hours,

    /// <summary>
    /// InfluxDB 3's <c>auto</c> (<c>/api/v3/write_lp</c>): each timestamp's unit guessed from its magnitude, below 5e9
    /// seconds, below 5e12 milliseconds, below 5e15 microseconds, else nanoseconds.
    /// </summary>
    Auto,
}

/// <summary>Timestamp conversions: every parsed timestamp ends up as Unix nanoseconds (UTC).</summary>
public static class LineProtocolTime
{
    /// <summary>Smallest timestamp InfluxDB accepts, in Unix nanoseconds (-2^63 + 2).</summary>
    public const long MinTimestamp = long.MinValue + 2;

    /// <summary>Largest timestamp InfluxDB accepts, in Unix nanoseconds (2^63 - 2).</summary>
    public const long MaxTimestamp = long.MaxValue - 1;

    /// <summary>
    /// Parses the <c>precision</c> query parameter of <c>/api/v2/write</c> (<c>ns</c>, <c>us</c>, <c>ms</c>, <c>s</c>)
    /// and of v1 <c>/write</c> (<c>n</c>, <c>u</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>). Empty or null means nanoseconds.
    /// </summary>
    public static bool TryParsePrecision(ReadOnlySpan<char> text, out LineProtocolPrecision precision)
    {
        precision = text switch
        {
            "" or "ns" or "n" => LineProtocolPrecision.Nanoseconds,
            "us" or "u" => LineProtocolPrecision.Microseconds,
            "ms" => LineProtocolPrecision.Milliseconds,
            "s" => LineProtocolPrecision.Seconds,
            "m" => LineProtocolPrecision.Minutes,
            "h" => LineProtocolPrecision.Hours,
            _ => (LineProtocolPrecision)(-1),
        };
        return precision >= 0;
    }

    /// <summary>The short name of a precision as the v2 API spells it (<c>m</c> and <c>h</c> as v1 does).</summary>
    public static string ToShortName(this LineProtocolPrecision precision) => precision switch
    {
        LineProtocolPrecision.Nanoseconds => "ns",
        LineProtocolPrecision.Microseconds => "us",
        LineProtocolPrecision.Milliseconds => "ms",
        LineProtocolPrecision.Seconds => "s",
        LineProtocolPrecision.Minutes => "m",
        LineProtocolPrecision.Hours => "h",
        LineProtocolPrecision.Auto => "auto",
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    /// <summary>
    /// Parses InfluxDB 3's <c>precision</c> of <c>/api/v3/write_lp</c>: <c>auto</c> (also empty or null),
    /// <c>nanosecond</c>, <c>microsecond</c>, <c>millisecond</c>, <c>second</c>, or their short names.
    /// </summary>
    public static bool TryParseV3Precision(ReadOnlySpan<char> text, out LineProtocolPrecision precision)
    {
        precision = text switch
        {
            "" or "auto" => LineProtocolPrecision.Auto,
            "nanosecond" or "ns" => LineProtocolPrecision.Nanoseconds,
            "microsecond" or "us" => LineProtocolPrecision.Microseconds,
            "millisecond" or "ms" => LineProtocolPrecision.Milliseconds,
            "second" or "s" => LineProtocolPrecision.Seconds,
            _ => (LineProtocolPrecision)(-1),
        };
        return precision >= 0;
    }

    /// <summary>The unit <see cref="LineProtocolPrecision.Auto"/> takes a timestamp for, by its magnitude.</summary>
    public static LineProtocolPrecision Guess(long value)
    {
        var magnitude = value == long.MinValue ? long.MaxValue : Math.Abs(value);
        return magnitude < 5_000_000_000L ? LineProtocolPrecision.Seconds
            : magnitude < 5_000_000_000_000L ? LineProtocolPrecision.Milliseconds
            : magnitude < 5_000_000_000_000_000L ? LineProtocolPrecision.Microseconds
            : LineProtocolPrecision.Nanoseconds;
    }

    /// <summary>Nanoseconds in one unit of <paramref name="precision"/> (<see cref="LineProtocolPrecision.Auto"/>: nanoseconds, the unit of a line without a timestamp).</summary>
    public static long NanosecondsPerUnit(this LineProtocolPrecision precision) => precision switch
    {
        LineProtocolPrecision.Nanoseconds => 1L,
        LineProtocolPrecision.Microseconds => 1_000L,
        LineProtocolPrecision.Milliseconds => 1_000_000L,
        LineProtocolPrecision.Seconds => 1_000_000_000L,
        LineProtocolPrecision.Minutes => 60_000_000_000L,
        LineProtocolPrecision.Hours => 3_600_000_000_000L,
        LineProtocolPrecision.Auto => 1L,
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    /// <summary>
    /// Converts a timestamp in <paramref name="precision"/> units to Unix nanoseconds; false when the result would
    /// overflow or fall outside [<see cref="MinTimestamp"/>, <see cref="MaxTimestamp"/>].
    /// </summary>
    public static bool TryToNanoseconds(long value, LineProtocolPrecision precision, out long nanoseconds)
    {
        long factor = (precision == LineProtocolPrecision.Auto ? Guess(value) : precision).NanosecondsPerUnit();
        if (factor == 1)
        {
            nanoseconds = value;
        }
        else if (value > MaxTimestamp / factor || value < MinTimestamp / factor)
        {
            nanoseconds = 0;
            return false;
        }
        else
        {
            nanoseconds = value * factor;
        }

        return nanoseconds is >= MinTimestamp and <= MaxTimestamp;
    }

    /// <summary>
    /// The default timestamp for lines without one, as InfluxDB computes it: the receive time truncated to the
    /// request's precision (toward the past), in Unix nanoseconds.
    /// </summary>
    public static long DefaultTimestamp(DateTimeOffset receivedAt, LineProtocolPrecision precision)
    {
        long ns = (receivedAt.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        long factor = precision.NanosecondsPerUnit();
        long truncated = ns / factor * factor;
        return truncated > ns ? truncated - factor : truncated;
    }

    /// <summary>Unix nanoseconds to a UTC <see cref="DateTimeOffset"/> (100 ns resolution).</summary>
    public static DateTimeOffset ToDateTimeOffset(long unixNanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100);
}
