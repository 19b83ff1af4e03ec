using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;

namespace Monitoring.LineProtocol;

/// <summary>Limits of <see cref="LineProtocolBodyReader"/>.</summary>
public sealed class LineProtocolReaderOptions
{
    /// <summary>Default <see cref="MaxBodyBytes"/>: 25 000 000 bytes, InfluxDB 1.x's <c>max-body-size</c>.</summary>
    public const long DefaultMaxBodyBytes = 25_000_000;

    /// <summary>Default <see cref="MaxErrors"/>.</summary>
    public const int DefaultMaxErrors = 100;

    /// <summary>Largest body read, in bytes (decoded, i.e. after any content decoding the caller applied).</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Longest line in bytes (see <see cref="LineProtocolParser.MaxLineLength"/>).</summary>
    public int MaxLineLength { get; init; } = LineProtocolParser.DefaultMaxLineLength;

    /// <summary>How many errors are kept with their message; the rest are only counted.</summary>
    public int MaxErrors { get; init; } = DefaultMaxErrors;

    /// <summary>Throws when a limit is not positive (MaxErrors may be 0).</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBodyBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxLineLength);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxErrors);
    }
}

/// <summary>How the reading of a body ended.</summary>
public enum LineProtocolBodyStatus
{
    /// <summary>The whole body was read.</summary>
    Complete,

    /// <summary>
    /// The body is larger than <see cref="LineProtocolReaderOptions.MaxBodyBytes"/>: the complete lines within the
    /// limit were parsed (and delivered), the rest was not read.
    /// </summary>
    BodyTooLarge,
}

/// <summary>What happened to a body.</summary>
public sealed class LineProtocolReadResult(
    LineProtocolBodyStatus status,
    long accepted,
    long rejected,
    long lines,
    long bytesRead,
    IReadOnlyList<LineProtocolError> errors,
    string? bodyError)
{
    /// <summary>Complete or stopped at the size limit.</summary>
    public LineProtocolBodyStatus Status { get; } = status;

    /// <summary>Valid lines delivered to the handler.</summary>
    public long Accepted { get; } = accepted;

    /// <summary>Rejected lines (all of them, including those beyond <see cref="Errors"/>).</summary>
    public long Rejected { get; } = rejected;

    /// <summary>Lines seen, comments and blank lines included.</summary>
    public long Lines { get; } = lines;

    /// <summary>Bytes consumed from the body.</summary>
    public long BytesRead { get; } = bytesRead;

    /// <summary>The first <see cref="LineProtocolReaderOptions.MaxErrors"/> errors, in line order.</summary>
    public IReadOnlyList<LineProtocolError> Errors { get; } = errors;

    /// <summary>True when more lines were rejected than <see cref="Errors"/> lists.</summary>
    public bool ErrorsTruncated => Rejected > Errors.Count;

    /// <summary>The body-level error (size limit), null when the body was read to its end.</summary>
    public string? BodyError { get; } = bodyError;
}

/// <summary>
/// Reads a whole request body (<see cref="PipeReader"/> or <see cref="Stream"/>), hands every valid line to a
/// handler and sums up: accepted count, rejected count, the first errors with line and column, a size guard.
/// Buffering is bounded: the pipe holds at most one partial line (≤ MaxLineLength) beyond what it delivered.
/// Reusable (it keeps its <see cref="LineProtocolParser"/>), not thread-safe: pool one per concurrent request.
/// </summary>
public sealed class LineProtocolBodyReader
{
    private readonly LineProtocolParser _parser = new();
    private readonly LineProtocolReaderOptions _options;

    /// <summary>Creates a reader with the given limits (defaults when null).</summary>
    public LineProtocolBodyReader(LineProtocolReaderOptions? options = null)
    {
        _options = options ?? new LineProtocolReaderOptions();
        _options.Validate();
        _parser.MaxLineLength = _options.MaxLineLength;
    }

    /// <summary>The limits in force.</summary>
    public LineProtocolReaderOptions Options => _options;

    /// <summary>
    /// Reads <paramref name="reader"/> to its end (or to the size limit) and delivers every line to
    /// <paramref name="handler"/>. The reader is not completed: the caller owns it.
    /// </summary>
    /// <param name="defaultTimestamp">Unix nanoseconds for lines without a timestamp
    /// (InfluxDB: <see cref="LineProtocolTime.DefaultTimestamp"/> of the receive time).</param>
    public async ValueTask<LineProtocolReadResult> ReadAsync<THandler>(
        PipeReader reader,
        THandler handler,
        LineProtocolPrecision precision,
        long defaultTimestamp,
        CancellationToken cancellationToken = default)
        where THandler : class, ILineProtocolHandler
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(handler);
        _parser.Reset();
        _parser.Precision = precision;
        _parser.DefaultTimestamp = defaultTimestamp;
        var counting = new CountingHandler<THandler>(handler, _options.MaxErrors);
        long consumedTotal = 0;
        var status = LineProtocolBodyStatus.Complete;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (consumedTotal + buffer.Length > _options.MaxBodyBytes)
            {
                // Parse the complete lines that lie within the limit, then stop reading.
                var allowed = buffer.Slice(0, _options.MaxBodyBytes - consumedTotal);
                var upTo = _parser.Parse(allowed, isFinalBlock: false, ref counting);
                consumedTotal += allowed.Slice(0, upTo).Length;
                reader.AdvanceTo(upTo, buffer.End);
                status = LineProtocolBodyStatus.BodyTooLarge;
                break;
            }

            var consumed = _parser.Parse(buffer, read.IsCompleted, ref counting);
            consumedTotal += buffer.Slice(0, consumed).Length;
            reader.AdvanceTo(consumed, buffer.End);
            if (read.IsCompleted)
            {
                break;
            }

            if (read.IsCanceled)
            {
                throw new OperationCanceledException("the read of the line protocol body was canceled");
            }
        }

        string? bodyError = status == LineProtocolBodyStatus.BodyTooLarge
            ? string.Create(CultureInfo.InvariantCulture, $"request body larger than {_options.MaxBodyBytes} bytes: read stopped after line {_parser.LineNumber}")
            : null;
        return new LineProtocolReadResult(
            status,
            counting.Accepted,
            counting.Rejected,
            _parser.LineNumber,
            consumedTotal,
            counting.Errors is null ? [] : counting.Errors,
            bodyError);
    }

    /// <summary>Reads a <see cref="Stream"/> body (left open) through a pooled <see cref="PipeReader"/>.</summary>
    public async ValueTask<LineProtocolReadResult> ReadAsync<THandler>(
        Stream body,
        THandler handler,
        LineProtocolPrecision precision,
        long defaultTimestamp,
        CancellationToken cancellationToken = default)
        where THandler : class, ILineProtocolHandler
    {
        ArgumentNullException.ThrowIfNull(body);
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        try
        {
            return await ReadAsync(reader, handler, precision, defaultTimestamp, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Forwards to the caller's handler, counts, keeps the first errors.</summary>
    private struct CountingHandler<THandler>(THandler inner, int maxErrors) : ILineProtocolHandler
        where THandler : class, ILineProtocolHandler
    {
        public long Accepted;
        public long Rejected;
        public List<LineProtocolError>? Errors;

        public void OnPoint(in LineProtocolPoint point)
        {
            Accepted++;
            inner.OnPoint(in point);
        }

        public void OnError(in LineProtocolSyntaxError syntaxError)
        {
            Rejected++;
            if (Rejected <= maxErrors)
            {
                (Errors ??= []).Add(syntaxError.ToError());
            }

            inner.OnError(in syntaxError);
        }
    }
}
