using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Server.Demo;

/// <summary>What the history import did.</summary>
/// <param name="GroundTruth">Per site, the simulator's ground-truth CSV of the period (<c>site,date,kind,id,quantity,value</c>).</param>
internal sealed record HistoryResult(long Lines, long Bytes, int Writes, int PartialWrites, TimeSpan Elapsed, IReadOnlyDictionary<string, string> GroundTruth);

/// <summary>
/// Imports the plants' history as a backfill client would: each plant's simulator generates its readings (one per
/// meter every <see cref="Interval"/>) on its own thread, and the lines of every plant are merged into one write per
/// slice of time (<see cref="Slice"/>) and posted, one after the other, to the server's InfluxDB v2 write API. Merging
/// keeps the plants in step, so the aggregation core's watermark never runs ahead of one plant.
/// </summary>
internal sealed class HistoryFeeder(HttpClient http, string token)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);

    public static readonly TimeSpan Slice = TimeSpan.FromDays(1);

    /// <param name="afterWrite">Called after each write with the end of the slice written (the import's progress).</param>
    public async Task<HistoryResult> RunAsync(
        IReadOnlyList<Scenario> scenarios, DateTimeOffset from, DateTimeOffset to, Func<DateTimeOffset, Task> afterWrite, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var plants = scenarios.Select(s => new PlantLines(s, from < s.Epoch ? s.Epoch : from, to)).ToArray();
        var body = new ArrayBufferWriter<byte>(1 << 20);
        long lines = 0, bytes = 0;
        int writes = 0, partial = 0;
        try
        {
            for (var cut = from + Slice; ; cut += Slice)
            {
                var last = cut > to;
                body.ResetWrittenCount();
                foreach (var plant in plants)
                {
                    lines += await plant.TakeBeforeAsync(last ? long.MaxValue : ToNanoseconds(cut), body, cancellationToken).ConfigureAwait(false);
                }

                if (body.WrittenCount > 0)
                {
                    partial += await PostAsync(body.WrittenMemory, cancellationToken).ConfigureAwait(false) ? 0 : 1;
                    bytes += body.WrittenCount;
                    writes++;
                }

                await afterWrite(last ? to : cut).ConfigureAwait(false);
                if (last)
                {
                    break;
                }
            }

            var truth = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var plant in plants)
            {
                truth[plant.Site] = await plant.Completion.ConfigureAwait(false);
            }

            return new HistoryResult(lines, bytes, writes, partial, started.Elapsed, truth);
        }
        finally
        {
            foreach (var plant in plants)
            {
                plant.Dispose();
            }
        }
    }

    private static long ToNanoseconds(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>Posts one write; retries while the server is busy (503). False when the server kept only part of it (400).</summary>
    private async Task<bool> PostAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?org=demo&bucket=demo&precision=ns") { Content = new ReadOnlyMemoryContent(lines) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NoContent:
                    return true;
                case HttpStatusCode.BadRequest:
                    return false;
                case HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests:
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new HttpRequestException(
                        $"history import: the write API answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}",
                        null, response.StatusCode);
            }
        }
    }

    /// <summary>
    /// One plant's generator on a thread of its own, writing into a bounded channel of chunks; the reader takes whole
    /// lines in timestamp order up to a cut.
    /// </summary>
    private sealed class PlantLines : IDisposable
    {
        private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        private readonly CancellationTokenSource _abandon = new();
        private byte[] _pending = new byte[2 << 20];
        private int _start;
        private int _end;

        public PlantLines(Scenario scenario, DateTimeOffset from, DateTimeOffset to)
        {
            Site = scenario.Site.Id;
            Completion = Task.Factory.StartNew(
                () =>
                {
                    using var truth = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
                    try
                    {
                        using var stream = new ChannelStream(_chunks.Writer, _abandon.Token);
                        Generator.Run(scenario, new GenerateOptions(from, to, Interval), stream, truth);
                        _chunks.Writer.TryComplete();
                    }
                    catch (Exception ex)
                    {
                        _chunks.Writer.TryComplete(ex);
                        throw;
                    }

                    return truth.ToString();
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        public string Site { get; }

        /// <summary>The ground truth of the period, once the generator is done.</summary>
        public Task<string> Completion { get; }

        /// <summary>Appends to <paramref name="body"/> every line stamped before <paramref name="cutNs"/>; returns how many.</summary>
        public async Task<long> TakeBeforeAsync(long cutNs, IBufferWriter<byte> body, CancellationToken cancellationToken)
        {
            long taken = 0;
            while (!TakeBuffered(cutNs, body, ref taken))
            {
                if (!await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    break; // the generator is done and every whole line is taken
                }

                while (_chunks.Reader.TryRead(out var chunk))
                {
                    Append(chunk);
                }
            }

            return taken;
        }

        /// <summary>Stops the generator if it is still running (the import failed or was cancelled).</summary>
        public void Dispose()
        {
            _abandon.Cancel();
            _chunks.Writer.TryComplete();
            _abandon.Dispose();
        }

        /// <summary>Moves the buffered whole lines before the cut to <paramref name="body"/>; true when a line at or after the cut was reached.</summary>
        private bool TakeBuffered(long cutNs, IBufferWriter<byte> body, ref long taken)
        {
            var pending = _pending.AsSpan(_start, _end - _start);
            var consumed = 0;
            var reachedCut = false;
            while (pending[consumed..].IndexOf((byte)'\n') is var newline and >= 0)
            {
                if (Timestamp(pending.Slice(consumed, newline)) >= cutNs)
                {
                    reachedCut = true;
                    break;
                }

                consumed += newline + 1;
                taken++;
            }

            body.Write(pending[..consumed]);
            _start += consumed;
            return reachedCut;
        }

        private void Append(byte[] chunk)
        {
            var length = _end - _start;
            if (_end + chunk.Length > _pending.Length)
            {
                var target = length + chunk.Length > _pending.Length ? new byte[Math.Max(_pending.Length * 2, length + chunk.Length)] : _pending;
                _pending.AsSpan(_start, length).CopyTo(target);
                (_pending, _start, _end) = (target, 0, length);
            }

            chunk.CopyTo(_pending, _end);
            _end += chunk.Length;
        }

        /// <summary>The line's timestamp: the digits after its last space.</summary>
        private static long Timestamp(ReadOnlySpan<byte> line)
        {
            var space = line.LastIndexOf((byte)' ');
            return Utf8Parser.TryParse(line[(space + 1)..], out long value, out _) ? value : long.MaxValue;
        }
    }

    /// <summary>A write-only stream that hands each write to a bounded channel (blocking the generator's thread while it is full).</summary>
    private sealed class ChannelStream(ChannelWriter<byte[]> writer, CancellationToken abandon) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return;
            }

            var chunk = buffer.ToArray();
            if (!writer.TryWrite(chunk))
            {
                writer.WriteAsync(chunk, abandon).AsTask().GetAwaiter().GetResult();
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
