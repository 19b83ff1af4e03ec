using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Monitoring.Ingestion;

/// <summary>One validated reading as the write-ahead log holds it: the series id, UTC Unix milliseconds, the raw value.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct PointRecord(int SeriesId, long TimestampMs, double Value);

/// <summary>
/// A validated write (one HTTP request or MQTT message) in the form the write-ahead log stores and the aggregation
/// loop applies: readings already resolved to series ids (parsed once, at the door), the lines that pass through
/// to the raw sink as they are (agent health), and the sender's batch id for deduplication. Layout, little-endian:
/// version (1 byte), reserved (1), batch id length (2), batch id (UTF-8), reading count (4), pass-through length (4),
/// readings (20 bytes each), pass-through line protocol (millisecond timestamps, one line per <c>\n</c>).
/// </summary>
public readonly struct IngestBatch
{
    private const byte Version = 1;
    private const int FixedHeader = 1 + 1 + 2 + 4 + 4;

    private readonly ReadOnlyMemory<byte> _payload;
    private readonly int _batchIdLength;
    private readonly int _pointCount;
    private readonly int _passthroughLength;

    private IngestBatch(ReadOnlyMemory<byte> payload, int batchIdLength, int pointCount, int passthroughLength)
    {
        _payload = payload;
        _batchIdLength = batchIdLength;
        _pointCount = pointCount;
        _passthroughLength = passthroughLength;
    }

    public ReadOnlyMemory<byte> Payload => _payload;

    public ReadOnlySpan<byte> BatchId => _payload.Span.Slice(4, _batchIdLength);

    public int PointCount => _pointCount;

    public ReadOnlySpan<PointRecord> Points =>
        MemoryMarshal.Cast<byte, PointRecord>(_payload.Span.Slice(FixedHeader + _batchIdLength, _pointCount * Unsafe.SizeOf<PointRecord>()));

    public ReadOnlySpan<byte> Passthrough =>
        _payload.Span.Slice(FixedHeader + _batchIdLength + (_pointCount * Unsafe.SizeOf<PointRecord>()), _passthroughLength);

    public static int Size(int batchIdLength, int points, int passthroughLength) =>
        FixedHeader + batchIdLength + (points * Unsafe.SizeOf<PointRecord>()) + passthroughLength;

    /// <summary>Writes a batch into a new array of exactly its size.</summary>
    public static IngestBatch Create(ReadOnlySpan<byte> batchId, ReadOnlySpan<PointRecord> points, ReadOnlySpan<byte> passthrough)
    {
        if (batchId.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batchId), batchId.Length, "batch ids are at most 65535 bytes");
        }

        // Every byte is written below: no need to zero a buffer that is often on the large-object heap.
        var payload = GC.AllocateUninitializedArray<byte>(Size(batchId.Length, points.Length, passthrough.Length));
        var span = payload.AsSpan();
        span[0] = Version;
        span[1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)batchId.Length);
        batchId.CopyTo(span[4..]);
        var position = 4 + batchId.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], points.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[(position + 4)..], passthrough.Length);
        position += 8;
        MemoryMarshal.AsBytes(points).CopyTo(span[position..]);
        passthrough.CopyTo(span[(position + (points.Length * Unsafe.SizeOf<PointRecord>()))..]);
        return new IngestBatch(payload, batchId.Length, points.Length, passthrough.Length);
    }

    /// <summary>Reads a batch back from a write-ahead log record; <see cref="InvalidDataException"/> when it is not one.</summary>
    public static IngestBatch Read(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        if (span.Length < FixedHeader || span[0] != Version)
        {
            throw new InvalidDataException("not an ingest batch of this version");
        }

        var idLength = BinaryPrimitives.ReadUInt16LittleEndian(span[2..]);
        if (span.Length < FixedHeader + idLength)
        {
            throw new InvalidDataException("ingest batch shorter than its header");
        }

        var points = BinaryPrimitives.ReadInt32LittleEndian(span[(4 + idLength)..]);
        var passthrough = BinaryPrimitives.ReadInt32LittleEndian(span[(8 + idLength)..]);
        if (points < 0 || passthrough < 0 || (long)Size(idLength, 0, passthrough) + ((long)points * Unsafe.SizeOf<PointRecord>()) != span.Length)
        {
            throw new InvalidDataException("ingest batch sizes do not add up");
        }

        return new IngestBatch(payload, idLength, points, passthrough);
    }
}

/// <summary>Collects a batch's readings and pass-through lines in pooled buffers while a body is parsed.</summary>
internal sealed class IngestBatchBuilder : IDisposable
{
    private PointRecord[] _points = ArrayPool<PointRecord>.Shared.Rent(1024);
    private byte[] _passthrough = ArrayPool<byte>.Shared.Rent(1024);
    private int _pointCount;
    private int _passthroughLength;

    public int PointCount => _pointCount;

    public int PassthroughLength => _passthroughLength;

    public bool IsEmpty => _pointCount == 0 && _passthroughLength == 0;

    public void Add(int seriesId, long timestampMs, double value)
    {
        if (_pointCount == _points.Length)
        {
            Grow(ref _points, _pointCount);
        }

        _points[_pointCount++] = new PointRecord(seriesId, timestampMs, value);
    }

    /// <summary>Adds one line (without its newline) for the raw sink.</summary>
    public void AddPassthrough(ReadOnlySpan<byte> line)
    {
        while (_passthroughLength + line.Length + 1 > _passthrough.Length)
        {
            Grow(ref _passthrough, _passthroughLength);
        }

        line.CopyTo(_passthrough.AsSpan(_passthroughLength));
        _passthroughLength += line.Length;
        _passthrough[_passthroughLength++] = (byte)'\n';
    }

    public IngestBatch Build(ReadOnlySpan<byte> batchId) =>
        IngestBatch.Create(batchId, _points.AsSpan(0, _pointCount), _passthrough.AsSpan(0, _passthroughLength));

    public void Dispose()
    {
        ArrayPool<PointRecord>.Shared.Return(_points);
        ArrayPool<byte>.Shared.Return(_passthrough);
        _points = [];
        _passthrough = [];
    }

    private static void Grow<T>(ref T[] array, int used)
    {
        var larger = ArrayPool<T>.Shared.Rent(array.Length * 2);
        array.AsSpan(0, used).CopyTo(larger);
        ArrayPool<T>.Shared.Return(array);
        array = larger;
    }
}
