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
/// The on-disk form of a record, little-endian: magic "MONB", payload length, sequence, unix milliseconds,
/// priority, payload, then a CRC-32 of everything from the length on. The magic lets recovery find the next
/// record after damage; the CRC proves a record whole.
/// </summary>
internal static class BufferRecordFormat
{
    public const uint Magic = 0x424E4F4D; // "MONB" read as little-endian
    public const int HeaderLength = 4 + 4 + 8 + 8 + 1;
    public const int TrailerLength = 4;
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    public static int Size(int payloadLength) => HeaderLength + payloadLength + TrailerLength;

    public static void Write(Span<byte> destination, long sequence, long unixMilliseconds, RecordPriority priority, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], unixMilliseconds);
        destination[24] = (byte)priority;
        payload.CopyTo(destination[HeaderLength..]);
        var end = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[end..], Crc32.HashToUInt32(destination[4..end]));
    }

    /// <summary>The length of the whole valid record at the start of <paramref name="data"/>, or 0 when none is there.</summary>
    public static int TryRead(ReadOnlySpan<byte> data, out BufferedRecordHeader header)
    {
        header = default;
        if (data.Length < HeaderLength + TrailerLength || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            return 0;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var priority = data[24];
        if (length is < 0 or > MaxPayloadLength || data.Length < Size(length) || priority is not ((byte)RecordPriority.Counter or (byte)RecordPriority.Gauge))
        {
            return 0;
        }

        var end = HeaderLength + length;
        if (Crc32.HashToUInt32(data[4..end]) != BinaryPrimitives.ReadUInt32LittleEndian(data[end..]))
        {
            return 0;
        }

        header = new BufferedRecordHeader(
            BinaryPrimitives.ReadInt64LittleEndian(data[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(data[16..]),
            (RecordPriority)priority,
            length);
        return Size(length);
    }
}

internal readonly record struct BufferedRecordHeader(long Sequence, long UnixMilliseconds, RecordPriority Priority, int PayloadLength);
