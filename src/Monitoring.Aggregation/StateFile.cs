using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Monitoring.Aggregation;

/// <summary>
/// Binary form of the aggregation state for checkpoints: a header naming the kind of state and a fingerprint of
/// what shaped it (series, options), then the arrays of structs exactly as they are in memory. The host writes
/// and reads it on one machine (same endianness and layout); the fingerprint refuses a state saved under another
/// registry or other options rather than misreading it.
/// </summary>
internal static class StateFile
{
    private const uint Magic = 0x54534E4D; // "MNST"
    private const int Version = 1;

    public static void WriteHeader(Stream stream, string kind, ulong fingerprint)
    {
        Span<byte> header = stackalloc byte[4 + 4 + 8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], fingerprint);
        header[16..].Clear();
        Encoding.ASCII.GetBytes(kind, header[16..]);
        stream.Write(header);
    }

    public static void ReadHeader(Stream stream, string kind, ulong fingerprint)
    {
        Span<byte> header = stackalloc byte[4 + 4 + 8 + 32];
        stream.ReadExactly(header);
        Span<byte> expectedKind = stackalloc byte[32];
        expectedKind.Clear();
        Encoding.ASCII.GetBytes(kind, expectedKind);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != Version
            || !header[16..].SequenceEqual(expectedKind))
        {
            throw new InvalidDataException($"not a {kind} state of this version");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) != fingerprint)
        {
            throw new InvalidDataException($"the {kind} state was saved under another registry or other options");
        }
    }

    public static void WriteArray<T>(Stream stream, T[] array)
        where T : unmanaged
    {
        WriteInt64(stream, array.Length);
        stream.Write(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    public static void ReadArray<T>(Stream stream, T[] array)
        where T : unmanaged
    {
        if (ReadInt64(stream) != array.Length)
        {
            throw new InvalidDataException("the state's array sizes do not match this configuration");
        }

        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    public static void WriteInt64(Stream stream, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    public static long ReadInt64(Stream stream)
    {
        Span<byte> bytes = stackalloc byte[8];
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    /// <summary>A fingerprint of the series catalog (every id's site, meter, field and counter settings) and extra figures.</summary>
    public static ulong Fingerprint(SeriesCatalog catalog, params ReadOnlySpan<long> figures)
    {
        var hash = new XxHash64();
        foreach (var series in catalog.Series)
        {
            hash.Append(Encoding.UTF8.GetBytes(series.ToString()));
            hash.Append(MemoryMarshal.AsBytes([series.Multiplier, series.RolloverModulus ?? 0]));
        }

        hash.Append(MemoryMarshal.AsBytes(figures));
        return hash.GetCurrentHashAsUInt64();
    }
}
