using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Monitoring.LineProtocol;

/// <summary>
/// InfluxDB line protocol parser. One instance is reusable and keeps its buffers (tag and field offsets, the copy of
/// a line that straddles buffer segments), so that parsing allocates nothing in steady state; it is not thread-safe.
/// <para>
/// Three ways in: <see cref="ParseLine(ReadOnlySpan{byte}, long, out LineProtocolPoint, out LineProtocolSyntaxError)"/>
/// for one line; <see cref="Parse{THandler}(ReadOnlySpan{byte}, ref THandler)"/> for a whole body in memory;
/// <see cref="Parse{THandler}(in ReadOnlySequence{byte}, bool, ref THandler)"/> for the buffers a
/// <see cref="System.IO.Pipelines.PipeReader"/> delivers. The last two number lines, enforce
/// <see cref="MaxLineLength"/> and report every line to an <see cref="ILineProtocolHandler"/>.
/// </para>
/// </summary>
public sealed class LineProtocolParser
{
    /// <summary>Default for <see cref="MaxLineLength"/>: 64 KiB (InfluxDB's limit for a string field value).</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    private static readonly SearchValues<byte> MeasurementStops = Stops(",  \\");
    private static readonly SearchValues<byte> NameStops = Stops(", =\\");
    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\\n"u8);

    private TagEntry[] _tags = new TagEntry[8];
    private FieldEntry[] _fields = new FieldEntry[8];
    private byte[] _scratch = [];
    private long _lineNumber;
    private bool _skipping;
    private long _pendingScanned;
    private int _maxLineLength = DefaultMaxLineLength;

    /// <summary>Precision of the timestamps (default nanoseconds).</summary>
    public LineProtocolPrecision Precision { get; set; }

    /// <summary>Unix nanoseconds given to lines without a timestamp (see <see cref="LineProtocolTime.DefaultTimestamp"/>).</summary>
    public long DefaultTimestamp { get; set; }

    /// <summary>
    /// Longest accepted line in bytes, excluding the <c>\n</c> (a CR before it counts). A longer line is reported as
    /// <see cref="LineProtocolErrorKind.LineTooLong"/> and skipped without being buffered.
    /// </summary>
    public int MaxLineLength
    {
        get => _maxLineLength;
        set => _maxLineLength = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "must be positive");
    }

    /// <summary>Lines seen so far by the body/stream methods (comments and blank lines included).</summary>
    public long LineNumber => _lineNumber;

    /// <summary>Forgets the stream state (line number, partial line) before a new body.</summary>
    public void Reset()
    {
        _lineNumber = 0;
        _skipping = false;
        _pendingScanned = 0;
    }

    /// <summary>Parses one line (without its <c>\n</c>; a trailing <c>\r</c> is ignored) as line 1.</summary>
    public LineParseStatus ParseLine(ReadOnlySpan<byte> line, out LineProtocolPoint point, out LineProtocolSyntaxError error) =>
        ParseLine(line, 1, out point, out error);

    /// <summary>
    /// Parses one line (without its <c>\n</c>; a trailing <c>\r</c> is ignored). The point or error refers to
    /// <paramref name="line"/> and to this parser's buffers: it is valid until the next parse call.
    /// </summary>
    public LineParseStatus ParseLine(ReadOnlySpan<byte> line, long lineNumber, out LineProtocolPoint point, out LineProtocolSyntaxError error)
    {
        point = default;
        error = default;
        int len = line.Length;
        if (len > 0 && line[len - 1] == '\r')
        {
            len--;
            line = line[..len];
        }

        int pos = 0;
        while (pos < len && line[pos] is (byte)' ' or (byte)'\t')
        {
            pos++;
        }

        if (pos == len || line[pos] == '#')
        {
            return LineParseStatus.Skipped;
        }

        if (!Utf8.IsValid(line))
        {
            int bad = FirstInvalidUtf8(line);
            return Fail(line, lineNumber, LineProtocolErrorKind.InvalidUtf8, LineProtocolElement.Line, bad, bad, 1, 0, 0, out error);
        }

        // Measurement.
        int measurementStart = pos;
        bool measurementEscaped = false;
        pos = ScanName(line, pos, MeasurementStops, EscapeContext.Measurement, ref measurementEscaped);
        int measurementLength = pos - measurementStart;
        if (pos < len && IsControl(line[pos]))
        {
            return Fail(line, lineNumber, LineProtocolErrorKind.InvalidCharacter, LineProtocolElement.Measurement, pos, pos, 1, 0, 0, out error);
        }

        if (measurementLength == 0)
        {
            return Fail(line, lineNumber, LineProtocolErrorKind.MissingMeasurement, LineProtocolElement.Measurement, pos, pos, 0, 0, 0, out error);
        }

        // Tag set.
        int tagCount = 0;
        while (pos < len && line[pos] == ',')
        {
            pos++;
            int keyStart = pos;
            bool keyEscaped = false;
            pos = ScanName(line, pos, NameStops, EscapeContext.Name, ref keyEscaped);
            int keyLength = pos - keyStart;
            if (pos < len && IsControl(line[pos]))
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.InvalidCharacter, LineProtocolElement.TagKey, pos, pos, 1, 0, 0, out error);
            }

            if (keyLength == 0)
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingTagKey, LineProtocolElement.TagKey, pos, pos, 0, 0, 0, out error);
            }

            if (pos >= len || line[pos] != '=')
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingTagEquals, LineProtocolElement.TagKey, pos, pos, 0, keyStart, keyLength, out error);
            }

            pos++;
            int valueStart = pos;
            bool valueEscaped = false;
            pos = ScanName(line, pos, NameStops, EscapeContext.Name, ref valueEscaped);
            int valueLength = pos - valueStart;
            if (pos < len)
            {
                byte stop = line[pos];
                if (stop == '=')
                {
                    return Fail(line, lineNumber, LineProtocolErrorKind.UnescapedEqualsInTagValue, LineProtocolElement.TagValue, pos, pos, 1, keyStart, keyLength, out error);
                }

                if (IsControl(stop))
                {
                    return Fail(line, lineNumber, LineProtocolErrorKind.InvalidCharacter, LineProtocolElement.TagValue, pos, pos, 1, keyStart, keyLength, out error);
                }
            }

            if (valueLength == 0)
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingTagValue, LineProtocolElement.TagValue, pos, pos, 0, keyStart, keyLength, out error);
            }

            if (tagCount == _tags.Length)
            {
                Array.Resize(ref _tags, tagCount * 2);
            }

            ref TagEntry tag = ref _tags[tagCount++];
            tag.KeyStart = keyStart;
            tag.KeyLength = keyLength;
            tag.ValueStart = valueStart;
            tag.ValueLength = valueLength;
            tag.KeyEscaped = keyEscaped;
            tag.ValueEscaped = valueEscaped;
        }

        // Here pos is at the end or at a space.
        while (pos < len && line[pos] == ' ')
        {
            pos++;
        }

        if (pos >= len)
        {
            return Fail(line, lineNumber, LineProtocolErrorKind.MissingFieldSet, LineProtocolElement.Line, len, len, 0, 0, 0, out error);
        }

        // Field set.
        int fieldCount = 0;
        while (true)
        {
            int keyStart = pos;
            bool keyEscaped = false;
            pos = ScanName(line, pos, NameStops, EscapeContext.Name, ref keyEscaped);
            int keyLength = pos - keyStart;
            if (pos < len && IsControl(line[pos]))
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.InvalidCharacter, LineProtocolElement.FieldKey, pos, pos, 1, 0, 0, out error);
            }

            if (keyLength == 0)
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingFieldKey, LineProtocolElement.FieldKey, pos, pos, 0, 0, 0, out error);
            }

            if (pos >= len || line[pos] != '=')
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingFieldEquals, LineProtocolElement.FieldKey, pos, pos, 0, keyStart, keyLength, out error);
            }

            pos++;
            if (pos >= len || line[pos] is (byte)',' or (byte)' ')
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.MissingFieldValue, LineProtocolElement.FieldValue, pos, pos, 0, keyStart, keyLength, out error);
            }

            if (fieldCount == _fields.Length)
            {
                Array.Resize(ref _fields, fieldCount * 2);
            }

            ref FieldEntry field = ref _fields[fieldCount];
            field.KeyStart = keyStart;
            field.KeyLength = keyLength;
            field.KeyEscaped = keyEscaped;

            if (line[pos] == '"')
            {
                int open = pos;
                int contentStart = pos + 1;
                bool stringEscaped = false;
                int close = ScanString(line, contentStart, ref stringEscaped);
                if (close < 0)
                {
                    return Fail(line, lineNumber, LineProtocolErrorKind.UnterminatedString, LineProtocolElement.FieldValue, open, open, len - open, keyStart, keyLength, out error);
                }

                if (line[close] == '\n')
                {
                    return Fail(line, lineNumber, LineProtocolErrorKind.InvalidCharacter, LineProtocolElement.FieldValue, close, close, 1, keyStart, keyLength, out error);
                }

                field.Kind = LineProtocolFieldKind.String;
                field.ValueStart = contentStart;
                field.ValueLength = close - contentStart;
                field.ValueEscaped = stringEscaped;
                field.Bits = 0;
                pos = close + 1;
                if (pos < len && line[pos] is not ((byte)',' or (byte)' '))
                {
                    return Fail(line, lineNumber, LineProtocolErrorKind.UnexpectedCharacterAfterFieldValue, LineProtocolElement.FieldValue, pos, pos, 1, keyStart, keyLength, out error);
                }
            }
            else
            {
                int valueStart = pos;
                int rel = line[pos..].IndexOfAny((byte)',', (byte)' ');
                int valueEnd = rel < 0 ? len : pos + rel;
                var kind = NumberParsing.ParseFieldValue(line[valueStart..valueEnd], out var fieldKind, out long bits);
                if (kind != 0)
                {
                    return Fail(line, lineNumber, kind, LineProtocolElement.FieldValue, valueStart, valueStart, valueEnd - valueStart, keyStart, keyLength, out error);
                }

                field.Kind = fieldKind;
                field.ValueStart = valueStart;
                field.ValueLength = valueEnd - valueStart;
                field.ValueEscaped = false;
                field.Bits = bits;
                pos = valueEnd;
            }

            fieldCount++;
            if (pos < len && line[pos] == ',')
            {
                pos++;
                continue;
            }

            break;
        }

        // Timestamp.
        while (pos < len && line[pos] == ' ')
        {
            pos++;
        }

        long timestamp = DefaultTimestamp;
        bool hasTimestamp = false;
        if (pos < len)
        {
            int start = pos;
            int rel = line[pos..].IndexOf((byte)' ');
            int end = rel < 0 ? len : pos + rel;
            var kind = NumberParsing.ParseTimestamp(line[start..end], Precision, out timestamp);
            if (kind != 0)
            {
                return Fail(line, lineNumber, kind, LineProtocolElement.Timestamp, start, start, end - start, 0, 0, out error);
            }

            hasTimestamp = true;
            pos = end;
            while (pos < len && line[pos] == ' ')
            {
                pos++;
            }

            if (pos < len)
            {
                return Fail(line, lineNumber, LineProtocolErrorKind.UnexpectedTextAfterTimestamp, LineProtocolElement.Timestamp, pos, pos, len - pos, 0, 0, out error);
            }
        }

        point = new LineProtocolPoint(
            line,
            lineNumber,
            measurementStart,
            measurementLength,
            measurementEscaped,
            new ReadOnlySpan<TagEntry>(_tags, 0, tagCount),
            new ReadOnlySpan<FieldEntry>(_fields, 0, fieldCount),
            timestamp,
            hasTimestamp);
        return LineParseStatus.Point;
    }

    /// <summary>
    /// Parses a whole body held in memory (final: a last line without <c>\n</c> is parsed too). Line numbers
    /// continue from <see cref="LineNumber"/>; call <see cref="Reset"/> between bodies.
    /// </summary>
    public void Parse<THandler>(ReadOnlySpan<byte> body, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        _pendingScanned = 0;
        _skipping = false;
        ParseSpan(body, isFinalBlock: true, ref handler);
    }

    /// <summary>
    /// Parses the complete lines of <paramref name="buffer"/> and returns the position up to which it was consumed,
    /// PipeReader style: pass the returned position to <c>AdvanceTo(consumed, buffer.End)</c> and call again with the
    /// next buffer, which must start at that position. A line inside one segment is parsed in place; only a line that
    /// straddles segments is copied, into a buffer this parser reuses. With <paramref name="isFinalBlock"/> the last
    /// line is parsed even without <c>\n</c> and everything is consumed. A line longer than <see cref="MaxLineLength"/>
    /// is reported and skipped as it streams by: at most MaxLineLength bytes of a line are ever held.
    /// </summary>
    public SequencePosition Parse<THandler>(in ReadOnlySequence<byte> buffer, bool isFinalBlock, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        if (buffer.IsSingleSegment)
        {
            int consumed = ParseSpan(buffer.FirstSpan, isFinalBlock, ref handler);
            return buffer.GetPosition(consumed);
        }

        return ParseSegments(buffer, isFinalBlock, ref handler);
    }

    private int ParseSpan<THandler>(ReadOnlySpan<byte> span, bool isFinalBlock, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        int pos = 0;
        if (_skipping)
        {
            int nl = span.IndexOf((byte)'\n');
            if (nl < 0)
            {
                return span.Length;
            }

            _skipping = false;
            _pendingScanned = 0;
            pos = nl + 1;
        }

        int searchFrom = pos + (int)Math.Min(_pendingScanned, span.Length - pos);
        _pendingScanned = 0;
        int max = _maxLineLength;
        while (true)
        {
            int rel = span[searchFrom..].IndexOf((byte)'\n');
            if (rel < 0)
            {
                int remaining = span.Length - pos;
                if (remaining > max)
                {
                    ReportTooLong(ref handler);
                    _skipping = !isFinalBlock;
                    return span.Length;
                }

                if (isFinalBlock)
                {
                    if (remaining > 0)
                    {
                        ProcessLine(span[pos..], ref handler);
                    }

                    return span.Length;
                }

                _pendingScanned = remaining;
                return pos;
            }

            int end = searchFrom + rel;
            if (end - pos > max)
            {
                ReportTooLong(ref handler);
            }
            else
            {
                ProcessLine(span[pos..end], ref handler);
            }

            pos = end + 1;
            searchFrom = pos;
        }
    }

    private SequencePosition ParseSegments<THandler>(in ReadOnlySequence<byte> buffer, bool isFinalBlock, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        int max = _maxLineLength;
        bool skipping = _skipping;
        long pending = 0;                    // bytes of the current line seen in earlier segments
        SequencePosition lineStart = buffer.Start;
        SequencePosition next = buffer.Start;
        if (!skipping && _pendingScanned > 0 && _pendingScanned <= buffer.Length)
        {
            // The start of the current line was examined by the previous call: do not scan it again.
            pending = _pendingScanned;
            next = buffer.GetPosition(pending);
        }

        _pendingScanned = 0;
        while (true)
        {
            SequencePosition segmentStart = next;
            if (!buffer.TryGet(ref next, out ReadOnlyMemory<byte> memory))
            {
                break;
            }

            ReadOnlySpan<byte> span = memory.Span;
            int i = 0;
            while (true)
            {
                int rel = span[i..].IndexOf((byte)'\n');
                if (skipping)
                {
                    if (rel < 0)
                    {
                        break;
                    }

                    skipping = false;
                    i += rel + 1;
                    pending = 0;
                    continue;
                }

                if (rel < 0)
                {
                    // The line goes on in the next segment.
                    if (pending == 0)
                    {
                        lineStart = buffer.GetPosition(i, segmentStart);
                    }

                    pending += span.Length - i;
                    if (pending > max)
                    {
                        ReportTooLong(ref handler);
                        skipping = true;
                        pending = 0;
                    }

                    break;
                }

                int end = i + rel;
                if (pending == 0)
                {
                    if (rel > max)
                    {
                        ReportTooLong(ref handler);
                    }
                    else
                    {
                        ProcessLine(span[i..end], ref handler);
                    }
                }
                else
                {
                    long total = pending + rel;
                    pending = 0;
                    if (total > max)
                    {
                        ReportTooLong(ref handler);
                    }
                    else
                    {
                        ProcessStraddlingLine(buffer.Slice(lineStart, total), ref handler);
                    }
                }

                i = end + 1;
            }
        }

        if (skipping)
        {
            _skipping = !isFinalBlock;
            return buffer.End;
        }

        _skipping = false;
        if (pending == 0)
        {
            return buffer.End;
        }

        if (isFinalBlock)
        {
            ProcessStraddlingLine(buffer.Slice(lineStart), ref handler);
            return buffer.End;
        }

        _pendingScanned = pending;
        return lineStart;
    }

    private void ProcessStraddlingLine<THandler>(in ReadOnlySequence<byte> line, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        if (line.IsSingleSegment)
        {
            ProcessLine(line.FirstSpan, ref handler);
            return;
        }

        int length = (int)line.Length;
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, Math.Min(Math.Max(_scratch.Length * 2, 256), _maxLineLength))];
        }

        line.CopyTo(_scratch);
        ProcessLine(new ReadOnlySpan<byte>(_scratch, 0, length), ref handler);
    }

    private void ProcessLine<THandler>(ReadOnlySpan<byte> line, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        var status = ParseLine(line, ++_lineNumber, out var point, out var error);
        if (status == LineParseStatus.Point)
        {
            handler.OnPoint(in point);
        }
        else if (status == LineParseStatus.Error)
        {
            handler.OnError(in error);
        }
    }

    private void ReportTooLong<THandler>(ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        var error = new LineProtocolSyntaxError(
            ++_lineNumber,
            _maxLineLength + 1,
            LineProtocolErrorKind.LineTooLong,
            LineProtocolElement.Line,
            default,
            default,
            Precision,
            _maxLineLength);
        handler.OnError(in error);
    }

    /// <summary>Parses a whole body into the allocating model (tests, tools, slow paths).</summary>
    public static LineProtocolParseResult ParseAll(
        ReadOnlySpan<byte> body,
        LineProtocolPrecision precision = LineProtocolPrecision.Nanoseconds,
        long defaultTimestamp = 0)
    {
        var parser = new LineProtocolParser { Precision = precision, DefaultTimestamp = defaultTimestamp };
        var collector = new CollectingHandler();
        parser.Parse(body, ref collector);
        return new LineProtocolParseResult(collector.Lines, collector.Errors);
    }

    /// <summary>Parses a whole body given as text into the allocating model.</summary>
    public static LineProtocolParseResult ParseAll(
        string body,
        LineProtocolPrecision precision = LineProtocolPrecision.Nanoseconds,
        long defaultTimestamp = 0)
    {
        ArgumentNullException.ThrowIfNull(body);
        return ParseAll(Encoding.UTF8.GetBytes(body), precision, defaultTimestamp);
    }

    /// <summary>
    /// Scans a measurement or a key/tag value from <paramref name="pos"/>: returns the index of the first unescaped
    /// stop byte (separator or control character) or the line length.
    /// </summary>
    private static int ScanName(ReadOnlySpan<byte> line, int pos, SearchValues<byte> stops, EscapeContext context, ref bool escaped)
    {
        while (true)
        {
            int rel = line[pos..].IndexOfAny(stops);
            if (rel < 0)
            {
                return line.Length;
            }

            pos += rel;
            if (line[pos] != '\\')
            {
                return pos;
            }

            if (pos + 1 < line.Length && Escaping.IsEscapable(line[pos + 1], context))
            {
                escaped = true;
                pos += 2;
            }
            else
            {
                pos++; // a literal backslash
            }
        }
    }

    /// <summary>Scans string content from <paramref name="pos"/>: index of the closing quote or of a newline, -1 when missing.</summary>
    private static int ScanString(ReadOnlySpan<byte> line, int pos, ref bool escaped)
    {
        while (true)
        {
            int rel = line[pos..].IndexOfAny(StringStops);
            if (rel < 0)
            {
                return -1;
            }

            pos += rel;
            if (line[pos] != '\\')
            {
                return pos;
            }

            if (pos + 1 < line.Length && line[pos + 1] is (byte)'"' or (byte)'\\')
            {
                escaped = true;
                pos += 2;
            }
            else
            {
                pos++;
            }
        }
    }

    private LineParseStatus Fail(
        ReadOnlySpan<byte> line,
        long lineNumber,
        LineProtocolErrorKind kind,
        LineProtocolElement element,
        int offset,
        int tokenStart,
        int tokenLength,
        int nameStart,
        int nameLength,
        out LineProtocolSyntaxError error)
    {
        error = new LineProtocolSyntaxError(
            lineNumber,
            offset + 1,
            kind,
            element,
            line.Slice(tokenStart, tokenLength),
            line.Slice(nameStart, nameLength),
            Precision,
            0);
        return LineParseStatus.Error;
    }

    private static bool IsControl(byte b) => b < 0x20 || b == 0x7F;

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> line)
    {
        int i = 0;
        while (i < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[i..], out _, out int consumed) != OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return 0;
    }

    private static SearchValues<byte> Stops(string specials)
    {
        var set = new List<byte>();
        for (int b = 0; b < 0x20; b++)
        {
            set.Add((byte)b);
        }

        set.Add(0x7F);
        foreach (char c in specials)
        {
            if (!set.Contains((byte)c))
            {
                set.Add((byte)c);
            }
        }

        return SearchValues.Create(set.ToArray());
    }

    private sealed class CollectingHandler : ILineProtocolHandler
    {
        public List<ParsedLine> Lines { get; } = [];

        public List<LineProtocolError> Errors { get; } = [];

        public void OnPoint(in LineProtocolPoint point) => Lines.Add(point.ToParsedLine());

        public void OnError(in LineProtocolSyntaxError syntaxError) => Errors.Add(syntaxError.ToError());
    }
}
