using Monitoring.Storage;
using Monitoring.Edge.Configuration;

namespace Monitoring.Edge.Uplink;

/// <summary>What the forwarder has done, for the health series.</summary>
public sealed record ForwarderStatistics(long BatchesSent, long RecordsSent, long BatchesRejected, long RecordsRejected, long Failures, bool UplinkUp, string? LastError);

/// <summary>
/// Moves batches from the disk buffer to the uplink: oldest first, a batch leaves the buffer only when the uplink
/// confirmed it, failures back off exponentially (or as the server asks), and nothing here ever blocks polling.
/// </summary>
public sealed class Forwarder(DiskBuffer buffer, IUplink uplink, string agent, UplinkSettings settings, TimeProvider? time = null)
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _batchesSent;
    private long _recordsSent;
    private long _batchesRejected;
    private long _recordsRejected;
    private long _failures;
    private volatile bool _up = true;
    private volatile string? _lastError;

    public ForwarderStatistics Statistics => new(
        Interlocked.Read(ref _batchesSent), Interlocked.Read(ref _recordsSent), Interlocked.Read(ref _batchesRejected),
        Interlocked.Read(ref _recordsRejected), Interlocked.Read(ref _failures), _up, _lastError);

    /// <param name="progress">Called on every pass of the loop, for its supervisor.</param>
    public async Task RunAsync(CancellationToken cancellationToken, Action? progress = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(uplink);
        var backoff = MinBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            progress?.Invoke();
            var records = buffer.Peek(settings.BatchRecords, settings.BatchBytes);
            var age = records.Count > 0 ? _time.GetUtcNow() - records[0].WrittenAt : TimeSpan.Zero;
            if (records.Count == 0 || (records.Count < settings.BatchRecords && age < settings.BatchAge))
            {
                if (!await DelayAsync(IdlePoll, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            // The buffer's instance tells a reinstalled agent (sequences from 1 again) from the one before it.
            var batchId = $"{agent}@{buffer.InstanceId}:{records[0].Sequence}-{records[^1].Sequence}";
            try
            {
                await uplink.SendAsync(Concatenate(records), batchId, cancellationToken).ConfigureAwait(false);
                buffer.Acknowledge(records[^1].Sequence);
                Interlocked.Increment(ref _batchesSent);
                Interlocked.Add(ref _recordsSent, records.Count);
                (_up, backoff) = (true, MinBackoff);
            }
            catch (UplinkException ex) when (ex.Permanent)
            {
                // The server judged the content itself: resending would block every later reading behind it.
                buffer.Acknowledge(records[^1].Sequence);
                Interlocked.Increment(ref _batchesRejected);
                Interlocked.Add(ref _recordsRejected, records.Count);
                _lastError = $"batch {batchId} rejected: {ex.Message}";
            }
            catch (UplinkException ex)
            {
                Interlocked.Increment(ref _failures);
                (_up, _lastError) = (false, ex.Message);
                if (!await DelayAsync(ex.RetryAfter ?? backoff, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static ReadOnlyMemory<byte> Concatenate(IReadOnlyList<BufferedRecord> records)
    {
        var length = 0;
        foreach (var record in records)
        {
            length += record.Payload.Length;
        }

        var payload = new byte[length];
        var offset = 0;
        foreach (var record in records)
        {
            record.Payload.Span.CopyTo(payload.AsSpan(offset));
            offset += record.Payload.Length;
        }

        return payload;
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
