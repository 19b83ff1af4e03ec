using System.Globalization;

namespace Monitoring.LineProtocol;

/// <summary>Allocation-free parsing of field values and timestamps, with InfluxDB's grammar.</summary>
internal static class NumberParsing
{
    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses an unquoted field value (never empty): float, <c>i</c> integer, <c>u</c> unsigned or boolean.</summary>
    public static LineProtocolErrorKind ParseFieldValue(ReadOnlySpan<byte> token, out LineProtocolFieldKind kind, out long bits)
    {
        byte first = token[0];
        byte last = token[^1];
        bits = 0;
        if (first is (byte)'t' or (byte)'T' or (byte)'f' or (byte)'F')
        {
            kind = LineProtocolFieldKind.Boolean;
            if (TryParseBoolean(token, out bool value))
            {
                bits = value ? 1 : 0;
                return 0;
            }

            return LineProtocolErrorKind.InvalidFieldValue;
        }

        if (last == 'i')
        {
            kind = LineProtocolFieldKind.Integer;
            return ParseInteger(token[..^1], out bits);
        }

        if (last == 'u')
        {
            kind = LineProtocolFieldKind.UInteger;
            var status = ParseUnsigned(token[..^1], out ulong u);
            bits = (long)u;
            return status;
        }

        kind = LineProtocolFieldKind.Float;
        var floatStatus = ParseFloat(token, out double d);
        bits = BitConverter.DoubleToInt64Bits(d);
        return floatStatus;
    }

    public static bool TryParseBoolean(ReadOnlySpan<byte> token, out bool value)
    {
        switch (token.Length)
        {
            case 1:
                value = token[0] is (byte)'t' or (byte)'T';
                return token[0] is (byte)'t' or (byte)'T' or (byte)'f' or (byte)'F';
            case 4:
                value = true;
                return token.SequenceEqual("true"u8) || token.SequenceEqual("True"u8) || token.SequenceEqual("TRUE"u8);
            case 5:
                value = false;
                return token.SequenceEqual("false"u8) || token.SequenceEqual("False"u8) || token.SequenceEqual("FALSE"u8);
            default:
                value = false;
                return false;
        }
    }

    /// <summary><c>-?[0-9]+</c> within the signed 64-bit range.</summary>
    public static LineProtocolErrorKind ParseInteger(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        bool negative = digits.Length > 0 && digits[0] == '-';
        if (negative)
        {
            digits = digits[1..];
        }

        if (!TryAccumulate(digits, out ulong magnitude, out bool overflow))
        {
            return LineProtocolErrorKind.InvalidFieldValue;
        }

        if (overflow || magnitude > (negative ? 9_223_372_036_854_775_808UL : long.MaxValue))
        {
            return LineProtocolErrorKind.IntegerOutOfRange;
        }

        value = negative ? (long)(0UL - magnitude) : (long)magnitude;
        return 0;
    }

    /// <summary><c>[0-9]+</c> within the unsigned 64-bit range (a minus sign is out of range).</summary>
    public static LineProtocolErrorKind ParseUnsigned(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        bool negative = digits.Length > 0 && digits[0] == '-';
        if (!TryAccumulate(negative ? digits[1..] : digits, out ulong magnitude, out bool overflow))
        {
            return LineProtocolErrorKind.InvalidFieldValue;
        }

        if (overflow || negative)
        {
            return LineProtocolErrorKind.UnsignedOutOfRange;
        }

        value = magnitude;
        return 0;
    }

    /// <summary>Decimal digits only, at least one; reports overflow of 64 bits separately.</summary>
    private static bool TryAccumulate(ReadOnlySpan<byte> digits, out ulong value, out bool overflow)
    {
        value = 0;
        overflow = false;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                return false;
            }

            if (value > (ulong.MaxValue - d) / 10)
            {
                overflow = true; // keep scanning: a later non-digit makes it a syntax error instead
            }
            else
            {
                value = (value * 10) + d;
            }
        }

        return true;
    }

    /// <summary>
    /// InfluxDB's float grammar: <c>-?(digits[.digits?]|.digits)([eE][+-]?digits)?</c>, finite. Short plain decimals
    /// (up to 15 digits, no exponent) are computed exactly (mantissa / 10^k, both exact doubles); the rest goes
    /// through <see cref="double.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out double)"/>.
    /// </summary>
    public static LineProtocolErrorKind ParseFloat(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = s[0] == '-';
        if (negative)
        {
            i = 1;
        }

        ulong mantissa = 0;
        int digitCount = 0;
        while (i < s.Length && (uint)(s[i] - '0') <= 9)
        {
            if (digitCount < 19)
            {
                mantissa = (mantissa * 10) + (uint)(s[i] - '0');
            }

            digitCount++;
            i++;
        }

        int fractionDigits = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (digitCount < 19)
                {
                    mantissa = (mantissa * 10) + (uint)(s[i] - '0');
                }

                digitCount++;
                fractionDigits++;
                i++;
            }
        }

        if (digitCount == 0)
        {
            return IsNonFiniteWord(s) ? LineProtocolErrorKind.NonFiniteFloat : LineProtocolErrorKind.InvalidFieldValue;
        }

        bool exponent = false;
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            exponent = true;
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            int expStart = i;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                i++;
            }

            if (i == expStart)
            {
                return LineProtocolErrorKind.InvalidFieldValue;
            }
        }

        if (i != s.Length)
        {
            return LineProtocolErrorKind.InvalidFieldValue;
        }

        if (!exponent && digitCount <= 15)
        {
            double d = mantissa;
            if (fractionDigits > 0)
            {
                d /= Pow10[fractionDigits];
            }

            value = negative ? -d : d;
            return 0;
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return LineProtocolErrorKind.InvalidFieldValue;
        }

        if (!double.IsFinite(value))
        {
            value = 0;
            return LineProtocolErrorKind.FloatOutOfRange;
        }

        return 0;
    }

    private static bool IsNonFiniteWord(ReadOnlySpan<byte> s)
    {
        if (s.Length > 0 && s[0] is (byte)'-' or (byte)'+')
        {
            s = s[1..];
        }

        if (s.Length is not (3 or 8))
        {
            return false;
        }

        Span<byte> lower = stackalloc byte[8];
        for (int i = 0; i < s.Length; i++)
        {
            lower[i] = (byte)(s[i] | 0x20);
        }

        var word = lower[..s.Length];
        return word.SequenceEqual("inf"u8) || word.SequenceEqual("nan"u8) || word.SequenceEqual("infinity"u8);
    }

    /// <summary>Timestamp: <c>-?[0-9]+</c>, converted from <paramref name="precision"/> to Unix nanoseconds.</summary>
    public static LineProtocolErrorKind ParseTimestamp(ReadOnlySpan<byte> token, LineProtocolPrecision precision, out long nanoseconds)
    {
        nanoseconds = 0;
        bool negative = token[0] == '-';
        if (!TryAccumulate(negative ? token[1..] : token, out ulong magnitude, out bool overflow))
        {
            return LineProtocolErrorKind.InvalidTimestamp;
        }

        if (overflow || magnitude > (negative ? 9_223_372_036_854_775_808UL : long.MaxValue))
        {
            return LineProtocolErrorKind.TimestampOutOfRange;
        }

        long value = negative ? (long)(0UL - magnitude) : (long)magnitude;
        return LineProtocolTime.TryToNanoseconds(value, precision, out nanoseconds) ? 0 : LineProtocolErrorKind.TimestampOutOfRange;
    }
}
