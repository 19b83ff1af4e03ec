using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
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
/// version (1 byte), reserved (1), batch id length (2), batch id (UTF-8), [version 2 only: group (8), part index (2),
/// part count (2)], reading count (4), pass-through length (4), readings (20 bytes each), pass-through line protocol
/// (millisecond timestamps, one line per <c>\n</c>).
/// </summary>
/// <remarks>
/// A write larger than one log record is stored as consecutive version-2 parts of one group (a random 64-bit id),
/// appended together and applied together once the last part is read; a group cut short (the log ends inside it, or
/// another record follows a part that is not the last) was never acknowledged and is skipped.
/// </remarks>
public readonly struct IngestBatch
{
    private const byte Whole = 1;
    private const byte Part = 2;
    private const int FixedHeader = 1 + 1 + 2 + 4 + 4;
    private const int PartHeader = 8 + 2 + 2;

    private readonly ReadOnlyMemory<byte> _payload;
    private readonly int _batchIdLength;
    private readonly int _pointCount;
    private readonly int _passthroughLength;
    private readonly int _bodyStart;

    private IngestBatch(ReadOnlyMemory<byte> payload, int batchIdLength, int pointCount, int passthroughLength)
    {
        _payload = payload;
        _batchIdLength = batchIdLength;
        _pointCount = pointCount;
        _passthroughLength = passthroughLength;
        _bodyStart = FixedHeader + batchIdLength + (payload.Span[0] == Part ? PartHeader : 0);
    }

    public ReadOnlyMemory<byte> Payload => _payload;

    public ReadOnlySpan<byte> BatchId => _payload.Span.Slice(4, _batchIdLength);

    public int PointCount => _pointCount;

    /// <summary>The group of a part (0 for a whole batch).</summary>
    public ulong Group => IsPart ? BinaryPrimitives.ReadUInt64LittleEndian(_payload.Span[(4 + _batchIdLength)..]) : 0;

    /// <summary>0-based index of this part in its group (0 for a whole batch).</summary>
    public int PartIndex => IsPart ? BinaryPrimitives.ReadUInt16LittleEndian(_payload.Span[(12 + _batchIdLength)..]) : 0;

    /// <summary>How many parts its group has (1 for a whole batch).</summary>
    public int PartCount => IsPart ? BinaryPrimitives.ReadUInt16LittleEndian(_payload.Span[(14 + _batchIdLength)..]) : 1;

    private bool IsPart => !_payload.IsEmpty && _payload.Span[0] == Part;

    public ReadOnlySpan<PointRecord> Points =>
        MemoryMarshal.Cast<byte, PointRecord>(_payload.Span.Slice(_bodyStart, _pointCount * Unsafe.SizeOf<PointRecord>()));

    public ReadOnlySpan<byte> Passthrough =>
        _payload.Span.Slice(_bodyStart + (_pointCount * Unsafe.SizeOf<PointRecord>()), _passthroughLength);

    public static int Size(int batchIdLength, int points, int passthroughLength) =>
        FixedHeader + batchIdLength + (points * Unsafe.SizeOf<PointRecord>()) + passthroughLength;

    /// <summary>Writes a batch into a new array of exactly its size.</summary>
    public static IngestBatch Create(ReadOnlySpan<byte> batchId, ReadOnlySpan<PointRecord> points, ReadOnlySpan<byte> passthrough) =>
        Write(batchId, part: null, points, passthrough);

    /// <summary>
    /// The batch as records of at most <paramref name="maxRecordBytes"/> each: one whole batch when it fits, else
    /// parts of one group, readings first, pass-through lines split at line ends.
    /// </summary>
    public static IReadOnlyList<IngestBatch> CreateRecords(ReadOnlySpan<byte> batchId, ReadOnlySpan<PointRecord> points, ReadOnlySpan<byte> passthrough, int maxRecordBytes)
    {
        if (Size(batchId.Length, points.Length, passthrough.Length) <= maxRecordBytes)
        {
            return [Create(batchId, points, passthrough)];
        }

        var room = maxRecordBytes - FixedHeader - PartHeader - batchId.Length;
        var pointSize = Unsafe.SizeOf<PointRecord>();
        if (room < 64 * pointSize)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRecordBytes), maxRecordBytes, "records are too small to hold a part");
        }

        var pieces = new List<(int PointStart, int PointCount, int TextStart, int TextLength)>();
        for (var start = 0; start < points.Length; start += room / pointSize)
        {
            pieces.Add((start, Math.Min(room / pointSize, points.Length - start), 0, 0));
        }

        for (var start = 0; start < passthrough.Length;)
        {
            var take = Math.Min(room, passthrough.Length - start);
            if (start + take < passthrough.Length)
            {
                // End at a line; a single line longer than a record is cut (the raw sink refuses such a line anyway).
                var end = passthrough.Slice(start, take).LastIndexOf((byte)'\n');
                take = end >= 0 ? end + 1 : take;
            }

            pieces.Add((0, 0, start, take));
            start += take;
        }

        if (pieces.Count > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRecordBytes), maxRecordBytes, "a write needs more than 65535 records");
        }

        var group = BitConverter.ToUInt64(Guid.NewGuid().ToByteArray(), 0) | 1;
        var records = new IngestBatch[pieces.Count];
        for (var i = 0; i < pieces.Count; i++)
        {
            var (pointStart, pointCount, textStart, textLength) = pieces[i];
            records[i] = Write(batchId, (group, i, pieces.Count), points.Slice(pointStart, pointCount), passthrough.Slice(textStart, textLength));
        }

        return records;
    }

    /// <summary>
    /// The same record with its series ids translated by <paramref name="map"/> (one registry's ids to another's); the
    /// readings of a series mapped to −1 are left out and added to <paramref name="removed"/>.
    /// </summary>
    public IngestBatch WithSeries(ReadOnlySpan<int> map, List<PointRecord> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        var points = Points;
        var mapped = new PointRecord[points.Length];
        var count = 0;
        foreach (var point in points)
        {
            var id = (uint)point.SeriesId < (uint)map.Length ? map[point.SeriesId] : -1;
            if (id < 0)
            {
                removed.Add(point);
            }
            else
            {
                mapped[count++] = point with { SeriesId = id };
            }
        }

        return Write(BatchId, IsPart ? (Group, PartIndex, PartCount) : null, mapped.AsSpan(0, count), Passthrough);
    }

    private static IngestBatch Write(ReadOnlySpan<byte> batchId, (ulong Group, int Index, int Count)? part, ReadOnlySpan<PointRecord> points, ReadOnlySpan<byte> passthrough)
    {
        if (batchId.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batchId), batchId.Length, "batch ids are at most 65535 bytes");
        }

        // Every byte is written below: no need to zero a buffer that is often on the large-object heap.
        var payload = GC.AllocateUninitializedArray<byte>(Size(batchId.Length, points.Length, passthrough.Length) + (part is null ? 0 : PartHeader));
        var span = payload.AsSpan();
        span[0] = part is null ? Whole : Part;
        span[1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)batchId.Length);
        batchId.CopyTo(span[4..]);
        var position = 4 + batchId.Length;
        if (part is { } p)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[position..], p.Group);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(position + 8)..], (ushort)p.Index);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(position + 10)..], (ushort)p.Count);
            position += PartHeader;
        }

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
        if (span.Length < FixedHeader || span[0] is not (Whole or Part))
        {
            throw new InvalidDataException("not an ingest batch of a known version");
        }

        var idLength = BinaryPrimitives.ReadUInt16LittleEndian(span[2..]);
        var extra = span[0] == Part ? PartHeader : 0;
        if (span.Length < FixedHeader + idLength + extra)
        {
            throw new InvalidDataException("ingest batch shorter than its header");
        }

        var points = BinaryPrimitives.ReadInt32LittleEndian(span[(4 + idLength + extra)..]);
        var passthrough = BinaryPrimitives.ReadInt32LittleEndian(span[(8 + idLength + extra)..]);
        if (points < 0 || passthrough < 0 || (long)Size(idLength, 0, passthrough) + extra + ((long)points * Unsafe.SizeOf<PointRecord>()) != span.Length)
        {
            throw new InvalidDataException("ingest batch sizes do not add up");
        }

        var batch = new IngestBatch(payload, idLength, points, passthrough);
        if (extra > 0 && (batch.PartCount < 2 || batch.PartIndex >= batch.PartCount))
        {
            throw new InvalidDataException("ingest batch part index out of range");
        }

        return batch;
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

    /// <summary>
    /// A digest (XXH128, hex) of what the write holds: its readings as resolved (series, time, value) and its
    /// pass-through lines. The same readings sent again, whatever the precision or formatting of the body, give the
    /// same digest: the batch id of a write sent without one.
    /// </summary>
    public string ContentDigest()
    {
        var hash = new XxHash128();
        hash.Append(MemoryMarshal.AsBytes(_points.AsSpan(0, _pointCount)));
        hash.Append(_passthrough.AsSpan(0, _passthroughLength));
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <inheritdoc cref="IngestBatch.CreateRecords"/>
    public IReadOnlyList<IngestBatch> BuildRecords(ReadOnlySpan<byte> batchId, int maxRecordBytes) =>
        IngestBatch.CreateRecords(batchId, _points.AsSpan(0, _pointCount), _passthrough.AsSpan(0, _passthroughLength), maxRecordBytes);

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
