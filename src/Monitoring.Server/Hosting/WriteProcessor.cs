using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Monitoring.Ingestion;
using Monitoring.LineProtocol;

namespace Monitoring.Server.Hosting;

/// <summary>
/// One write, whatever the transport: parse straight from the body, validate against the registry and the writer's
/// scope, store in the write-ahead log, say what happened. HTTP and MQTT differ only in how they report it.
/// </summary>
internal sealed class WriteProcessor(IngestPipeline pipeline, ServerMetrics metrics, TimeProvider time)
{
    private readonly ConcurrentBag<LineProtocolBodyReader> _readers = [];

    public async Task<WriteOutcome> ProcessAsync(
        PipeReader body,
        long maxBodyBytes,
        LineProtocolPrecision precision,
        IReadOnlyCollection<string>? siteScope,
        string source,
        string writer,
        ReadOnlyMemory<byte> batchId,
        CancellationToken cancellationToken,
        bool acceptPartial = true)
    {
        var now = time.GetUtcNow();
        var aggregation = pipeline.Options.Aggregation;
        var earliestAllowed = now.ToUnixTimeMilliseconds() - (long)Math.Min(aggregation.MaxAge.TotalMilliseconds, long.MaxValue / 4);
        var latestAllowed = (now + aggregation.MaxFutureSkew).ToUnixTimeMilliseconds();
        // The registry in force now; a reload before the write reaches the log translates its series ids.
        var catalog = pipeline.Catalog;
        using var validator = new WriteValidator(catalog, siteScope, pipeline.Quarantine, source, earliestAllowed, latestAllowed, agents: pipeline.Agents);
        var reader = Rent(maxBodyBytes);
        LineProtocolReadResult read;
        try
        {
            read = await reader.ReadAsync(body, validator, precision, now.ToUnixTimeMilliseconds() * 1_000_000, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _readers.Add(reader);
        }

        metrics.LinesRead(read.Lines, validator.SyntaxErrors);
        if (read.Status == LineProtocolBodyStatus.BodyTooLarge)
        {
            return new WriteOutcome(WriteStatus.TooLarge, read.BodyError!);
        }

        if (validator.ForbiddenSite is { } site)
        {
            return new WriteOutcome(WriteStatus.Forbidden, $"{source} may not write readings of site '{site}': nothing was stored");
        }

        if (!acceptPartial && validator.ProblemCount > 0)
        {
            return new WriteOutcome(WriteStatus.Partial, string.Create(CultureInfo.InvariantCulture,
                $"{validator.ProblemCount} of {read.Lines} line(s) not valid and accept_partial=false: nothing was stored. First: {validator.Problems[0]}"),
                0, validator.Problems, validator.ProblemCount);
        }

        if (validator.HasData)
        {
            // Keyed by the writer: two agents of the same name at two sites never share batch ids. A write without a
            // batch id is named by its content, so the same readings sent again (a client whose response was lost)
            // are a duplicate, not a second sample.
            var key = batchId.IsEmpty ? Encoding.UTF8.GetBytes("content:" + validator.ContentDigest()) : batchId;
            var records = validator.BuildRecords(BatchIdWindow.Key(writer, key.Span), IngestPipeline.MaxRecordBytes);
            var outcome = await pipeline.SubmitAsync(records, catalog, cancellationToken).ConfigureAwait(false);
            if (outcome is SubmitOutcome.Busy or SubmitOutcome.Full or SubmitOutcome.Failed or SubmitOutcome.Stopping)
            {
                return new WriteOutcome(WriteStatus.Unavailable, outcome switch
                {
                    SubmitOutcome.Busy => "too many writes waiting for the write-ahead log: retry shortly",
                    SubmitOutcome.Full => "the write-ahead log is full: retry later",
                    SubmitOutcome.Failed => $"the write-ahead log cannot be written ({pipeline.WalFailure?.Reason ?? "I/O error"}): nothing was stored, retry later",
                    _ => "the server is stopping: retry",
                });
            }
        }

        if (validator.ProblemCount == 0)
        {
            return new WriteOutcome(WriteStatus.Accepted, "", validator.Readings);
        }

        var message = string.Create(CultureInfo.InvariantCulture,
            $"partial write: {validator.ProblemCount} of {read.Lines} line(s) not taken ({validator.SyntaxErrors} malformed, {validator.Quarantined} quarantined); the other lines were stored. First: {validator.Problems[0]}");
        return new WriteOutcome(WriteStatus.Partial, message, validator.Readings, validator.Problems, validator.ProblemCount);
    }

    private LineProtocolBodyReader Rent(long maxBodyBytes)
    {
        if (_readers.TryTake(out var reader) && reader.Options.MaxBodyBytes == maxBodyBytes)
        {
            return reader;
        }

        // Errors are collected by the validator with the quarantine's reasons; the reader only counts them.
        return new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = maxBodyBytes, MaxErrors = 0 });
    }
}
