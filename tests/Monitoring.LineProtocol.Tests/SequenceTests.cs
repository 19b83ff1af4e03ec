using System.Buffers;
using System.Text;

namespace Monitoring.LineProtocol.Tests;

/// <summary>
/// The same payload, however it is cut into buffer segments, gives the same points and errors as the whole body
/// parsed as one span.
/// </summary>
public sealed class SequenceTests
{
    // Valid and invalid lines, comments, blank lines, CRLF, escapes, UTF-8, and no newline at the end.
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        "# energy meters\n" +
        "meter,site=casa-aero,meter=m-001 energy_import_kwh=123456.5,power_kw=12.25,pf=0.92 1764000000000000000\n" +
        "\n" +
        "meter,site=casa-aero,meter=m-002 energy_import_kwh=99.5,power_kw=abc 1764000000000000000\r\n" +
        "water,site=casa\\ aero,meter=w\\,1 volume_m3=12i,flow_m3h=0.5 1764000000000000000\r\n" +
        "   \n" +
        "edge_status,site=s1,agent=gw-1 buffer_records=0u,ok=true,note=\"say \\\"hi\\\" é🚀\"\n" +
        "m f=1 123 456\n" +
        "m,t=a\\ b f=1e3,g=-1.5E-3,h=.5\n" +
        "\r\n" +
        "m f=\"unterminated\n" +
        "m f=1i 1764000000000000001");

    private static List<string> Baseline()
    {
        var result = LineProtocolParser.ParseAll(Payload);
        var outcomes = TestSupport.Outcomes(result);
        Assert.Equal(8, result.Lines.Count + result.Errors.Count); // sanity: every non-blank line reported
        return outcomes;
    }

    [Fact]
    public void Baseline_numbers_lines_and_reports_errors_in_place()
    {
        var outcomes = Baseline();
        Assert.Equal(
            [
                "ok 2: 'meter' ['site'='casa-aero', 'meter'='m-001'] ['energy_import_kwh'=123456.5, 'power_kw'=12.25, 'pf'=0.92] 1764000000000000000",
                "error line 4, column 66: invalid field value 'abc': expected a number, integer (i), unsigned (u), boolean or \"string\"",
                "ok 5: 'water' ['site'='casa aero', 'meter'='w,1'] ['volume_m3'=12i, 'flow_m3h'=0.5] 1764000000000000000",
                "ok 7: 'edge_status' ['site'='s1', 'agent'='gw-1'] ['buffer_records'=0u, 'ok'=true, 'note'=\"say \"hi\" é🚀\"] default(0)",
                "error line 8, column 11: unexpected text '456' after the timestamp",
                "ok 9: 'm' ['t'='a b'] ['f'=1000, 'g'=-0.0015, 'h'=0.5] default(0)",
                "error line 11, column 5: unterminated string value for field 'f': missing closing '\"'",
                "ok 12: 'm' [] ['f'=1i] 1764000000000000001",
            ],
            outcomes);
    }

    [Fact]
    public void Split_at_every_byte_offset_into_two_segments_gives_identical_results()
    {
        var expected = Baseline();
        for (int offset = 0; offset <= Payload.Length; offset++)
        {
            var parser = new LineProtocolParser();
            var handler = new CollectingHandler();
            var buffer = TestSupport.Sequence(Payload[..offset], Payload[offset..]);
            var consumed = parser.Parse(buffer, isFinalBlock: true, ref handler);
            Assert.Equal(buffer.End, consumed);
            Assert.True(expected.SequenceEqual(TestSupport.Outcomes(handler.Result)), $"split at {offset}");
        }
    }

    [Fact]
    public void Delivered_in_two_reads_split_at_every_byte_offset_gives_identical_results()
    {
        var expected = Baseline();
        for (int offset = 0; offset <= Payload.Length; offset++)
        {
            var parser = new LineProtocolParser();
            var handler = new CollectingHandler();
            TestSupport.FeedLikeAPipe(parser, TestSupport.Split(Payload, offset), ref handler);
            Assert.True(expected.SequenceEqual(TestSupport.Outcomes(handler.Result)), $"split at {offset}");
        }
    }

    [Fact]
    public void Split_at_every_pair_of_offsets_into_three_segments_gives_identical_results()
    {
        var expected = Baseline();
        for (int i = 0; i <= Payload.Length; i++)
        {
            for (int j = i; j <= Payload.Length; j += 3)
            {
                var parser = new LineProtocolParser();
                var handler = new CollectingHandler();
                var buffer = TestSupport.Sequence(Payload[..i], Payload[i..j], Payload[j..]);
                parser.Parse(buffer, isFinalBlock: true, ref handler);
                Assert.True(expected.SequenceEqual(TestSupport.Outcomes(handler.Result)), $"split at {i} and {j}");
            }
        }
    }

    [Fact]
    public void Delivered_one_byte_at_a_time_gives_identical_results()
    {
        var expected = Baseline();
        var parser = new LineProtocolParser();
        var handler = new CollectingHandler();
        TestSupport.FeedLikeAPipe(parser, Payload.Select(b => new[] { b }).ToList(), ref handler);
        Assert.Equal(expected, TestSupport.Outcomes(handler.Result));
    }

    [Fact]
    public void Random_chunking_gives_identical_results()
    {
        var expected = Baseline();
        var random = new Random(20251124);
        for (int round = 0; round < 500; round++)
        {
            var offsets = Enumerable.Range(0, random.Next(1, 20)).Select(_ => random.Next(0, Payload.Length + 1)).Order().ToArray();
            var parser = new LineProtocolParser();
            var handler = new CollectingHandler();
            TestSupport.FeedLikeAPipe(parser, TestSupport.Split(Payload, offsets), ref handler);
            Assert.True(expected.SequenceEqual(TestSupport.Outcomes(handler.Result)), $"offsets {string.Join(',', offsets)}");
        }
    }

    [Fact]
    public void Only_complete_lines_are_consumed_when_more_data_may_follow()
    {
        var parser = new LineProtocolParser();
        var handler = new CollectingHandler();
        var buffer = TestSupport.Sequence("m f=1\nm f="u8.ToArray(), "2"u8.ToArray());
        var consumed = parser.Parse(buffer, isFinalBlock: false, ref handler);
        Assert.Equal(6, buffer.Slice(0, consumed).Length);
        Assert.Single(handler.Lines);

        // The caller hands back the unconsumed rest plus what arrived since.
        var rest = TestSupport.Sequence("m f="u8.ToArray(), "2 5\n"u8.ToArray());
        consumed = parser.Parse(rest, isFinalBlock: false, ref handler);
        Assert.Equal(rest.End, consumed);
        Assert.Equal(2, handler.Lines.Count);
        Assert.Equal(2L, handler.Lines[1].LineNumber);
        Assert.Equal(5L, handler.Lines[1].Timestamp);
    }

    [Fact]
    public void Whole_body_span_and_sequence_apis_agree_on_line_numbers_after_reset()
    {
        var parser = new LineProtocolParser();
        var first = new CollectingHandler();
        parser.Parse(Payload, ref first);
        Assert.Equal(12, parser.LineNumber);
        parser.Reset();
        var second = new CollectingHandler();
        parser.Parse(new ReadOnlySequence<byte>(Payload), isFinalBlock: true, ref second);
        Assert.Equal(TestSupport.Outcomes(first.Result), TestSupport.Outcomes(second.Result));
    }
}
