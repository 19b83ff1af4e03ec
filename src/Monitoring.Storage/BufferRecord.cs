using System.Buffers.Binary;
using System.IO.Hashing;

namespace Monitoring.Storage;

/// <summary>Which records go first when the buffer is full: gauges, because cumulative counters recover totals later.</summary>
public enum RecordPriority : byte
{
    Counter = 1,
    Gauge = 2,
}

/// <summary>A record in the buffer: its sequence number is unique for the life of the buffer, never reused.</summary>
public readonly record struct BufferedRecord(long Sequence, DateTimeOffset WrittenAt, RecordPriority Priority, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The on-disk form of a record, little-endian: magic, payload length, sequence, unix milliseconds, priority,
/// payload, then a checksum of everything from the length on. The magic lets recovery find the next record after
/// damage; the checksum proves a record whole.
/// </summary>
/// <remarks>
/// Two formats. Segments written since the keyed format ("MON2") are named <c>{first sequence}-{seed}.seg</c> and
/// their checksum is XXH3-64 seeded with that segment's random seed: a record hidden in a payload (a tag value of an
/// agent's health line is written to the log as it came) cannot carry a valid checksum without the seed, so recovery
/// never replays one after damage. Older segments (<c>{first sequence}.seg</c>, "MONB", CRC-32) are still read.
/// </remarks>
internal static class BufferRecordFormat
{
    public const uint LegacyMagic = 0x424E4F4D; // "MONB" read as little-endian: CRC-32
    public const uint Magic = 0x324E4F4D; // "MON2": seeded XXH3-64
    public const int HeaderLength = 4 + 4 + 8 + 8 + 1;
    public const int LegacyTrailerLength = 4;
    public const int TrailerLength = 8;
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    /// <summary>The size of a record in the current format.</summary>
    public static int Size(int payloadLength) => HeaderLength + payloadLength + TrailerLength;

    /// <summary>Writes a record of the keyed format for a segment of <paramref name="seed"/>.</summary>
    public static void Write(Span<byte> destination, ulong seed, long sequence, long unixMilliseconds, RecordPriority priority, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], unixMilliseconds);
        destination[24] = (byte)priority;
        payload.CopyTo(destination[HeaderLength..]);
        var end = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[end..], XxHash3.HashToUInt64(destination[4..end], (long)seed));
    }

    /// <summary>
    /// The length of the whole valid record at the start of <paramref name="data"/>, or 0 when none is there. A keyed
    /// segment (<paramref name="seed"/> not null) takes only keyed records with its seed; a legacy one only CRC-32 ones.
    /// </summary>
    public static int TryRead(ReadOnlySpan<byte> data, ulong? seed, out BufferedRecordHeader header)
    {
        header = default;
        var trailer = seed is null ? LegacyTrailerLength : TrailerLength;
        if (data.Length < HeaderLength + trailer || BinaryPrimitives.ReadUInt32LittleEndian(data) != (seed is null ? LegacyMagic : Magic))
        {
            return 0;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var priority = data[24];
        if (length is < 0 or > MaxPayloadLength || data.Length < HeaderLength + length + trailer || priority is not ((byte)RecordPriority.Counter or (byte)RecordPriority.Gauge))
        {
            return 0;
        }

        var end = HeaderLength + length;
        var valid = seed is { } key
            ? XxHash3.HashToUInt64(data[4..end], (long)key) == BinaryPrimitives.ReadUInt64LittleEndian(data[end..])
            : Crc32.HashToUInt32(data[4..end]) == BinaryPrimitives.ReadUInt32LittleEndian(data[end..]);
        if (!valid)
        {
            return 0;
        }

        header = new BufferedRecordHeader(
            BinaryPrimitives.ReadInt64LittleEndian(data[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(data[16..]),
            (RecordPriority)priority,
            length);
        return end + trailer;
    }

    /// <summary>Writes a legacy (CRC-32) record: for tests of the upgrade path only.</summary>
    internal static void WriteLegacy(Span<byte> destination, long sequence, long unixMilliseconds, RecordPriority priority, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, LegacyMagic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], unixMilliseconds);
        destination[24] = (byte)priority;
        payload.CopyTo(destination[HeaderLength..]);
        var end = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[end..], Crc32.HashToUInt32(destination[4..end]));
    }
}

internal readonly record struct BufferedRecordHeader(long Sequence, long UnixMilliseconds, RecordPriority Priority, int PayloadLength);
