namespace Monitoring.Sinks.InfluxDb;

/// <summary>Sends one batch of line protocol (millisecond timestamps) to a time-series database.</summary>
public interface IInfluxWriter : IAsyncDisposable
{
    /// <summary>Where it writes, for logs and the health page (no secrets).</summary>
    string Description { get; }

    /// <summary>Returns when the server confirmed the batch.</summary>
    /// <exception cref="InfluxWriteException">The server refused the batch, or could not be reached.</exception>
    Task WriteAsync(ReadOnlyMemory<byte> lineProtocol, CancellationToken cancellationToken);
}

/// <summary>
/// A write that did not succeed. <see cref="IsPermanent"/>: the server judged the content (400, 413, 422...):
/// sending it again cannot help. Otherwise (no connection, timeout, 429, 5xx, and the configuration errors 401, 403,
/// 404 that an operator fixes without touching the data) it is retried.
/// </summary>
public sealed class InfluxWriteException : Exception
{
    public InfluxWriteException(string message, bool isPermanent, int? statusCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        IsPermanent = isPermanent;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public InfluxWriteException()
    {
    }

    public InfluxWriteException(string message)
        : base(message)
    {
    }

    public InfluxWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool IsPermanent { get; }

    /// <summary>The HTTP status, when the server answered.</summary>
    public int? StatusCode { get; }

    /// <summary>How long the server asked to wait (<c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// Whether a status means the batch itself is refused. 4xx are, except 429 (too many requests), 408 (timeout) and
    /// 401/403/404: a wrong token or a missing database is fixed on the server, after which the same batch goes in,
    /// so acknowledging it would throw away every point written while the sink was misconfigured.
    /// </summary>
    public static bool IsPermanentStatus(int status) => status is >= 400 and < 500 and not (401 or 403 or 404 or 408 or 429);
}

/// <summary>The writer the options ask for.</summary>
public static class InfluxWriterFactory
{
    public static IInfluxWriter Create(InfluxSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind == InfluxApiKind.V1 ? new InfluxV1Writer(options) : new InfluxV2Writer(options);
    }
}
