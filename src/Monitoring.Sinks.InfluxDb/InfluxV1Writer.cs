using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// InfluxDB 1.x: <c>POST {url}/write?db=&amp;rp=&amp;precision=ms</c> with a gzip body (unless <see cref="InfluxSinkOptions.Gzip"/> is off). Credentials go in headers
/// (basic authentication for user and password, <c>Authorization: Token</c> for 1.8+ tokens), never in the URL,
/// where proxies and access logs would keep them.
/// </summary>
public sealed class InfluxV1Writer : IInfluxWriter
{
    private readonly HttpClient _http;
    private readonly Uri _writeUri;
    private readonly bool _gzip;

    public InfluxV1Writer(InfluxSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var query = "write?db=" + Uri.EscapeDataString(options.Database!)
            + (string.IsNullOrEmpty(options.RetentionPolicy) ? string.Empty : "&rp=" + Uri.EscapeDataString(options.RetentionPolicy))
            + "&precision=ms";
        _writeUri = new Uri(WithTrailingSlash(options.Url), query);
        _gzip = options.Gzip;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = options.Timeout })
        {
            Timeout = options.Timeout,
        };
        if (options.Username is not null)
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(options.Username + ":" + options.Password));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        }
        else if (!string.IsNullOrEmpty(options.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", options.Token);
        }

        Description = options.ToString();
    }

    public string Description { get; }

    public async Task WriteAsync(ReadOnlyMemory<byte> lineProtocol, CancellationToken cancellationToken)
    {
        using HttpContent content = _gzip ? await GzipContentAsync(lineProtocol, cancellationToken).ConfigureAwait(false) : PlainContent(lineProtocol);
        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new InfluxWriteException($"{Description}: {ex.Message}", isPermanent: false, innerException: ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var retryAfter = response.Headers.RetryAfter is { } header
                ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
                : null;
            throw new InfluxWriteException(
                string.Create(CultureInfo.InvariantCulture, $"{Description}: HTTP {status} {response.ReasonPhrase}: {body.Trim()}"),
                InfluxWriteException.IsPermanentStatus(status),
                status,
                retryAfter);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static ReadOnlyMemoryContent PlainContent(ReadOnlyMemory<byte> lineProtocol)
    {
        var content = new ReadOnlyMemoryContent(lineProtocol);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        return content;
    }

    private static async Task<ByteArrayContent> GzipContentAsync(ReadOnlyMemory<byte> lineProtocol, CancellationToken cancellationToken)
    {
        var compressed = new MemoryStream(Math.Max(256, lineProtocol.Length / 4));
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(lineProtocol, cancellationToken).ConfigureAwait(false);
        }

        var content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private static Uri WithTrailingSlash(Uri url) =>
        url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
}
