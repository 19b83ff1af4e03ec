using System.Globalization;
using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>
/// Deterministic line generator: valid lines built from unescaped elements (so their parse is known), the same
/// lines mutated (insertions of separators, escapes, quotes, control and non-UTF-8 bytes, deletions, truncations,
/// duplications, long digit runs), and random byte strings. Never produces a <c>\n</c>.
/// </summary>
internal sealed class LineFuzzer(int seed)
{
    private static readonly string[] NameAtoms =
    [
        "a", "b", "z", "meter", "site", "power_kw", "m-001", "_x", "0", "9", ".", "-", "/", ":", "é", "🚀", "\"", "'", "#",
        " ", ",", "=", "\\", "x y", "a,b", "k=v", "\\,", "\\ ", "\\=", "\\\\", "i", "u", "t", "1e3",
    ];

    private static readonly string[] StringAtoms =
    [
        "a", "hello", " ", ",", "=", "\"", "\\", "\\\\", "\\\"", "é", "🚀", "#", "\t", "\r", "'", "x y z", "1.5", "true",
    ];

    private static readonly string[] Booleans = ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"];

    private static readonly byte[] Interesting =
    [
        (byte)',', (byte)' ', (byte)'=', (byte)'\\', (byte)'"', (byte)'\r', (byte)'#', (byte)'\t', 0x00, 0x7F, 0xFF, 0xC3,
        0x80, (byte)'i', (byte)'u', (byte)'e', (byte)'E', (byte)'-', (byte)'+', (byte)'.', (byte)'0', (byte)'9',
        (byte)'t', (byte)'f', (byte)'n', (byte)'a', (byte)'\'',
    ];

    private static readonly string[] Tokens =
    [
        "inf", "-inf", "NaN", "Infinity", "1e400", "-0", "1e-400", "\\", "\\\\", "\"\"", "\\\"", "i", "u", "E+", ".", "=\"", ",\\ ",
        "t", "FALSE", "123u", "-1u", "9223372036854775808i", "\"x\"", "1.5e", "0x1p3", "+1", "1,5",
    ];

    private readonly Random _random = new(seed);

    /// <summary>A line and, when it was generated valid and left intact, its expected description.</summary>
    public (byte[] Line, string? Expected, LineProtocolPrecision Precision) Next(long defaultTimestamp)
    {
        var precision = (LineProtocolPrecision)_random.Next(6);
        int roll = _random.Next(100);
        if (roll < 10)
        {
            return (RandomBytes(), null, precision);
        }

        var (text, expected) = ValidLine(precision, defaultTimestamp);
        byte[] line = Encoding.UTF8.GetBytes(text);
        if (roll < 55)
        {
            return (line, expected, precision);
        }

        return (Mutate(line), null, precision);
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(0, 80)];
        for (int i = 0; i < bytes.Length; i++)
        {
            int pick = _random.Next(100);
            bytes[i] = pick < 70 ? (byte)_random.Next(0x20, 0x7F) : pick < 98 ? Interesting[_random.Next(Interesting.Length)] : (byte)_random.Next(256);
            if (bytes[i] == '\n')
            {
                bytes[i] = (byte)' ';
            }
        }

        return bytes;
    }

    private byte[] Mutate(byte[] line)
    {
        var bytes = new List<byte>(line);
        int operations = _random.Next(1, 5);
        for (int op = 0; op < operations; op++)
        {
            int at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(8))
            {
                case 7:
                    // Replace a whole value (after a random '=') with a token.
                    int equals = bytes.IndexOf((byte)'=', at);
                    if (equals >= 0)
                    {
                        int end = equals + 1;
                        while (end < bytes.Count && bytes[end] is not ((byte)',' or (byte)' '))
                        {
                            end++;
                        }

                        bytes.RemoveRange(equals + 1, end - equals - 1);
                        bytes.InsertRange(equals + 1, Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)]));
                    }

                    break;
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, Interesting[_random.Next(Interesting.Length)]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = Interesting[_random.Next(Interesting.Length)];
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4 when bytes.Count > 0:
                    int length = _random.Next(1, Math.Min(20, bytes.Count - at) + 1);
                    bytes.InsertRange(_random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 5:
                    bytes.InsertRange(at, _random.Next(2) == 0
                        ? Encoding.ASCII.GetBytes(new string('9', _random.Next(15, 30)))
                        : Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)]));
                    break;
                default:
                    bytes.Insert(at, _random.Next(4) == 0 ? (byte)_random.Next(256) : (byte)_random.Next(0x20, 0x7F));
                    break;
            }
        }

        for (int i = 0; i < bytes.Count; i++)
        {
            if (bytes[i] == '\n')
            {
                bytes[i] = (byte)'\r';
            }
        }

        return [.. bytes];
    }

    private (string Text, string Expected) ValidLine(LineProtocolPrecision precision, long defaultTimestamp)
    {
        var sb = new StringBuilder();
        if (_random.Next(10) == 0)
        {
            sb.Append(' ', _random.Next(1, 4));
        }

        string measurement = Name();
        if (measurement.StartsWith('#'))
        {
            measurement = "m" + measurement;
        }

        Escape(sb, measurement, measurement: true);
        var tags = new List<KeyValuePair<string, string>>();
        for (int i = _random.Next(0, 5); i > 0; i--)
        {
            var tag = new KeyValuePair<string, string>(Name(), Name());
            tags.Add(tag);
            sb.Append(',');
            Escape(sb, tag.Key, measurement: false);
            sb.Append('=');
            Escape(sb, tag.Value, measurement: false);
        }

        sb.Append(' ', _random.Next(10) == 0 ? _random.Next(2, 4) : 1);
        var fields = new List<ParsedField>();
        for (int i = _random.Next(1, 6); i > 0; i--)
        {
            string key = Name();
            if (fields.Count > 0)
            {
                sb.Append(',');
            }

            Escape(sb, key, measurement: false);
            sb.Append('=');
            var (text, kind, value) = FieldValue();
            sb.Append(text);
            fields.Add(new ParsedField(key, kind, value));
        }

        long timestamp = defaultTimestamp;
        bool hasTimestamp = _random.Next(10) < 7;
        if (hasTimestamp)
        {
            long factor = precision.NanosecondsPerUnit();
            long limit = LineProtocolTime.MaxTimestamp / factor;
            long value = _random.Next(3) switch
            {
                0 => _random.NextInt64(-1000, 1000),
                1 => _random.NextInt64(0, 2_000_000_000_000_000_000 / factor),
                _ => _random.NextInt64(-limit, limit + 1),
            };
            Assert.True(LineProtocolTime.TryToNanoseconds(value, precision, out timestamp));
            sb.Append(' ', _random.Next(10) == 0 ? 2 : 1).Append(value.ToString(CultureInfo.InvariantCulture));
        }

        if (_random.Next(20) == 0)
        {
            sb.Append(' ', _random.Next(1, 3));
        }

        if (_random.Next(10) == 0)
        {
            sb.Append('\r');
        }

        var expected = new ParsedLine(0, measurement, tags, fields, timestamp, hasTimestamp);
        return (sb.ToString(), TestSupport.Describe(expected));
    }

    private string Name()
    {
        var sb = new StringBuilder();
        for (int i = _random.Next(1, 5); i > 0; i--)
        {
            sb.Append(NameAtoms[_random.Next(NameAtoms.Length)]);
        }

        // A name cannot end with a backslash: it would escape the separator that follows.
        return sb[^1] == '\\' ? sb.Append('x').ToString() : sb.ToString();
    }

    private static void Escape(StringBuilder sb, string name, bool measurement)
    {
        foreach (char c in name)
        {
            if (c is ',' or ' ' || (c == '=' && !measurement))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }
    }

    private (string Text, LineProtocolFieldKind Kind, object Value) FieldValue()
    {
        switch (_random.Next(5))
        {
            case 0:
                string number = FloatText();
                return (number, LineProtocolFieldKind.Float, double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture));
            case 1:
                long l = _random.Next(4) switch
                {
                    0 => long.MinValue,
                    1 => long.MaxValue,
                    2 => _random.NextInt64(-1000, 1000),
                    _ => _random.NextInt64(long.MinValue, long.MaxValue),
                };
                return (l.ToString(CultureInfo.InvariantCulture) + "i", LineProtocolFieldKind.Integer, l);
            case 2:
                ulong u = _random.Next(3) switch
                {
                    0 => ulong.MaxValue,
                    1 => (ulong)_random.NextInt64(0, 1000),
                    _ => (ulong)_random.NextInt64(long.MinValue, long.MaxValue),
                };
                return (u.ToString(CultureInfo.InvariantCulture) + "u", LineProtocolFieldKind.UInteger, u);
            case 3:
                string word = Booleans[_random.Next(Booleans.Length)];
                return (word, LineProtocolFieldKind.Boolean, word[0] is 't' or 'T');
            default:
                var content = new StringBuilder();
                for (int i = _random.Next(0, 6); i > 0; i--)
                {
                    content.Append(StringAtoms[_random.Next(StringAtoms.Length)]);
                }

                string value = content.ToString();
                var text = new StringBuilder("\"");
                for (int i = 0; i < value.Length; i++)
                {
                    char c = value[i];
                    bool nextIsSpecial = i + 1 >= value.Length || value[i + 1] is '"' or '\\';
                    if (c == '"' || (c == '\\' && (nextIsSpecial || _random.Next(2) == 0)))
                    {
                        text.Append('\\'); // a lone backslash may also stay unescaped
                    }

                    text.Append(c);
                }

                return (text.Append('"').ToString(), LineProtocolFieldKind.String, value);
        }
    }

    private string FloatText()
    {
        var inv = CultureInfo.InvariantCulture;
        switch (_random.Next(8))
        {
            case 0:
                return _random.Next(-100000, 100000).ToString(inv);
            case 1:
                return (_random.Next(0, 10_000_000) / 100.0).ToString(inv);
            case 2:
                return RandomDouble().ToString("R", inv);
            case 3:
                return RandomDouble().ToString("E" + _random.Next(0, 17).ToString(inv), inv);
            case 4:
                return RandomDouble().ToString("G17", inv);
            case 5:
                return (_random.Next(2) == 0 ? "-" : "") + (_random.Next(2) == 0 ? "" : _random.Next(0, 1000).ToString(inv)) + "." + _random.Next(1, 100000).ToString(inv);
            case 6:
                return _random.Next(0, 1000).ToString(inv) + "." + (_random.Next(2) == 0 ? "" : "5") + "e" + (_random.Next(2) == 0 ? "-" : "+") + _random.Next(0, 300).ToString(inv);
            default:
                return "000" + _random.Next(0, 1000).ToString(inv) + "." + new string('3', _random.Next(1, 25));
        }
    }

    private double RandomDouble()
    {
        while (true)
        {
            double d = BitConverter.Int64BitsToDouble(_random.NextInt64());
            if (double.IsFinite(d))
            {
                return d;
            }
        }
    }
}
