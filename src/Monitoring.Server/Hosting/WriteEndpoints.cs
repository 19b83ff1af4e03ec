using System.Globalization;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.LineProtocol;
using Monitoring.Server.Security;

namespace Monitoring.Server.Hosting;

/// <summary>
/// InfluxDB-compatible writes: <c>POST /api/v2/write</c> (v2: <c>Authorization: Token</c>) and <c>POST /write</c> (v1:
/// token, <c>u</c>/<c>p</c> or basic authentication with the token as password). <c>org</c>, <c>bucket</c>, <c>db</c>
/// and <c>rp</c> are accepted and ignored: the registry decides where readings belong. Status codes as InfluxDB:
/// 204 all taken, 400 partial write (valid lines kept; each bad line with its line, column and reason), 401, 403,
/// 413, 503 with Retry-After. An <c>X-Batch-Id</c> header makes a retried write idempotent.
/// </summary>
internal static class WriteEndpoints
{
    private const string BatchIdHeader = "X-Batch-Id";

    /// <summary>A writer's identity for batch-id deduplication: its token, whichever transport it uses.</summary>
    internal static string WriterOf(TokenEntry entry) => "token:" + entry.Name;

    public static void Map(WebApplication app)
    {
        app.MapPost("/api/v2/write", (HttpContext context, WriteProcessor processor, TokenStore tokens, IOptions<HttpIntakeOptions> options) =>
            HandleAsync(context, processor, tokens, options.Value, v1: false));
        app.MapPost("/write", (HttpContext context, WriteProcessor processor, TokenStore tokens, IOptions<HttpIntakeOptions> options) =>
            HandleAsync(context, processor, tokens, options.Value, v1: true));
    }

    private static async Task HandleAsync(HttpContext context, WriteProcessor processor, TokenStore tokens, HttpIntakeOptions options, bool v1)
    {
        var request = context.Request;
        var metrics = context.RequestServices.GetRequiredService<ServerMetrics>();
        var transport = v1 ? "http_v1" : "http_v2";
        var entry = tokens.Find(ReadToken(request, v1));
        if (entry is null)
        {
            context.Response.Headers.WWWAuthenticate = "Token";
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "a valid token is required (Authorization: Token <token>)", v1).ConfigureAwait(false);
            metrics.Write(transport, "unauthorized");
            return;
        }

        if (!entry.MayWrite)
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", $"token '{entry.Name}' ({entry.Role}) may not write", v1).ConfigureAwait(false);
            metrics.Write(transport, "forbidden");
            return;
        }

        if (!LineProtocolTime.TryParsePrecision(request.Query["precision"].ToString(), out var precision)
            || (!v1 && precision is LineProtocolPrecision.Minutes or LineProtocolPrecision.Hours))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid",
                $"precision '{request.Query["precision"]}' is not one of {(v1 ? "n, ns, u, us, ms, s, m, h" : "ns, us, ms, s")}", v1).ConfigureAwait(false);
            metrics.Write(transport, "invalid");
            return;
        }

        if (request.ContentLength > options.MaxBodyBytes)
        {
            await TooLargeAsync(context, options, v1).ConfigureAwait(false);
            metrics.Write(transport, "too_large");
            return;
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "invalid", $"Content-Encoding '{encoding}' is not supported (gzip or none)", v1).ConfigureAwait(false);
            metrics.Write(transport, "invalid");
            return;
        }

        var batchId = Encoding.UTF8.GetBytes(request.Headers[BatchIdHeader].ToString());
        WriteOutcome outcome;
        try
        {
            if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                await using var gzip = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
                var reader = PipeReader.Create(gzip, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
                try
                {
                    outcome = await processor.ProcessAsync(reader, options.MaxBodyBytes, precision, entry.SiteScope, $"token '{entry.Name}'", WriterOf(entry), batchId, context.RequestAborted).ConfigureAwait(false);
                }
                finally
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                }
            }
            else
            {
                outcome = await processor.ProcessAsync(request.BodyReader, options.MaxBodyBytes, precision, entry.SiteScope, $"token '{entry.Name}'", WriterOf(entry), batchId, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (InvalidDataException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid", $"the gzip body cannot be decompressed: {ex.Message}", v1).ConfigureAwait(false);
            metrics.Write(transport, "invalid");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLargeAsync(context, options, v1).ConfigureAwait(false);
            metrics.Write(transport, "too_large");
            return;
        }

        metrics.Write(transport, outcome.Status.ToString().ToLowerInvariant());
        switch (outcome.Status)
        {
            case WriteStatus.Accepted:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case WriteStatus.Forbidden:
                await ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", outcome.Message, v1).ConfigureAwait(false);
                break;
            case WriteStatus.TooLarge:
                await TooLargeAsync(context, options, v1).ConfigureAwait(false);
                break;
            case WriteStatus.Unavailable:
                context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", outcome.Message, v1).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid", outcome.Message, v1, outcome).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>The token of a request: <c>Authorization: Token|Bearer</c>, v1's <c>p</c> parameter or basic authentication's password.</summary>
    internal static string? ReadToken(HttpRequest request, bool v1)
    {
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header) && header.Parameter is { } parameter)
        {
            if (header.Scheme.Equals("Token", StringComparison.OrdinalIgnoreCase) || header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return parameter;
            }

            if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
                    var colon = credentials.IndexOf(':', StringComparison.Ordinal);
                    return colon < 0 ? null : credentials[(colon + 1)..];
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }

        return v1 && request.Query.TryGetValue("p", out var password) ? password.ToString() : null;
    }

    private static Task TooLargeAsync(HttpContext context, HttpIntakeOptions options, bool v1) =>
        ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "request too large",
            string.Create(CultureInfo.InvariantCulture, $"request body larger than {options.MaxBodyBytes} bytes: nothing was stored; send smaller batches"), v1);

    /// <summary>InfluxDB's error bodies: v2 <c>{"code","message"}</c>, v1 <c>{"error"}</c>; both with the line problems.</summary>
    private static async Task ErrorAsync(HttpContext context, int status, string code, string message, bool v1, WriteOutcome? outcome = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = context.Response.BodyWriter;
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            if (v1)
            {
                json.WriteString("error", message);
            }
            else
            {
                json.WriteString("code", code);
                json.WriteString("message", message);
            }

            if (outcome?.Problems is { } problems)
            {
                json.WriteNumber("rejected", outcome.ProblemCount);
                json.WriteStartArray("lines");
                foreach (var problem in problems)
                {
                    json.WriteStartObject();
                    json.WriteNumber("line", problem.Line);
                    json.WriteNumber("column", problem.Column);
                    json.WriteString("reason", problem.Reason);
                    json.WriteBoolean("quarantined", problem.Quarantined);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
