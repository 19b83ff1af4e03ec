using System.Buffers;
using System.Globalization;
using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>Canonical descriptions of parse outcomes, sequences built from chunks, a collecting handler.</summary>
internal static class TestSupport
{
    /// <summary>
    /// <c>'meas' ['k'='v', ...] ['f'=1.5, 'i'=3i, 'u'=4u, 'b'=true, 's'="text"] 123</c>; strings unescaped, floats in
    /// round-trip form, a default timestamp written as <c>default(42)</c>.
    /// </summary>
    public static string Describe(ParsedLine line)
    {
        var sb = new StringBuilder();
        sb.Append('\'').Append(line.Measurement).Append("' [");
        sb.AppendJoin(", ", line.Tags.Select(t => $"'{t.Key}'='{t.Value}'"));
        sb.Append("] [");
        sb.AppendJoin(", ", line.Fields.Select(f => $"'{f.Key}'={FormatValue(f)}"));
        sb.Append("] ");
        sb.Append(line.HasTimestamp
            ? line.Timestamp.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"default({line.Timestamp})"));
        return sb.ToString();
    }

    public static string FormatValue(ParsedField field) => field.Value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture) + "i",
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "u",
        bool b => b ? "true" : "false",
        string s => "\"" + s + "\"",
        _ => throw new InvalidOperationException(),
    };

    /// <summary>One entry per reported line: the point (with its line number) or the full error message.</summary>
    public static List<string> Outcomes(LineProtocolParseResult result) =>
        result.Lines.Select(l => (l.LineNumber, Text: "ok " + l.LineNumber.ToString(CultureInfo.InvariantCulture) + ": " + Describe(l)))
            .Concat(result.Errors.Select(e => (LineNumber: e.Line, Text: "error " + e.Message)))
            .OrderBy(x => x.LineNumber)
            .Select(x => x.Text)
            .ToList();

    public static ReadOnlySequence<byte> Sequence(params byte[][] segments)
    {
        if (segments.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (int i = 1; i < segments.Length; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>
    /// Feeds <paramref name="chunks"/> the way a PipeReader delivers them: each call sees the unconsumed rest of the
    /// previous buffers plus the new chunk as a further segment; the last call is final.
    /// </summary>
    public static void FeedLikeAPipe<THandler>(LineProtocolParser parser, IReadOnlyList<byte[]> chunks, ref THandler handler)
        where THandler : ILineProtocolHandler
    {
        var held = new List<byte[]>();
        for (int c = 0; c < chunks.Count; c++)
        {
            held.Add(chunks[c]);
            var buffer = Sequence([.. held]);
            bool final = c == chunks.Count - 1;
            var consumed = parser.Parse(buffer, final, ref handler);
            long used = buffer.Slice(0, consumed).Length;
            if (final)
            {
                Assert.Equal(buffer.Length, used);
            }

            // Drop the consumed bytes, keep the segment boundaries of the rest.
            var rest = new List<byte[]>();
            foreach (var segment in held)
            {
                if (used >= segment.Length)
                {
                    used -= segment.Length;
                    continue;
                }

                rest.Add(used == 0 ? segment : segment[(int)used..]);
                used = 0;
            }

            held = rest;
        }
    }

    public static List<byte[]> Split(byte[] payload, params int[] offsets)
    {
        var chunks = new List<byte[]>();
        int start = 0;
        foreach (int offset in offsets.Append(payload.Length))
        {
            chunks.Add(payload[start..offset]);
            start = offset;
        }

        return chunks;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>Collects what the allocating model would give, through the streaming API.</summary>
internal sealed class CollectingHandler : ILineProtocolHandler
{
    public List<ParsedLine> Lines { get; } = [];

    public List<LineProtocolError> Errors { get; } = [];

    public LineProtocolParseResult Result => new(Lines, Errors);

    public void OnPoint(in LineProtocolPoint point) => Lines.Add(point.ToParsedLine());

    public void OnError(in LineProtocolSyntaxError syntaxError) => Errors.Add(syntaxError.ToError());
}
