namespace Monitoring.Edge.Uplink;

/// <summary>Where buffered line protocol goes: <c>monitoring serve</c> over HTTP or MQTT.</summary>
public interface IUplink : IAsyncDisposable
{
    /// <summary>What and where, for logs and <c>check</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Sends one batch and returns once the other side confirmed it; throws <see cref="UplinkException"/> otherwise.
    /// <paramref name="batchId"/> names the batch's sequence range, so a batch sent twice can be recognised upstream.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> lineProtocol, string batchId, CancellationToken cancellationToken);
}

/// <summary>A batch was not confirmed. <see cref="Permanent"/>: resending it cannot succeed (the server rejected its content).</summary>
public sealed class UplinkException(string message, bool permanent = false, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Permanent { get; } = permanent;

    /// <summary>How long the server asked us to wait (HTTP 429/503 Retry-After).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
