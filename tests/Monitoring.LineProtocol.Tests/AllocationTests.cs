using System.Buffers;
using System.Globalization;
using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>The span and sequence APIs allocate nothing per line once warmed up.</summary>
public sealed class AllocationTests
{
    private const int LineCount = 10_000;

    private static byte[] Payload()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < LineCount; i++)
        {
            string line = (i % 50) switch
            {
                0 => "# comment line",
                1 => string.Create(CultureInfo.InvariantCulture, $"meter,site=casa\\ aero,meter=m-{i:D4} energy_import_kwh={i}.5,note=\"a \\\"quoted\\\" note\" 1764000000000000000"),
                2 => "meter,site=casa-aero,meter=bad power_kw=abc 1764000000000000000", // an error, not formatted by the handler
                3 => string.Create(CultureInfo.InvariantCulture, $"edge_status,site=casa-aero,agent=gw-1 buffer_records={i}i,dropped_total={i}u,online=true"),
                _ => string.Create(CultureInfo.InvariantCulture,
                    $"meter,site=casa-aero,meter=m-{i % 500:D3} energy_import_kwh={123456 + (i * 0.25)},power_kw={i % 97}.25,pf=0.9{i % 10} {1764000000000000000L + (i * 1_000_000_000L)}"),
            };
            sb.Append(line).Append(i % 7 == 0 ? "\r\n" : "\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private struct SummingHandler : ILineProtocolHandler
    {
        public long Points;
        public long Errors;
        public double Sum;

        public void OnPoint(in LineProtocolPoint point)
        {
            Points++;
            if (point.Tags.TryGetValue("meter"u8, out var meter))
            {
                Sum += meter.RawValue.Length;
            }

            foreach (var field in point.Fields)
            {
                if (field.TryGetNumber(out double value))
                {
                    Sum += value;
                }
            }

            Sum += point.Timestamp & 1;
        }

        public void OnError(in LineProtocolSyntaxError syntaxError)
        {
            Errors++;
            Sum += syntaxError.Column;
        }
    }

    [Fact]
    public void Span_api_allocates_nothing_for_10000_lines_after_warm_up()
    {
        byte[] payload = Payload();
        var parser = new LineProtocolParser();
        var handler = new SummingHandler();
        for (int i = 0; i < 20; i++)
        {
            parser.Reset();
            parser.Parse(payload, ref handler);
        }

        handler = default;
        parser.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        parser.Parse(payload, ref handler);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(LineCount - (LineCount / 50 * 2), handler.Points);
        Assert.Equal(LineCount / 50, handler.Errors);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Sequence_api_fed_like_a_pipe_allocates_nothing_for_10000_lines_after_warm_up()
    {
        byte[] payload = Payload();

        // 4 KiB segments, delivered one more segment per call with the unconsumed rest kept, as a PipeReader does:
        // lines that straddle segments go through the parser's reusable copy buffer.
        var chunks = new List<byte[]>();
        for (int offset = 0; offset < payload.Length; offset += 4096)
        {
            chunks.Add(payload[offset..Math.Min(offset + 4096, payload.Length)]);
        }

        var whole = TestSupport.Sequence([.. chunks]);
        var parser = new LineProtocolParser();
        var handler = new SummingHandler();
        for (int i = 0; i < 20; i++)
        {
            parser.Reset();
            Feed(parser, whole, ref handler);
        }

        handler = default;
        parser.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Feed(parser, whole, ref handler);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(LineCount - (LineCount / 50 * 2), handler.Points);
        Assert.Equal(LineCount / 50, handler.Errors);
        Assert.Equal(0, allocated);
    }

    private static void Feed(LineProtocolParser parser, ReadOnlySequence<byte> whole, ref SummingHandler handler)
    {
        SequencePosition start = whole.Start;
        for (long end = 4096; ; end += 4096)
        {
            bool final = end >= whole.Length;
            var buffer = whole.Slice(start, whole.GetPosition(Math.Min(end, whole.Length)));
            start = parser.Parse(buffer, final, ref handler);
            if (final)
            {
                return;
            }
        }
    }
}
