using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Monitoring.Simulators.Output;

/// <summary>
/// Writes UTF-8 bytes into a large buffer flushed to a stream: no strings, no per-line allocation. Numbers are
/// written in fixed point with at most <c>decimals</c> digits after the point, trailing zeros dropped.
/// </summary>
public sealed class Utf8LineWriter(Stream output, int bufferSize = 1 << 20) : IDisposable
{
    private static readonly long[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _length;

    /// <summary>Bytes written so far (flushed and buffered).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Makes room for at least <paramref name="bytes"/> more bytes (call once per line with its upper bound).</summary>
    public void Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            Flush();
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void Write(byte b) => _buffer[_length++] = b;

    public void WriteInteger(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    /// <summary>Writes <paramref name="value"/> rounded to <paramref name="decimals"/> (0..6) digits after the point.</summary>
    public void WriteFixed(double value, int decimals)
    {
        var power = Powers[decimals];
        var scaled = Math.Round(value * power, MidpointRounding.AwayFromZero);
        if (!double.IsFinite(scaled) || Math.Abs(scaled) >= 9e18)
        {
            // Out of fixed-point range: the shortest round-trip form.
            Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var w);
            _length += w;
            return;
        }

        var units = (long)scaled;
        if (units < 0)
        {
            _buffer[_length++] = (byte)'-';
            units = -units;
        }

        var whole = Math.DivRem(units, power, out var fraction);
        Utf8Formatter.TryFormat(whole, _buffer.AsSpan(_length), out var written);
        _length += written;
        if (fraction == 0)
        {
            return;
        }

        var digits = decimals;
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }

        _buffer[_length++] = (byte)'.';
        Utf8Formatter.TryFormat(fraction, _buffer.AsSpan(_length), out written, new StandardFormat('D', (byte)digits));
        _length += written;
    }

    public void WriteAscii(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void Flush()
    {
        output.Write(_buffer, 0, _length);
        BytesWritten += _length;
        _length = 0;
    }

    public void Dispose()
    {
        Flush();
        output.Flush();
    }
}
