using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Monitoring.LineProtocol.Benchmarks;

/// <summary>
/// Parsing 10 000 meter lines per invocation; <c>OperationsPerInvoke</c> makes every figure per line: Mean is the
/// time per line, Op/s the lines per second on one core, Allocated the bytes per line.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(LinesPerSecondConfig))]
public class LineProtocolParserBenchmarks
{
    public const int Lines = 10_000;

    private readonly LineProtocolParser _parser = new();
    private readonly LineProtocolBodyReader _reader = new();
    private readonly CountingHandler _countingHandler = new();
    private byte[] _payload = [];
    private ReadOnlySequence<byte> _segmented;

    [GlobalSetup]
    public void Setup()
    {
        _payload = MeterPayload.Build(Lines);
        _segmented = MeterPayload.Segment(_payload, 4096);
        var check = LineProtocolParser.ParseAll(_payload);
        if (check.Lines.Count != Lines || check.Errors.Count != 0)
        {
            throw new InvalidOperationException("the benchmark payload must be 10 000 valid lines");
        }
    }

    /// <summary>The whole body as one span: the parser's floor.</summary>
    [Benchmark(OperationsPerInvoke = Lines, Baseline = true)]
    public double Span()
    {
        _parser.Reset();
        var handler = new ReadingHandler();
        _parser.Parse(_payload, ref handler);
        return handler.Checksum;
    }

    /// <summary>4 KiB segments handed over one more at a time with the unconsumed rest, as a PipeReader does.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public double SequenceLikeAPipe()
    {
        _parser.Reset();
        var handler = new ReadingHandler();
        var whole = _segmented;
        SequencePosition start = whole.Start;
        for (long end = 4096; ; end += 4096)
        {
            bool final = end >= whole.Length;
            var buffer = whole.Slice(start, whole.GetPosition(Math.Min(end, whole.Length)));
            start = _parser.Parse(buffer, final, ref handler);
            if (final)
            {
                return handler.Checksum;
            }
        }
    }

    /// <summary>The request path: a Stream body through <see cref="LineProtocolBodyReader"/> (PipeReader, counts, error list).</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public async Task<long> BodyReaderOverStream()
    {
        using var body = new MemoryStream(_payload, writable: false);
        var result = await _reader.ReadAsync(body, _countingHandler, LineProtocolPrecision.Nanoseconds, 0).ConfigureAwait(false);
        return result.Accepted;
    }

    /// <summary>The allocating model (tests and slow paths), for contrast.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseAllAllocating() => LineProtocolParser.ParseAll(_payload).Lines.Count;

    /// <summary>What ingestion does with a line: find site and meter, read every number and the timestamp.</summary>
    private struct ReadingHandler : ILineProtocolHandler
    {
        public double Checksum;

        public void OnPoint(in LineProtocolPoint point)
        {
            var tags = point.Tags;
            if (tags.TryGetValue("site"u8, out var site) && tags.TryGetValue("meter"u8, out var meter))
            {
                Checksum += site.RawValue.Length + meter.RawValue[^1];
            }

            foreach (var field in point.Fields)
            {
                if (field.TryGetNumber(out double value))
                {
                    Checksum += value;
                }
            }

            Checksum += point.Timestamp & 0xFF;
        }

        public void OnError(in LineProtocolSyntaxError syntaxError) => Checksum = double.NaN;
    }

    private sealed class CountingHandler : ILineProtocolHandler
    {
        public long Points;

        public void OnPoint(in LineProtocolPoint point) => Points++;

        public void OnError(in LineProtocolSyntaxError syntaxError)
        {
        }
    }
}

/// <summary>Adds Op/s (lines per second, given OperationsPerInvoke = lines).</summary>
public sealed class LinesPerSecondConfig : ManualConfig
{
    public LinesPerSecondConfig() => AddColumn(StatisticColumn.OperationsPerSecond);
}

/// <summary>Seeded, realistic meter lines: 5 sites, 500 meters, the core electrical fields, 1 s apart.</summary>
internal static class MeterPayload
{
    private static readonly string[] Sites = ["casa-aero", "tanger-auto", "kenitra-cables", "rabat-pharma", "agadir-agro"];

    public static byte[] Build(int lines)
    {
        var random = new Random(20251124);
        var sb = new StringBuilder(lines * 120);
        long timestamp = 1_764_000_000_000_000_000;
        for (int i = 0; i < lines; i++)
        {
            int meter = i % 500;
            double energy = 100_000 + (meter * 1_000) + (i * 0.125);
            double power = Math.Round(random.NextDouble() * 400, 2);
            double pf = Math.Round(0.8 + (random.NextDouble() * 0.2), 2);
            sb.Append(CultureInfo.InvariantCulture,
                $"meter,site={Sites[meter % Sites.Length]},meter=m-{meter:D3} energy_import_kwh={energy},power_kw={power},pf={pf} {timestamp + (i / 500 * 1_000_000_000L)}\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static ReadOnlySequence<byte> Segment(byte[] payload, int size)
    {
        Chunk? first = null;
        Chunk? last = null;
        for (int offset = 0; offset < payload.Length; offset += size)
        {
            var memory = payload.AsMemory(offset, Math.Min(size, payload.Length - offset));
            last = last is null ? first = new Chunk(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
