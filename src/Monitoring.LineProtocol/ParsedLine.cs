using System.Globalization;
using System.Text;

namespace Monitoring.LineProtocol;

/// <summary>A field of a <see cref="ParsedLine"/>: <see cref="Value"/> is a double, long, ulong, bool or string.</summary>
public sealed record ParsedField(string Key, LineProtocolFieldKind Kind, object Value);

/// <summary>
/// The allocating model of one line, with unescaped strings (tests, tools, slow paths; the ingestion path uses
/// <see cref="LineProtocolPoint"/>).
/// </summary>
public sealed class ParsedLine(
    long lineNumber,
    string measurement,
    IReadOnlyList<KeyValuePair<string, string>> tags,
    IReadOnlyList<ParsedField> fields,
    long timestamp,
    bool hasTimestamp)
{
    /// <summary>1-based line number in the body.</summary>
    public long LineNumber { get; } = lineNumber;

    /// <summary>Unescaped measurement.</summary>
    public string Measurement { get; } = measurement;

    /// <summary>Unescaped tags in line order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; } = tags;

    /// <summary>Fields in line order.</summary>
    public IReadOnlyList<ParsedField> Fields { get; } = fields;

    /// <summary>Unix nanoseconds.</summary>
    public long Timestamp { get; } = timestamp;

    /// <summary>False when the line had no timestamp.</summary>
    public bool HasTimestamp { get; } = hasTimestamp;

    /// <summary>
    /// Writes the line back as line protocol, escaped, floats in round-trip form, timestamp in nanoseconds (omitted
    /// when the line had none). Parsing the result gives the same line.
    /// </summary>
    public string ToLineProtocol()
    {
        var sb = new StringBuilder();
        Escaping.Append(sb, Measurement, EscapeContext.Measurement);
        foreach (var tag in Tags)
        {
            sb.Append(',');
            Escaping.Append(sb, tag.Key, EscapeContext.Name);
            sb.Append('=');
            Escaping.Append(sb, tag.Value, EscapeContext.Name);
        }

        for (int i = 0; i < Fields.Count; i++)
        {
            var field = Fields[i];
            sb.Append(i == 0 ? ' ' : ',');
            Escaping.Append(sb, field.Key, EscapeContext.Name);
            sb.Append('=');
            switch (field.Value)
            {
                case double d:
                    sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                    break;
                case long l:
                    sb.Append(l.ToString(CultureInfo.InvariantCulture)).Append('i');
                    break;
                case ulong u:
                    sb.Append(u.ToString(CultureInfo.InvariantCulture)).Append('u');
                    break;
                case bool b:
                    sb.Append(b ? "true" : "false");
                    break;
                default:
                    sb.Append('"');
                    Escaping.Append(sb, (string)field.Value, EscapeContext.StringValue);
                    sb.Append('"');
                    break;
            }
        }

        if (HasTimestamp)
        {
            sb.Append(' ').Append(Timestamp.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToLineProtocol();
}

/// <summary>Result of <see cref="LineProtocolParser.ParseAll(ReadOnlySpan{byte}, LineProtocolPrecision, long)"/>.</summary>
public sealed class LineProtocolParseResult(IReadOnlyList<ParsedLine> lines, IReadOnlyList<LineProtocolError> errors)
{
    /// <summary>The valid lines.</summary>
    public IReadOnlyList<ParsedLine> Lines { get; } = lines;

    /// <summary>Every rejected line.</summary>
    public IReadOnlyList<LineProtocolError> Errors { get; } = errors;
}
