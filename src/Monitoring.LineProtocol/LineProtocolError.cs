using System.Globalization;
using System.Text;

namespace Monitoring.LineProtocol;

/// <summary>Why a line was rejected. The reason text of each kind is listed in docs/line-protocol.md.</summary>
public enum LineProtocolErrorKind
{
    /// <summary>The line is not valid UTF-8.</summary>
    InvalidUtf8 = 1,

    /// <summary>A control character (0x00-0x1F, 0x7F) in a name, or a newline in a string value.</summary>
    InvalidCharacter,

    /// <summary>The line starts with a comma: no measurement name.</summary>
    MissingMeasurement,

    /// <summary>A comma in the tag set is not followed by a tag key.</summary>
    MissingTagKey,

    /// <summary>A tag key is not followed by <c>=</c>.</summary>
    MissingTagEquals,

    /// <summary>A tag has an empty value (InfluxDB: omit the tag instead).</summary>
    MissingTagValue,

    /// <summary>An unescaped <c>=</c> in a tag value.</summary>
    UnescapedEqualsInTagValue,

    /// <summary>No field set after the measurement and tags.</summary>
    MissingFieldSet,

    /// <summary>A field key is empty (for example after a trailing comma).</summary>
    MissingFieldKey,

    /// <summary>A field key is not followed by <c>=</c>.</summary>
    MissingFieldEquals,

    /// <summary>A field has no value.</summary>
    MissingFieldValue,

    /// <summary>A field value is neither a number, an integer, an unsigned integer, a boolean nor a quoted string.</summary>
    InvalidFieldValue,

    /// <summary><c>inf</c>, <c>nan</c> and their variants: InfluxDB stores finite floats only.</summary>
    NonFiniteFloat,

    /// <summary>A float field value beyond ±1.7976931348623157E+308.</summary>
    FloatOutOfRange,

    /// <summary>An integer (<c>i</c>) field value outside the signed 64-bit range.</summary>
    IntegerOutOfRange,

    /// <summary>An unsigned (<c>u</c>) field value outside the unsigned 64-bit range.</summary>
    UnsignedOutOfRange,

    /// <summary>A string field value without its closing double quote.</summary>
    UnterminatedString,

    /// <summary>Something other than a comma, a space or the end of the line after a field value.</summary>
    UnexpectedCharacterAfterFieldValue,

    /// <summary>The timestamp is not an integer.</summary>
    InvalidTimestamp,

    /// <summary>The timestamp, converted to nanoseconds, is outside the range InfluxDB accepts.</summary>
    TimestampOutOfRange,

    /// <summary>Text after the timestamp.</summary>
    UnexpectedTextAfterTimestamp,

    /// <summary>The line is longer than the configured maximum; it was skipped without being buffered.</summary>
    LineTooLong,
}

/// <summary>The part of a line an error is about.</summary>
public enum LineProtocolElement
{
    /// <summary>The line as a whole.</summary>
    Line,

    /// <summary>The measurement name.</summary>
    Measurement,

    /// <summary>A tag key.</summary>
    TagKey,

    /// <summary>A tag value.</summary>
    TagValue,

    /// <summary>A field key.</summary>
    FieldKey,

    /// <summary>A field value.</summary>
    FieldValue,

    /// <summary>The timestamp.</summary>
    Timestamp,
}

/// <summary>
/// A rejected line, as kept in lists and sent back to writers: <c>line 3, column 17: invalid field value 'abc': ...</c>.
/// Line and column are 1-based; the column counts bytes from the start of the physical line.
/// </summary>
public sealed class LineProtocolError(long line, int column, LineProtocolErrorKind kind, string reason)
{
    /// <summary>1-based line number in the body (every line counts, comments and blank lines included).</summary>
    public long Line { get; } = line;

    /// <summary>1-based byte column of the offending character or token.</summary>
    public int Column { get; } = column;

    /// <summary>The class of error.</summary>
    public LineProtocolErrorKind Kind { get; } = kind;

    /// <summary>The reason without the position, e.g. <c>missing value for field 'power_kw'</c>.</summary>
    public string Reason { get; } = reason;

    /// <summary>The full message: <c>line {Line}, column {Column}: {Reason}</c>.</summary>
    public string Message => string.Create(CultureInfo.InvariantCulture, $"line {Line}, column {Column}: {Reason}");

    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>
/// A rejected line as the zero-allocation API reports it: positions and spans into the line, the reason text
/// built only when asked for (<see cref="FormatReason"/>, <see cref="ToError"/>). Valid until the next parse call.
/// </summary>
public readonly ref struct LineProtocolSyntaxError
{
    private readonly ReadOnlySpan<byte> _token;
    private readonly ReadOnlySpan<byte> _name;
    private readonly long _limit;

    internal LineProtocolSyntaxError(
        long lineNumber,
        int column,
        LineProtocolErrorKind kind,
        LineProtocolElement element,
        ReadOnlySpan<byte> token,
        ReadOnlySpan<byte> name,
        LineProtocolPrecision precision,
        long limit)
    {
        LineNumber = lineNumber;
        Column = column;
        Kind = kind;
        Element = element;
        _token = token;
        _name = name;
        Precision = precision;
        _limit = limit;
    }

    /// <summary>1-based line number.</summary>
    public long LineNumber { get; }

    /// <summary>1-based byte column.</summary>
    public int Column { get; }

    /// <summary>The class of error.</summary>
    public LineProtocolErrorKind Kind { get; }

    /// <summary>The element the error is about.</summary>
    public LineProtocolElement Element { get; }

    /// <summary>The offending token (raw bytes of the line), empty when there is none.</summary>
    public ReadOnlySpan<byte> Token => _token;

    /// <summary>The raw key of the tag or field the error is about, empty when none applies.</summary>
    public ReadOnlySpan<byte> Name => _name;

    /// <summary>The precision timestamps were read with.</summary>
    public LineProtocolPrecision Precision { get; }

    /// <summary>The reason text (allocates).</summary>
    public string FormatReason()
    {
        const string Expected = "expected a number, integer (i), unsigned (u), boolean or \"string\"";
        var inv = CultureInfo.InvariantCulture;
        return Kind switch
        {
            LineProtocolErrorKind.InvalidUtf8 => "invalid UTF-8 byte sequence",
            LineProtocolErrorKind.InvalidCharacter => string.Create(inv,
                $"invalid character {DescribeByte(_token.IsEmpty ? (byte)0 : _token[0])} in {DescribeElement(Element, _name)}"),
            LineProtocolErrorKind.MissingMeasurement => "missing measurement name",
            LineProtocolErrorKind.MissingTagKey => "missing tag key after ','",
            LineProtocolErrorKind.MissingTagEquals => $"missing '=' after tag key '{Render(_name)}'",
            LineProtocolErrorKind.MissingTagValue => $"missing value for tag '{Render(_name)}' (tag values cannot be empty: omit the tag)",
            LineProtocolErrorKind.UnescapedEqualsInTagValue => $"unescaped '=' in the value of tag '{Render(_name)}' (write it as \\=)",
            LineProtocolErrorKind.MissingFieldSet => "missing field set: a point needs at least one field",
            LineProtocolErrorKind.MissingFieldKey => "missing field key",
            LineProtocolErrorKind.MissingFieldEquals => $"missing '=' after field key '{Render(_name)}'",
            LineProtocolErrorKind.MissingFieldValue => $"missing value for field '{Render(_name)}'",
            LineProtocolErrorKind.InvalidFieldValue => $"invalid field value '{Render(_token)}': {Expected}",
            LineProtocolErrorKind.NonFiniteFloat => $"invalid field value '{Render(_token)}': NaN and infinity are not supported",
            LineProtocolErrorKind.FloatOutOfRange =>
                $"float field value '{Render(_token)}' out of range (-1.7976931348623157E+308 to 1.7976931348623157E+308)",
            LineProtocolErrorKind.IntegerOutOfRange =>
                $"integer field value '{Render(_token)}' out of range (-9223372036854775808i to 9223372036854775807i)",
            LineProtocolErrorKind.UnsignedOutOfRange =>
                $"unsigned field value '{Render(_token)}' out of range (0u to 18446744073709551615u)",
            LineProtocolErrorKind.UnterminatedString => $"unterminated string value for field '{Render(_name)}': missing closing '\"'",
            LineProtocolErrorKind.UnexpectedCharacterAfterFieldValue =>
                $"unexpected {DescribeByte(_token.IsEmpty ? (byte)0 : _token[0])} after the value of field '{Render(_name)}': expected ',' or ' '",
            LineProtocolErrorKind.InvalidTimestamp =>
                $"invalid timestamp '{Render(_token)}': expected an integer Unix time in {UnitName(Precision)} (precision {Precision.ToShortName()})",
            LineProtocolErrorKind.TimestampOutOfRange =>
                $"timestamp '{Render(_token)}' out of range for precision {Precision.ToShortName()} (Unix nanoseconds must lie within ±9223372036854775806)",
            LineProtocolErrorKind.UnexpectedTextAfterTimestamp => $"unexpected text '{Render(_token)}' after the timestamp",
            LineProtocolErrorKind.LineTooLong => string.Create(inv, $"line too long: more than {_limit} bytes"),
            _ => "invalid line",
        };
    }

    /// <summary>The allocated form, to keep in a list.</summary>
    public LineProtocolError ToError() => new(LineNumber, Column, Kind, FormatReason());

    /// <summary>The full message (allocates).</summary>
    public override string ToString() => ToError().Message;

    private static string UnitName(LineProtocolPrecision precision) => precision switch
    {
        LineProtocolPrecision.Nanoseconds => "nanoseconds",
        LineProtocolPrecision.Microseconds => "microseconds",
        LineProtocolPrecision.Milliseconds => "milliseconds",
        LineProtocolPrecision.Seconds => "seconds",
        LineProtocolPrecision.Minutes => "minutes",
        LineProtocolPrecision.Auto => "seconds, milliseconds, microseconds or nanoseconds",
        _ => "hours",
    };

    private static string DescribeElement(LineProtocolElement element, ReadOnlySpan<byte> name) => element switch
    {
        LineProtocolElement.Measurement => "the measurement name",
        LineProtocolElement.TagKey => "a tag key",
        LineProtocolElement.TagValue => $"the value of tag '{Render(name)}'",
        LineProtocolElement.FieldKey => "a field key",
        LineProtocolElement.FieldValue => $"the value of field '{Render(name)}'",
        LineProtocolElement.Timestamp => "the timestamp",
        _ => "the line",
    };

    private static string DescribeByte(byte b) => b switch
    {
        (byte)'\n' => "newline (0x0A)",
        (byte)'\r' => "carriage return (0x0D)",
        (byte)'\t' => "tab (0x09)",
        < 0x20 or 0x7F => string.Create(CultureInfo.InvariantCulture, $"control character 0x{b:X2}"),
        < 0x80 => $"'{(char)b}'",
        _ => string.Create(CultureInfo.InvariantCulture, $"byte 0x{b:X2}"),
    };

    /// <summary>Shows a token in a message: at most 64 bytes, control characters as \xNN.</summary>
    internal static string Render(ReadOnlySpan<byte> token)
    {
        const int MaxBytes = 64;
        bool truncated = token.Length > MaxBytes;
        if (truncated)
        {
            int cut = MaxBytes;
            while (cut > 0 && (token[cut] & 0xC0) == 0x80)
            {
                cut--; // do not cut a UTF-8 sequence
            }

            token = token[..cut];
        }

        string text = Encoding.UTF8.GetString(token);
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x20 || c == 0x7F)
            {
                sb ??= new StringBuilder(text, 0, i, text.Length + 8);
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                sb?.Append(c);
            }
        }

        string shown = sb?.ToString() ?? text;
        return truncated ? shown + "…" : shown;
    }
}
