using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace Monitoring.LineProtocol;

/// <summary>Type of a field value.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The type names of the InfluxDB data model.")]
public enum LineProtocolFieldKind : byte
{
    /// <summary>IEEE-754 64-bit float: <c>1</c>, <c>-1.5E-3</c>, <c>1e3</c>.</summary>
    Float = 1,

    /// <summary>Signed 64-bit integer: <c>123i</c>.</summary>
    Integer,

    /// <summary>Unsigned 64-bit integer: <c>123u</c>.</summary>
    UInteger,

    /// <summary><c>t</c>, <c>T</c>, <c>true</c>, <c>True</c>, <c>TRUE</c> and the false forms.</summary>
    Boolean,

    /// <summary>Double-quoted string.</summary>
    String,
}

/// <summary>Offsets of one tag in the line (escaped form).</summary>
[StructLayout(LayoutKind.Auto)]
internal struct TagEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;
    public int ValueLength;
    public bool KeyEscaped;
    public bool ValueEscaped;
}

/// <summary>Offsets of one field in the line and its decoded scalar value.</summary>
[StructLayout(LayoutKind.Auto)]
internal struct FieldEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;   // raw value; for strings the content between the quotes
    public int ValueLength;
    public long Bits;        // long, ulong, double bits or 0/1
    public LineProtocolFieldKind Kind;
    public bool KeyEscaped;
    public bool ValueEscaped; // strings only
}

/// <summary>
/// One valid line, as a view over the input bytes: nothing is copied or unescaped until asked. Names are exposed
/// raw (escaped, as on the wire) with a flag telling whether they contain escapes; <c>Unescape…(Span&lt;byte&gt;)</c>
/// writes the unescaped form into a caller buffer (never longer than the raw form) and <c>Get…()</c> allocates a string.
/// Valid only until the parser that produced it parses another line.
/// </summary>
public readonly ref struct LineProtocolPoint
{
    private readonly ReadOnlySpan<byte> _line;
    private readonly ReadOnlySpan<TagEntry> _tags;
    private readonly ReadOnlySpan<FieldEntry> _fields;
    private readonly int _measurementStart;
    private readonly int _measurementLength;
    private readonly bool _measurementEscaped;

    internal LineProtocolPoint(
        ReadOnlySpan<byte> line,
        long lineNumber,
        int measurementStart,
        int measurementLength,
        bool measurementEscaped,
        ReadOnlySpan<TagEntry> tags,
        ReadOnlySpan<FieldEntry> fields,
        long timestamp,
        bool hasTimestamp)
    {
        _line = line;
        LineNumber = lineNumber;
        _measurementStart = measurementStart;
        _measurementLength = measurementLength;
        _measurementEscaped = measurementEscaped;
        _tags = tags;
        _fields = fields;
        Timestamp = timestamp;
        HasTimestamp = hasTimestamp;
    }

    /// <summary>1-based line number in the body.</summary>
    public long LineNumber { get; }

    /// <summary>The line itself (without its line terminator).</summary>
    public ReadOnlySpan<byte> Line => _line;

    /// <summary>Unix nanoseconds: the line's timestamp converted from the precision, or the default timestamp.</summary>
    public long Timestamp { get; }

    /// <summary>False when the line had no timestamp and <see cref="Timestamp"/> is the default one.</summary>
    public bool HasTimestamp { get; }

    /// <summary>The measurement as written (escaped).</summary>
    public ReadOnlySpan<byte> RawMeasurement => _line.Slice(_measurementStart, _measurementLength);

    /// <summary>True when <see cref="RawMeasurement"/> contains escapes (<c>\,</c> or <c>\ </c>).</summary>
    public bool MeasurementHasEscapes => _measurementEscaped;

    /// <summary>The tags in line order.</summary>
    public LineProtocolTagList Tags => new(_line, _tags);

    /// <summary>The fields in line order (at least one).</summary>
    public LineProtocolFieldList Fields => new(_line, _fields);

    /// <summary>Writes the unescaped measurement into <paramref name="destination"/> (at least <see cref="RawMeasurement"/>.Length bytes); returns its length.</summary>
    public int UnescapeMeasurement(Span<byte> destination) =>
        Escaping.Unescape(RawMeasurement, destination, _measurementEscaped ? EscapeContext.Measurement : EscapeContext.None);

    /// <summary>The unescaped measurement (allocates).</summary>
    public string GetMeasurement() => Escaping.ToString(RawMeasurement, _measurementEscaped ? EscapeContext.Measurement : EscapeContext.None);

    /// <summary>The allocating model of this line.</summary>
    public ParsedLine ToParsedLine()
    {
        var tags = new KeyValuePair<string, string>[_tags.Length];
        for (int i = 0; i < tags.Length; i++)
        {
            var tag = Tags[i];
            tags[i] = new KeyValuePair<string, string>(tag.GetKey(), tag.GetValue());
        }

        var fields = new ParsedField[_fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            var field = Fields[i];
            object value = field.Kind switch
            {
                LineProtocolFieldKind.Float => field.FloatValue,
                LineProtocolFieldKind.Integer => field.IntegerValue,
                LineProtocolFieldKind.UInteger => field.UIntegerValue,
                LineProtocolFieldKind.Boolean => field.BooleanValue,
                _ => field.GetString(),
            };
            fields[i] = new ParsedField(field.GetKey(), field.Kind, value);
        }

        return new ParsedLine(LineNumber, GetMeasurement(), tags, fields, Timestamp, HasTimestamp);
    }
}

/// <summary>The tags of a <see cref="LineProtocolPoint"/>.</summary>
public readonly ref struct LineProtocolTagList
{
    private readonly ReadOnlySpan<byte> _line;
    private readonly ReadOnlySpan<TagEntry> _tags;

    internal LineProtocolTagList(ReadOnlySpan<byte> line, ReadOnlySpan<TagEntry> tags)
    {
        _line = line;
        _tags = tags;
    }

    /// <summary>Number of tags.</summary>
    public int Count => _tags.Length;

    /// <summary>The tag at <paramref name="index"/>.</summary>
    public LineProtocolTag this[int index] => new(_line, _tags[index]);

    /// <summary>
    /// Finds a tag by its unescaped key (UTF-8, e.g. <c>"site"u8</c>) and returns its raw value; the first match wins.
    /// </summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, out LineProtocolTag tag)
    {
        foreach (ref readonly TagEntry entry in _tags)
        {
            var raw = _line.Slice(entry.KeyStart, entry.KeyLength);
            if (entry.KeyEscaped ? Escaping.EqualsUnescaped(raw, key, EscapeContext.Name) : raw.SequenceEqual(key))
            {
                tag = new LineProtocolTag(_line, entry);
                return true;
            }
        }

        tag = default;
        return false;
    }

    /// <summary>Enumerates the tags without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Tag enumerator.</summary>
    public ref struct Enumerator
    {
        private readonly LineProtocolTagList _list;
        private int _index;

        internal Enumerator(LineProtocolTagList list)
        {
            _list = list;
            _index = -1;
        }

        /// <summary>The current tag.</summary>
        public readonly LineProtocolTag Current => _list[_index];

        /// <summary>Advances to the next tag.</summary>
        public bool MoveNext() => ++_index < _list.Count;
    }
}

/// <summary>One tag: raw (escaped) key and value, unescaped on request.</summary>
public readonly ref struct LineProtocolTag
{
    private readonly ReadOnlySpan<byte> _key;
    private readonly ReadOnlySpan<byte> _value;

    internal LineProtocolTag(ReadOnlySpan<byte> line, in TagEntry entry)
    {
        _key = line.Slice(entry.KeyStart, entry.KeyLength);
        _value = line.Slice(entry.ValueStart, entry.ValueLength);
        KeyHasEscapes = entry.KeyEscaped;
        ValueHasEscapes = entry.ValueEscaped;
    }

    /// <summary>The key as written (escaped).</summary>
    public ReadOnlySpan<byte> RawKey => _key;

    /// <summary>The value as written (escaped).</summary>
    public ReadOnlySpan<byte> RawValue => _value;

    /// <summary>True when <see cref="RawKey"/> contains <c>\,</c>, <c>\=</c> or <c>\ </c>.</summary>
    public bool KeyHasEscapes { get; }

    /// <summary>True when <see cref="RawValue"/> contains <c>\,</c>, <c>\=</c> or <c>\ </c>.</summary>
    public bool ValueHasEscapes { get; }

    /// <summary>Writes the unescaped key into <paramref name="destination"/> (at least RawKey.Length bytes); returns its length.</summary>
    public int UnescapeKey(Span<byte> destination) => Escaping.Unescape(_key, destination, KeyHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>Writes the unescaped value into <paramref name="destination"/> (at least RawValue.Length bytes); returns its length.</summary>
    public int UnescapeValue(Span<byte> destination) => Escaping.Unescape(_value, destination, ValueHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>The unescaped key (allocates).</summary>
    public string GetKey() => Escaping.ToString(_key, KeyHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>The unescaped value (allocates).</summary>
    public string GetValue() => Escaping.ToString(_value, ValueHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>True when the unescaped value equals <paramref name="value"/> (UTF-8), without allocating.</summary>
    public bool ValueEquals(ReadOnlySpan<byte> value) =>
        ValueHasEscapes ? Escaping.EqualsUnescaped(_value, value, EscapeContext.Name) : _value.SequenceEqual(value);
}

/// <summary>The fields of a <see cref="LineProtocolPoint"/>.</summary>
public readonly ref struct LineProtocolFieldList
{
    private readonly ReadOnlySpan<byte> _line;
    private readonly ReadOnlySpan<FieldEntry> _fields;

    internal LineProtocolFieldList(ReadOnlySpan<byte> line, ReadOnlySpan<FieldEntry> fields)
    {
        _line = line;
        _fields = fields;
    }

    /// <summary>Number of fields.</summary>
    public int Count => _fields.Length;

    /// <summary>The field at <paramref name="index"/>.</summary>
    public LineProtocolField this[int index] => new(_line, _fields[index]);

    /// <summary>Finds a field by its unescaped key (UTF-8); the first match wins.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, out LineProtocolField field)
    {
        foreach (ref readonly FieldEntry entry in _fields)
        {
            var raw = _line.Slice(entry.KeyStart, entry.KeyLength);
            if (entry.KeyEscaped ? Escaping.EqualsUnescaped(raw, key, EscapeContext.Name) : raw.SequenceEqual(key))
            {
                field = new LineProtocolField(_line, entry);
                return true;
            }
        }

        field = default;
        return false;
    }

    /// <summary>Enumerates the fields without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Field enumerator.</summary>
    public ref struct Enumerator
    {
        private readonly LineProtocolFieldList _list;
        private int _index;

        internal Enumerator(LineProtocolFieldList list)
        {
            _list = list;
            _index = -1;
        }

        /// <summary>The current field.</summary>
        public readonly LineProtocolField Current => _list[_index];

        /// <summary>Advances to the next field.</summary>
        public bool MoveNext() => ++_index < _list.Count;
    }
}

/// <summary>One field: raw key, kind and the decoded scalar value (numbers and booleans are parsed already).</summary>
public readonly ref struct LineProtocolField
{
    private readonly ReadOnlySpan<byte> _key;
    private readonly ReadOnlySpan<byte> _rawValue;
    private readonly long _bits;

    internal LineProtocolField(ReadOnlySpan<byte> line, in FieldEntry entry)
    {
        _key = line.Slice(entry.KeyStart, entry.KeyLength);
        _rawValue = line.Slice(entry.ValueStart, entry.ValueLength);
        _bits = entry.Bits;
        Kind = entry.Kind;
        KeyHasEscapes = entry.KeyEscaped;
        StringHasEscapes = entry.ValueEscaped;
    }

    /// <summary>The key as written (escaped).</summary>
    public ReadOnlySpan<byte> RawKey => _key;

    /// <summary>True when <see cref="RawKey"/> contains <c>\,</c>, <c>\=</c> or <c>\ </c>.</summary>
    public bool KeyHasEscapes { get; }

    /// <summary>The value type.</summary>
    public LineProtocolFieldKind Kind { get; }

    /// <summary>The value as written: the number with its suffix, the boolean word, or the string content between the quotes (escaped).</summary>
    public ReadOnlySpan<byte> RawValue => _rawValue;

    /// <summary>True when a string value contains <c>\"</c> or <c>\\</c>.</summary>
    public bool StringHasEscapes { get; }

    /// <summary>The value of a <see cref="LineProtocolFieldKind.Float"/> field.</summary>
    public double FloatValue => Kind == LineProtocolFieldKind.Float ? BitConverter.Int64BitsToDouble(_bits) : throw WrongKind(LineProtocolFieldKind.Float);

    /// <summary>The value of an <see cref="LineProtocolFieldKind.Integer"/> field.</summary>
    public long IntegerValue => Kind == LineProtocolFieldKind.Integer ? _bits : throw WrongKind(LineProtocolFieldKind.Integer);

    /// <summary>The value of a <see cref="LineProtocolFieldKind.UInteger"/> field.</summary>
    public ulong UIntegerValue => Kind == LineProtocolFieldKind.UInteger ? (ulong)_bits : throw WrongKind(LineProtocolFieldKind.UInteger);

    /// <summary>The value of a <see cref="LineProtocolFieldKind.Boolean"/> field.</summary>
    public bool BooleanValue => Kind == LineProtocolFieldKind.Boolean ? _bits != 0 : throw WrongKind(LineProtocolFieldKind.Boolean);

    /// <summary>A float, integer or unsigned value as a double (meter readings); false for booleans and strings.</summary>
    public bool TryGetNumber(out double value)
    {
        switch (Kind)
        {
            case LineProtocolFieldKind.Float:
                value = BitConverter.Int64BitsToDouble(_bits);
                return true;
            case LineProtocolFieldKind.Integer:
                value = _bits;
                return true;
            case LineProtocolFieldKind.UInteger:
                value = (ulong)_bits;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Writes the unescaped key into <paramref name="destination"/>; returns its length.</summary>
    public int UnescapeKey(Span<byte> destination) => Escaping.Unescape(_key, destination, KeyHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>Writes the unescaped string value into <paramref name="destination"/> (at least RawValue.Length bytes); returns its length.</summary>
    public int UnescapeString(Span<byte> destination)
    {
        if (Kind != LineProtocolFieldKind.String)
        {
            throw WrongKind(LineProtocolFieldKind.String);
        }

        return Escaping.Unescape(_rawValue, destination, StringHasEscapes ? EscapeContext.StringValue : EscapeContext.None);
    }

    /// <summary>The unescaped key (allocates).</summary>
    public string GetKey() => Escaping.ToString(_key, KeyHasEscapes ? EscapeContext.Name : EscapeContext.None);

    /// <summary>The unescaped string value (allocates).</summary>
    public string GetString() => Kind == LineProtocolFieldKind.String
        ? Escaping.ToString(_rawValue, StringHasEscapes ? EscapeContext.StringValue : EscapeContext.None)
        : throw WrongKind(LineProtocolFieldKind.String);

    /// <summary>True when the unescaped key equals <paramref name="key"/> (UTF-8), without allocating.</summary>
    public bool KeyEquals(ReadOnlySpan<byte> key) =>
        KeyHasEscapes ? Escaping.EqualsUnescaped(_key, key, EscapeContext.Name) : _key.SequenceEqual(key);

    private InvalidOperationException WrongKind(LineProtocolFieldKind wanted) =>
        new($"field '{Encoding.UTF8.GetString(_key)}' is {Kind}, not {wanted}");
}
