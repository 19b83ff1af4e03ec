using System.Text;

namespace Monitoring.LineProtocol.Tests;

public sealed class PrecisionTests
{
    [Theory]
    [InlineData("", LineProtocolPrecision.Nanoseconds)]
    [InlineData("ns", LineProtocolPrecision.Nanoseconds)]
    [InlineData("n", LineProtocolPrecision.Nanoseconds)]
    [InlineData("us", LineProtocolPrecision.Microseconds)]
    [InlineData("u", LineProtocolPrecision.Microseconds)]
    [InlineData("ms", LineProtocolPrecision.Milliseconds)]
    [InlineData("s", LineProtocolPrecision.Seconds)]
    [InlineData("m", LineProtocolPrecision.Minutes)]
    [InlineData("h", LineProtocolPrecision.Hours)]
    public void Every_v1_and_v2_precision_name_is_understood(string name, LineProtocolPrecision expected)
    {
        Assert.True(LineProtocolTime.TryParsePrecision(name, out var precision));
        Assert.Equal(expected, precision);
    }

    [Theory]
    [InlineData("S")]
    [InlineData("sec")]
    [InlineData("rfc3339")]
    [InlineData("d")]
    [InlineData("NS")]
    public void Unknown_precision_names_are_refused(string name) =>
        Assert.False(LineProtocolTime.TryParsePrecision(name, out _));

    [Theory]
    [InlineData(LineProtocolPrecision.Nanoseconds, "1764000000123456789", 1764000000123456789L)]
    [InlineData(LineProtocolPrecision.Microseconds, "1764000000123456", 1764000000123456000L)]
    [InlineData(LineProtocolPrecision.Milliseconds, "1764000000123", 1764000000123000000L)]
    [InlineData(LineProtocolPrecision.Seconds, "1764000000", 1764000000000000000L)]
    [InlineData(LineProtocolPrecision.Minutes, "29400000", 1764000000000000000L)]
    [InlineData(LineProtocolPrecision.Hours, "490000", 1764000000000000000L)]
    [InlineData(LineProtocolPrecision.Seconds, "-1", -1_000_000_000L)]
    [InlineData(LineProtocolPrecision.Seconds, "0", 0L)]
    [InlineData(LineProtocolPrecision.Microseconds, "9223372036854775", 9223372036854775000L)]
    [InlineData(LineProtocolPrecision.Milliseconds, "9223372036854", 9223372036854000000L)]
    [InlineData(LineProtocolPrecision.Seconds, "9223372036", 9223372036000000000L)]
    [InlineData(LineProtocolPrecision.Seconds, "-9223372036", -9223372036000000000L)]
    [InlineData(LineProtocolPrecision.Minutes, "153722867", 9223372020000000000L)]
    [InlineData(LineProtocolPrecision.Hours, "2562047", 9223369200000000000L)]
    public void Timestamps_are_converted_to_unix_nanoseconds(LineProtocolPrecision precision, string timestamp, long expected)
    {
        var parser = new LineProtocolParser { Precision = precision };
        var status = parser.ParseLine(Encoding.UTF8.GetBytes("m f=1 " + timestamp), out var point, out var error);
        Assert.True(status == LineParseStatus.Point, status == LineParseStatus.Error ? error.ToString() : null);
        Assert.Equal(expected, point.Timestamp);
    }

    [Theory]
    [InlineData(LineProtocolPrecision.Microseconds, "9223372036854776", "us")]
    [InlineData(LineProtocolPrecision.Milliseconds, "9223372036855", "ms")]
    [InlineData(LineProtocolPrecision.Seconds, "9223372037", "s")]
    [InlineData(LineProtocolPrecision.Seconds, "-9223372037", "s")]
    [InlineData(LineProtocolPrecision.Minutes, "153722868", "m")]
    [InlineData(LineProtocolPrecision.Hours, "2562048", "h")]
    [InlineData(LineProtocolPrecision.Hours, "9223372036854775807", "h")]
    public void Timestamps_that_overflow_after_conversion_are_rejected(LineProtocolPrecision precision, string timestamp, string shortName)
    {
        var parser = new LineProtocolParser { Precision = precision };
        Assert.Equal(LineParseStatus.Error, parser.ParseLine(Encoding.UTF8.GetBytes("m f=1 " + timestamp), out _, out var error));
        Assert.Equal(
            $"line 1, column 7: timestamp '{timestamp}' out of range for precision {shortName} (Unix nanoseconds must lie within ±9223372036854775806)",
            error.ToString());
    }

    [Fact]
    public void Invalid_timestamp_message_names_the_precision_unit()
    {
        var parser = new LineProtocolParser { Precision = LineProtocolPrecision.Seconds };
        Assert.Equal(LineParseStatus.Error, parser.ParseLine("m f=1 2025-01-01"u8, out _, out var error));
        Assert.Equal("line 1, column 7: invalid timestamp '2025-01-01': expected an integer Unix time in seconds (precision s)", error.ToString());
    }

    [Fact]
    public void Line_without_timestamp_takes_the_default_one()
    {
        var parser = new LineProtocolParser { Precision = LineProtocolPrecision.Seconds, DefaultTimestamp = 1_764_000_000_123_456_789 };
        Assert.Equal(LineParseStatus.Point, parser.ParseLine("m f=1"u8, out var point, out _));
        Assert.False(point.HasTimestamp);
        Assert.Equal(1_764_000_000_123_456_789, point.Timestamp);
    }

    [Theory]
    [InlineData(LineProtocolPrecision.Nanoseconds, 1_764_000_000_123_456_700L)]
    [InlineData(LineProtocolPrecision.Microseconds, 1_764_000_000_123_456_000L)]
    [InlineData(LineProtocolPrecision.Milliseconds, 1_764_000_000_123_000_000L)]
    [InlineData(LineProtocolPrecision.Seconds, 1_764_000_000_000_000_000L)]
    [InlineData(LineProtocolPrecision.Minutes, 1_764_000_000_000_000_000L)]
    [InlineData(LineProtocolPrecision.Hours, 1_764_000_000_000_000_000L)]
    public void Default_timestamp_is_the_receive_time_truncated_to_the_precision_as_influxdb_does(LineProtocolPrecision precision, long expected)
    {
        var receivedAt = DateTimeOffset.UnixEpoch.AddTicks(17_640_000_001_234_567);
        Assert.Equal(expected, LineProtocolTime.DefaultTimestamp(receivedAt, precision));
    }

    [Fact]
    public void Default_timestamp_truncation_to_minutes_and_hours()
    {
        var receivedAt = DateTimeOffset.UnixEpoch.AddSeconds(1_764_003_723.5); // 01:02:03.5 past a whole hour
        Assert.Equal(1_764_003_720_000_000_000L, LineProtocolTime.DefaultTimestamp(receivedAt, LineProtocolPrecision.Minutes));
        Assert.Equal(1_764_003_600_000_000_000L, LineProtocolTime.DefaultTimestamp(receivedAt, LineProtocolPrecision.Hours));
    }

    [Fact]
    public void Default_timestamp_before_1970_truncates_toward_the_past()
    {
        var receivedAt = DateTimeOffset.UnixEpoch.AddTicks(-15_000_000); // -1.5 s
        Assert.Equal(-2_000_000_000L, LineProtocolTime.DefaultTimestamp(receivedAt, LineProtocolPrecision.Seconds));
    }
}
