using System.Globalization;
using System.Net.Sockets;
using System.Text;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// The v2 write API (<c>/api/v2/write?org=&amp;bucket=&amp;precision=ms</c>, gzip) through InfluxDB.Client: InfluxDB
/// 2.x and 3.x, 1.8+ and VictoriaMetrics. The prepared batch goes as one request through the client's
/// <see cref="WriteApiAsync"/>; its reactive batching <c>WriteApi</c> is not used, because the spool already batches
/// and a batch must leave the spool only when the server confirmed it.
/// </summary>
public sealed class InfluxV2Writer : IInfluxWriter
{
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _writeApi;
    private readonly string _organization;
    private readonly string _bucket;

    public InfluxV2Writer(InfluxSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _organization = options.Organization!;
        _bucket = options.Bucket!;
        var clientOptions = new InfluxDBClientOptions(options.Url.AbsoluteUri.TrimEnd('/'))
        {
            Org = _organization,
            Bucket = _bucket,
            Timeout = options.Timeout,
        };
        if (!string.IsNullOrEmpty(options.Token))
        {
            // The client refuses an empty token; servers without authentication (VictoriaMetrics) need none.
            clientOptions.Token = options.Token;
        }

        _client = new InfluxDBClient(clientOptions);
        if (options.Gzip)
        {
            _client.EnableGzip();
        }
        _writeApi = _client.GetWriteApiAsync();
        Description = options.ToString();
    }

    public string Description { get; }

    public async Task WriteAsync(ReadOnlyMemory<byte> lineProtocol, CancellationToken cancellationToken)
    {
        // The client takes the body as a string: one transcoding per batch.
        var record = Encoding.UTF8.GetString(lineProtocol.Span);
        try
        {
            await _writeApi.WriteRecordAsync(record, WritePrecision.Ms, _bucket, _organization, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpException ex) when (ex.Status > 0)
        {
            throw new InfluxWriteException(
                string.Create(CultureInfo.InvariantCulture, $"{Description}: HTTP {ex.Status}: {ex.Message}"),
                InfluxWriteException.IsPermanentStatus(ex.Status),
                ex.Status,
                RetryAfterOf(ex),
                ex);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && ex is InfluxException or HttpRequestException or IOException or SocketException or TaskCanceledException or TimeoutException)
        {
            throw new InfluxWriteException($"{Description}: {ex.Message}", isPermanent: false, innerException: ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    // The client reports Retry-After in seconds, or its own default when the server sent none: only the header counts.
    private static TimeSpan? RetryAfterOf(HttpException ex)
    {
        foreach (var header in ex.Headers ?? [])
        {
            if (string.Equals(header.Name, "Retry-After", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(header.Value?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }
}
