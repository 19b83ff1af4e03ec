using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Monitoring.LineProtocol.Tests;

/// <summary>
/// Bounded fuzzing from a fixed seed: 1 000 000 lines by default (about 10 s), <c>MONITORING_FUZZ_LINES=10000000</c> for a longer run.
/// No exception may escape; every rejected line has a reason and a column inside the line; generated valid lines
/// parse to what was generated; every accepted line survives a write-back/re-parse round trip; every float equals
/// what <see cref="double.Parse(string, NumberStyles, IFormatProvider?)"/> makes of its text; and the same lines
/// fed as one body through the sequence API in random chunks give the same outcomes.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const long DefaultTimestamp = 1_764_000_000_000_000_000;

    [Fact]
    public void Random_and_mutated_lines_never_throw_and_every_rejection_has_a_reason()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("MONITORING_FUZZ_LINES"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : 1_000_000;
        var fuzzer = new LineFuzzer(seed: 20251124);
        var chunking = new Random(7);
        var parser = new LineProtocolParser { DefaultTimestamp = DefaultTimestamp };
        var reparser = new LineProtocolParser();
        var kinds = new Dictionary<LineProtocolErrorKind, int>();
        long accepted = 0, rejected = 0, skipped = 0, generatedValid = 0, bodies = 0;
        var batch = new List<(byte[] Line, string Outcome)>();
        var stopwatch = Stopwatch.StartNew();

        for (int i = 0; i < count; i++)
        {
            var (line, expected, precision) = fuzzer.Next(DefaultTimestamp);
            parser.Precision = precision;
            string outcome;
            LineParseStatus status;
            try
            {
                status = parser.ParseLine(line, batch.Count + 1, out var point, out var error);
                switch (status)
                {
                    case LineParseStatus.Point:
                        accepted++;
                        var parsed = point.ToParsedLine();
                        outcome = "ok " + TestSupport.Describe(parsed);
                        if (expected is not null)
                        {
                            generatedValid++;
                            Assert.Equal(expected, TestSupport.Describe(parsed));
                        }

                        foreach (var field in point.Fields)
                        {
                            if (field.Kind == LineProtocolFieldKind.Float)
                            {
                                double reference = double.Parse(Encoding.UTF8.GetString(field.RawValue), NumberStyles.Float, CultureInfo.InvariantCulture);
                                Assert.Equal(BitConverter.DoubleToInt64Bits(reference), BitConverter.DoubleToInt64Bits(field.FloatValue));
                            }
                        }

                        CheckRoundTrip(reparser, parsed);
                        break;
                    case LineParseStatus.Error:
                        rejected++;
                        string reason = error.FormatReason();
                        Assert.False(string.IsNullOrWhiteSpace(reason));
                        Assert.InRange(error.Column, 1, line.Length + 1);
                        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"line {batch.Count + 1}, column {error.Column}: "), error.ToString());
                        Assert.True(expected is null, $"generated valid line rejected: {error.ToString()} in «{Encoding.UTF8.GetString(line)}»");
                        kinds[error.Kind] = kinds.GetValueOrDefault(error.Kind) + 1;
                        outcome = "error " + error.ToString();
                        break;
                    default:
                        skipped++;
                        Assert.Null(expected);
                        var trimmed = Encoding.UTF8.GetString(line).TrimStart(' ', '\t');
                        Assert.True(trimmed.Length == 0 || trimmed[0] == '#' || trimmed == "\r", $"skipped «{trimmed}»");
                        outcome = "skip";
                        break;
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"exception on line «{Convert.ToHexString(line)}»: {e}");
                throw;
            }

            batch.Add((line, outcome));
            if (batch.Count == 1000 || i == count - 1)
            {
                if (bodies++ % 10 == 0)
                {
                    CheckBodyThroughSequences(batch, chunking);
                }

                batch.Clear();
            }
        }

        stopwatch.Stop();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} lines in {stopwatch.Elapsed.TotalSeconds:F1} s: {accepted} accepted ({generatedValid} generated valid and checked), {rejected} rejected, {skipped} skipped, 0 exceptions"));
        foreach (var (kind, number) in kinds.OrderByDescending(k => k.Value))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kind}: {number}"));
        }

        Assert.True(accepted > count / 3);
        Assert.True(rejected > count / 5);
    }

    private static void CheckRoundTrip(LineProtocolParser reparser, ParsedLine parsed)
    {
        reparser.DefaultTimestamp = parsed.Timestamp;
        byte[] written = Encoding.UTF8.GetBytes(parsed.ToLineProtocol());
        var status = reparser.ParseLine(written, out var again, out var error);
        Assert.True(status == LineParseStatus.Point, $"round trip of «{parsed.ToLineProtocol()}»: {(status == LineParseStatus.Error ? error.ToString() : status.ToString())}");
        Assert.Equal(TestSupport.Describe(parsed), TestSupport.Describe(again.ToParsedLine()));
    }

    /// <summary>The batch as one body, fed in random chunks, must give the per-line outcomes (precision: ns).</summary>
    private static void CheckBodyThroughSequences(List<(byte[] Line, string Outcome)> batch, Random chunking)
    {
        // Per-line outcomes again with nanosecond precision (the batch mixed precisions).
        var single = new LineProtocolParser { DefaultTimestamp = DefaultTimestamp };
        var expected = new List<string>();
        var body = new List<byte>();
        for (int i = 0; i < batch.Count; i++)
        {
            var status = single.ParseLine(batch[i].Line, i + 1, out var point, out var error);
            if (status == LineParseStatus.Point)
            {
                expected.Add("ok " + (i + 1).ToString(CultureInfo.InvariantCulture) + ": " + TestSupport.Describe(point.ToParsedLine()));
            }
            else if (status == LineParseStatus.Error)
            {
                expected.Add("error " + error.ToString());
            }

            body.AddRange(batch[i].Line);
            body.Add((byte)'\n');
        }

        byte[] payload = [.. body];
        var offsets = Enumerable.Range(0, chunking.Next(1, 200)).Select(_ => chunking.Next(0, payload.Length + 1)).Order().ToArray();
        var parser = new LineProtocolParser { DefaultTimestamp = DefaultTimestamp };
        var handler = new CollectingHandler();
        TestSupport.FeedLikeAPipe(parser, TestSupport.Split(payload, offsets), ref handler);
        var actual = TestSupport.Outcomes(handler.Result);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
