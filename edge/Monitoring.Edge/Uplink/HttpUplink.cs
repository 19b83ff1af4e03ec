using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

namespace Monitoring.Edge.Uplink;

/// <summary>
/// InfluxDB v2 write API (<c>POST /api/v2/write?org=&amp;bucket=&amp;precision=ns</c>, <c>Authorization: Token</c>, gzip):
/// what <c>monitoring serve</c> accepts, and InfluxDB 2.x/3.x, 1.8+ and VictoriaMetrics too.
/// </summary>
public sealed class HttpUplink : IUplink
{
    private readonly HttpClient _http;
    private readonly Uri _writeUri;

    public HttpUplink(Uri baseAddress, string organization, string bucket, string? token, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        _writeUri = new Uri(baseAddress, $"api/v2/write?org={Uri.EscapeDataString(organization)}&bucket={Uri.EscapeDataString(bucket)}&precision=ns");
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = timeout };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }

        Description = $"HTTP {new Uri(baseAddress, "api/v2/write")} (org {organization}, bucket {bucket})";
    }

    public string Description { get; }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> lineProtocol, string batchId, CancellationToken cancellationToken)
    {
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(lineProtocol, cancellationToken).ConfigureAwait(false);
        }

        using var content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = content };
        request.Headers.Add("X-Batch-Id", batchId);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new UplinkException($"{Description}: {ex.Message}", inner: ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var retryAfter = response.Headers.RetryAfter?.Delta;
            var message = $"{Description}: HTTP {status} {response.ReasonPhrase}: {body.Trim()}";

            // 400 and 413 judge the content: sending it again cannot help. Anything else (401, 403, 404, 429, 5xx) may heal.
            throw new UplinkException(message, permanent: response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, retryAfter);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
