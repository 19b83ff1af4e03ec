using System.Buffers;
using System.IO.Hashing;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>One write request of a <see cref="SinkWindow"/>: the lines of its lane, in spool order.</summary>
internal sealed record SinkBatch(int Lane, ReadOnlyMemory<byte> Body, int Lines);

/// <summary>
/// The spool records the forwarder sends together, as up to <see cref="InfluxSinkOptions.MaxInFlight"/> concurrent
/// requests. A line goes to the lane its series key (measurement and tags) hashes to, so every version of a point
/// (a record and the merged corrections that rewrite it) is in one request, in spool order: concurrent requests
/// never reorder two writes of one point, and InfluxDB keeps the last one. Windows are sent one after the other.
/// </summary>
internal sealed class SinkWindow
{
    private SinkWindow(int records, IReadOnlyList<SinkBatch> batches)
    {
        Records = records;
        Batches = batches;
    }

    /// <summary>How many of the peeked records the window holds (at least one).</summary>
    public int Records { get; }

    public IReadOnlyList<SinkBatch> Batches { get; }

    /// <summary>
    /// The oldest records holding at most <paramref name="batchLines"/> × <paramref name="maxInFlight"/> lines (at
    /// least one record), split into one lane per <paramref name="batchLines"/> lines, at most
    /// <paramref name="maxInFlight"/>.
    /// </summary>
    public static SinkWindow Take(IReadOnlyList<BufferedRecord> records, int batchLines, int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        var limit = (long)batchLines * maxInFlight;
        var count = 0;
        var lines = 0;
        var bytes = 0;
        foreach (var record in records)
        {
            var recordLines = record.Payload.Span.Count((byte)'\n');
            if (count > 0 && lines + recordLines > limit)
            {
                break;
            }

            count++;
            lines += recordLines;
            bytes += record.Payload.Length;
        }

        var lanes = (int)Math.Clamp((lines + (long)batchLines - 1) / batchLines, 1, maxInFlight);
        if (lanes == 1)
        {
            return new SinkWindow(count, [new SinkBatch(0, Concatenate(records, count, bytes), lines)]);
        }

        var writers = new ArrayBufferWriter<byte>[lanes];
        var laneLines = new int[lanes];
        for (var lane = 0; lane < lanes; lane++)
        {
            writers[lane] = new ArrayBufferWriter<byte>((bytes / lanes) + (bytes / (lanes * 8)) + 256);
        }

        for (var i = 0; i < count; i++)
        {
            var payload = records[i].Payload.Span;
            while (!payload.IsEmpty)
            {
                var end = payload.IndexOf((byte)'\n');
                var line = end < 0 ? payload : payload[..(end + 1)];
                payload = end < 0 ? default : payload[(end + 1)..];
                var lane = (int)(XxHash3.HashToUInt64(SeriesKey(line)) % (ulong)lanes);
                writers[lane].Write(line);
                laneLines[lane] += end < 0 ? 0 : 1;
                if (end < 0)
                {
                    writers[lane].Write("\n"u8);
                    laneLines[lane]++;
                }
            }
        }

        var batches = new List<SinkBatch>(lanes);
        for (var lane = 0; lane < lanes; lane++)
        {
            if (laneLines[lane] > 0)
            {
                batches.Add(new SinkBatch(lane, writers[lane].WrittenMemory, laneLines[lane]));
            }
        }

        return new SinkWindow(count, batches);
    }

    /// <summary>The series key of a line: everything before the first space that is not escaped.</summary>
    internal static ReadOnlySpan<byte> SeriesKey(ReadOnlySpan<byte> line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case (byte)'\\':
                    i++;
                    break;
                case (byte)' ' or (byte)'\n':
                    return line[..i];
            }
        }

        return line;
    }

    private static ReadOnlyMemory<byte> Concatenate(IReadOnlyList<BufferedRecord> records, int count, int bytes)
    {
        if (count == 1)
        {
            return records[0].Payload;
        }

        var body = new byte[bytes];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            records[i].Payload.Span.CopyTo(body.AsSpan(offset));
            offset += records[i].Payload.Length;
        }

        return body;
    }
}
