using System.Text;

namespace Monitoring.LineProtocol;

/// <summary>Which escape rule applies to a token.</summary>
internal enum EscapeContext
{
    /// <summary>The token has no escapes: copy as is.</summary>
    None,

    /// <summary>Measurement: <c>\,</c> and <c>\ </c>.</summary>
    Measurement,

    /// <summary>Tag keys, tag values, field keys: <c>\,</c>, <c>\=</c> and <c>\ </c>.</summary>
    Name,

    /// <summary>String field values: <c>\"</c> and <c>\\</c>.</summary>
    StringValue,
}

/// <summary>
/// Unescaping. A backslash escapes the next byte only when that byte is escapable in the element; any other
/// backslash is a literal backslash and the next byte is read normally (so <c>\\</c> in a tag is two backslashes).
/// </summary>
internal static class Escaping
{
    public static bool IsEscapable(byte next, EscapeContext context) => context switch
    {
        EscapeContext.Measurement => next is (byte)',' or (byte)' ',
        EscapeContext.Name => next is (byte)',' or (byte)' ' or (byte)'=',
        EscapeContext.StringValue => next is (byte)'"' or (byte)'\\',
        _ => false,
    };

    /// <summary>Writes the unescaped form of <paramref name="raw"/> into <paramref name="destination"/>; returns its length.</summary>
    public static int Unescape(ReadOnlySpan<byte> raw, Span<byte> destination, EscapeContext context)
    {
        if (context == EscapeContext.None)
        {
            raw.CopyTo(destination);
            return raw.Length;
        }

        int written = 0;
        int i = 0;
        while (i < raw.Length)
        {
            int slash = raw[i..].IndexOf((byte)'\\');
            if (slash < 0)
            {
                raw[i..].CopyTo(destination[written..]);
                return written + raw.Length - i;
            }

            raw.Slice(i, slash).CopyTo(destination[written..]);
            written += slash;
            i += slash;
            if (i + 1 < raw.Length && IsEscapable(raw[i + 1], context))
            {
                destination[written++] = raw[i + 1];
                i += 2;
            }
            else
            {
                destination[written++] = (byte)'\\';
                i++;
            }
        }

        return written;
    }

    /// <summary>The unescaped token as a string (allocates).</summary>
    public static string ToString(ReadOnlySpan<byte> raw, EscapeContext context)
    {
        if (context == EscapeContext.None || raw.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }

        byte[] buffer = new byte[raw.Length];
        int length = Unescape(raw, buffer, context);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Compares the unescaped form of <paramref name="raw"/> with <paramref name="plain"/> without allocating.</summary>
    public static bool EqualsUnescaped(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> plain, EscapeContext context)
    {
        int i = 0;
        int j = 0;
        while (i < raw.Length)
        {
            byte b = raw[i];
            if (b == '\\' && i + 1 < raw.Length && IsEscapable(raw[i + 1], context))
            {
                b = raw[i + 1];
                i += 2;
            }
            else
            {
                i++;
            }

            if (j >= plain.Length || plain[j] != b)
            {
                return false;
            }

            j++;
        }

        return j == plain.Length;
    }

    /// <summary>Appends <paramref name="value"/> escaped for <paramref name="context"/> (the allocating writer side).</summary>
    public static void Append(StringBuilder builder, string value, EscapeContext context)
    {
        foreach (char c in value)
        {
            if (c < 0x80 && IsEscapable((byte)c, context))
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }
    }
}
