using System.Globalization;
using System.Text;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// A growable UTF-8 buffer that line protocol is written into token by token: numbers are formatted straight into
/// it (invariant culture), strings are transcoded and escaped in place, so a line costs no allocation once the
/// buffer has grown to its working size.
/// </summary>
internal sealed class LineBuffer(int initialCapacity = 64 * 1024)
{
    private byte[] _bytes = new byte[initialCapacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _bytes.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.AsMemory(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Drops everything written after <paramref name="length"/> (a line that turned out to have no field).</summary>
    public void Truncate(int length) => Length = length;

    public void Append(byte value)
    {
        Ensure(1);
        _bytes[Length++] = value;
    }

    /// <summary>A constant ASCII token (measurement, key and separators) that needs no escaping.</summary>
    public void Append(ReadOnlySpan<byte> ascii)
    {
        Ensure(ascii.Length);
        ascii.CopyTo(_bytes.AsSpan(Length));
        Length += ascii.Length;
    }

    /// <summary>
    /// A tag value (or key) escaped for line protocol: comma, equals sign and space take a backslash. Line breaks
    /// cannot be escaped in line protocol at all, so they become escaped spaces rather than break the batch.
    /// </summary>
    public void AppendTagValue(string value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length) * 2);
        foreach (var rune in value.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is ',' or '=' or ' ' or '\n' or '\r')
            {
                _bytes[Length++] = (byte)'\\';
                _bytes[Length++] = c is '\n' or '\r' ? (byte)' ' : (byte)c;
            }
            else
            {
                Length += rune.EncodeToUtf8(_bytes.AsSpan(Length));
            }
        }
    }

    /// <summary>A string field value in double quotes; double quotes and backslashes take a backslash.</summary>
    public void AppendStringField(string value)
    {
        Ensure((Encoding.UTF8.GetMaxByteCount(value.Length) * 2) + 2);
        _bytes[Length++] = (byte)'"';
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.Value is '"' or '\\')
            {
                _bytes[Length++] = (byte)'\\';
            }

            Length += rune.EncodeToUtf8(_bytes.AsSpan(Length));
        }

        _bytes[Length++] = (byte)'"';
    }

    /// <summary>A float field value, shortest round-trip form (<c>0.1</c>, <c>1E+20</c>).</summary>
    public void AppendFloat(double value)
    {
        Ensure(32);
        value.TryFormat(_bytes.AsSpan(Length), out var written, default, CultureInfo.InvariantCulture);
        Length += written;
    }

    /// <summary>An integer field value with its <c>i</c> suffix.</summary>
    public void AppendInteger(long value)
    {
        AppendNumber(value);
        Append((byte)'i');
    }

    /// <summary>A bare integer: a timestamp.</summary>
    public void AppendNumber(long value)
    {
        Ensure(20);
        value.TryFormat(_bytes.AsSpan(Length), out var written, default, CultureInfo.InvariantCulture);
        Length += written;
    }

    private void Ensure(int bytes)
    {
        if (Length + bytes > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + bytes));
        }
    }
}
