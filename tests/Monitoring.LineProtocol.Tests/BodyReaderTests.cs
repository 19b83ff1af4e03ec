using System.IO.Pipelines;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Monitoring.LineProtocol.Tests;

public sealed class BodyReaderTests(ITestOutputHelper output)
{
    private static string Lines(int count, Func<int, string> line) =>
        string.Concat(Enumerable.Range(1, count).Select(i => line(i) + "\n"));

    [Fact]
    public async Task Reads_a_stream_body_counts_accepted_lines_and_reports_errors_with_line_numbers()
    {
        string body =
            "# header\r\n" +
            "meter,site=s1,meter=m1 power_kw=1.5 1764000000\r\n" +
            "meter,site=s1,meter=m2 power_kw=1,5 1764000000\r\n" +
            "\r\n" +
            "meter,site=s1,meter=m3 power_kw=2.5\r\n" +
            "meter,site=s1 meter=m4 power_kw=3 1764000000\r\n" +
            "meter,site=s1,meter=m5 power_kw=4i 1764000000";
        var reader = new LineProtocolBodyReader();
        var handler = new CollectingHandler();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));

        var result = await reader.ReadAsync(stream, handler, LineProtocolPrecision.Seconds, defaultTimestamp: 7);

        Assert.Equal(LineProtocolBodyStatus.Complete, result.Status);
        Assert.Null(result.BodyError);
        Assert.Equal(3, result.Accepted);
        Assert.Equal(2, result.Rejected);
        Assert.Equal(7, result.Lines);
        Assert.Equal(stream.Length, result.BytesRead);
        Assert.False(result.ErrorsTruncated);
        Assert.Equal(
            [
                "line 3, column 36: missing '=' after field key '5'",
                "line 6, column 21: invalid field value 'm4': expected a number, integer (i), unsigned (u), boolean or \"string\"",
            ],
            result.Errors.Select(e => e.Message));
        Assert.Equal([2L, 5L, 7L], handler.Lines.Select(l => l.LineNumber));
        Assert.Equal(1_764_000_000_000_000_000L, handler.Lines[0].Timestamp);
        Assert.Equal(7L, handler.Lines[1].Timestamp);
        Assert.Equal(4L, handler.Lines[2].Fields[0].Value);
        Assert.Equal(2, handler.Errors.Count); // the caller's handler sees every error too
    }

    [Fact]
    public async Task Error_list_is_capped_but_every_rejected_line_is_counted()
    {
        string body = Lines(1000, i => i % 2 == 0 ? $"m f={i}" : $"m f=x{i}");
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxErrors = 10 });
        var result = await reader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0);

        Assert.Equal(500, result.Accepted);
        Assert.Equal(500, result.Rejected);
        Assert.Equal(10, result.Errors.Count);
        Assert.True(result.ErrorsTruncated);
        Assert.Equal("line 1, column 5: invalid field value 'x1': expected a number, integer (i), unsigned (u), boolean or \"string\"", result.Errors[0].Message);
        Assert.Equal(19, result.Errors[^1].Line);
    }

    [Fact]
    public async Task Body_larger_than_the_limit_is_cut_after_the_last_complete_line_within_it()
    {
        // 10 lines of 10 bytes ("m f=1000i\n"); the limit falls inside line 4.
        string body = Lines(10, i => $"m f={1000 + i}i"[..9]);
        Assert.Equal(100, body.Length);
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = 35 });
        var handler = new CollectingHandler();
        var result = await reader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), handler, LineProtocolPrecision.Nanoseconds, 0);

        Assert.Equal(LineProtocolBodyStatus.BodyTooLarge, result.Status);
        Assert.Equal(3, result.Accepted);
        Assert.Equal(30, result.BytesRead);
        Assert.Equal("request body larger than 35 bytes: read stopped after line 3", result.BodyError);
    }

    [Fact]
    public async Task Body_exactly_at_the_limit_is_complete()
    {
        string body = Lines(10, _ => "m f=1000i");
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = body.Length });
        var result = await reader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0);
        Assert.Equal(LineProtocolBodyStatus.Complete, result.Status);
        Assert.Equal(10, result.Accepted);
    }

    [Fact]
    public async Task Overlong_line_is_reported_and_skipped_while_the_writer_is_held_to_a_small_pipe()
    {
        // The pipe pauses its writer beyond 512 unconsumed bytes: the read only completes if the reader keeps
        // consuming the 1 MB line instead of buffering it.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 512, resumeWriterThreshold: 256, minimumSegmentSize: 64));
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxLineLength = 200 });
        var handler = new CollectingHandler();
        var reading = reader.ReadAsync(pipe.Reader, handler, LineProtocolPrecision.Nanoseconds, 0).AsTask();

        await pipe.Writer.WriteAsync("m f=1\n"u8.ToArray());
        byte[] chunk = Encoding.UTF8.GetBytes(new string('x', 100));
        await pipe.Writer.WriteAsync("m s=\""u8.ToArray());
        for (int i = 0; i < 10_000; i++)
        {
            await pipe.Writer.WriteAsync(chunk);
        }

        await pipe.Writer.WriteAsync("\"\nm f=2\nm f=\"short enough\"\n"u8.ToArray());
        await pipe.Writer.CompleteAsync();
        var result = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, result.Accepted);
        Assert.Equal("line 2, column 201: line too long: more than 200 bytes", Assert.Single(result.Errors).Message);
        Assert.Equal([1L, 3L, 4L], handler.Lines.Select(l => l.LineNumber));
    }

    [Fact]
    public async Task Overlong_last_line_without_newline_is_reported()
    {
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxLineLength = 10 });
        var result = await reader.ReadAsync(new MemoryStream("m f=1\nm f=12345678"u8.ToArray()), new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0);
        Assert.Equal(1, result.Accepted);
        Assert.Equal("line 2, column 11: line too long: more than 10 bytes", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public async Task Line_of_exactly_the_maximum_length_is_accepted()
    {
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxLineLength = 10 });
        var result = await reader.ReadAsync(new MemoryStream("m f=123456\nm f=123456"u8.ToArray()), new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0);
        Assert.Equal(2, result.Accepted);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Reader_is_reusable_across_bodies()
    {
        var reader = new LineProtocolBodyReader();
        for (int round = 0; round < 3; round++)
        {
            var result = await reader.ReadAsync(new MemoryStream("m f=1\nm f=x\n"u8.ToArray()), new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0);
            Assert.Equal(1, result.Accepted);
            Assert.Equal("line 2, column 5: invalid field value 'x': expected a number, integer (i), unsigned (u), boolean or \"string\"", Assert.Single(result.Errors).Message);
        }
    }

    [Fact]
    public void Allocation_per_body_does_not_grow_with_the_number_of_lines()
    {
        var reader = new LineProtocolBodyReader();
        var handler = new CountingHandler();
        long small = AllocatedForOneBody(reader, handler, Encoding.UTF8.GetBytes(Lines(100, i => $"meter,site=s1,meter=m-{i % 50} power_kw={i}.5,pf=0.9 {i}")));
        long large = AllocatedForOneBody(reader, handler, Encoding.UTF8.GetBytes(Lines(10_000, i => $"meter,site=s1,meter=m-{i % 50} power_kw={i}.5,pf=0.9 {i}")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated per body: {small} B for 100 lines, {large} B for 10 000 lines"));
        Assert.InRange(small, 1, 4096); // the pipe reader, the result and its empty error list
        Assert.InRange(large - small, -256, 256);
    }

    private static long AllocatedForOneBody(LineProtocolBodyReader reader, CountingHandler handler, byte[] payload)
    {
        for (int i = 0; i < 10; i++)
        {
            Read();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        Read();
        return GC.GetAllocatedBytesForCurrentThread() - before;

        void Read()
        {
            using var body = new MemoryStream(payload, writable: false);
            var reading = reader.ReadAsync(body, handler, LineProtocolPrecision.Nanoseconds, 0);
            Assert.True(reading.IsCompleted); // a MemoryStream completes every read synchronously: all on this thread
            Assert.Equal(0, reading.Result.Rejected);
        }
    }

    private sealed class CountingHandler : ILineProtocolHandler
    {
        public long Points { get; private set; }

        public void OnPoint(in LineProtocolPoint point) => Points++;

        public void OnError(in LineProtocolSyntaxError syntaxError)
        {
        }
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxLineLength = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxErrors = -1 }));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        var pipe = new Pipe();
        using var cts = new CancellationTokenSource();
        var reading = new LineProtocolBodyReader().ReadAsync(pipe.Reader, new CollectingHandler(), LineProtocolPrecision.Nanoseconds, 0, cts.Token).AsTask();
        await pipe.Writer.WriteAsync("m f=1\n"u8.ToArray());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }
}
