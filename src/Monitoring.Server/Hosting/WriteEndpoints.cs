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
/// InfluxDB-compatible writes: <c>POST /api/v2/write</c> (v2: <c>Authorization: Token</c>), <c>POST /write</c> (v1:
/// token, <c>u</c>/<c>p</c> or basic authentication with the token as password) and <c>POST /api/v3/write_lp</c>
/// (InfluxDB 3: <c>precision=auto</c> by default, <c>accept_partial</c>). <c>org</c>, <c>bucket</c>, <c>db</c> and
/// <c>rp</c> are accepted and ignored: the registry decides where readings belong. Status codes as InfluxDB: 204 all
/// taken, 400 partial write (valid lines kept; each bad line with its line, column and reason), 401, 403, 413, 503
/// with Retry-After. An <c>X-Batch-Id</c> header makes a retried write idempotent.
/// </summary>
internal static class WriteEndpoints
{
    /// <summary>Which InfluxDB write API a request came through: it decides the parameters and the error bodies.</summary>
    private enum WriteApi
    {
        V1,
        V2,
        V3,
    }

    private const string BatchIdHeader = "X-Batch-Id";

    /// <summary>A writer's identity for batch-id deduplication: its token, whichever transport it uses.</summary>
    internal static string WriterOf(TokenEntry entry) => "token:" + entry.Name;

    public static void Map(WebApplication app)
    {
        app.MapPost("/api/v2/write", (HttpContext context, WriteProcessor processor, TokenStore tokens, IOptions<HttpIntakeOptions> options) =>
            HandleAsync(context, processor, tokens, options.Value, WriteApi.V2));
        app.MapPost("/write", (HttpContext context, WriteProcessor processor, TokenStore tokens, IOptions<HttpIntakeOptions> options) =>
            HandleAsync(context, processor, tokens, options.Value, WriteApi.V1));
        app.MapPost("/api/v3/write_lp", (HttpContext context, WriteProcessor processor, TokenStore tokens, IOptions<HttpIntakeOptions> options) =>
            HandleAsync(context, processor, tokens, options.Value, WriteApi.V3));
    }

    private static async Task HandleAsync(HttpContext context, WriteProcessor processor, TokenStore tokens, HttpIntakeOptions options, WriteApi api)
    {
        var request = context.Request;
        var metrics = context.RequestServices.GetRequiredService<ServerMetrics>();
        var v1 = api == WriteApi.V1;
        var transport = api switch { WriteApi.V1 => "http_v1", WriteApi.V2 => "http_v2", _ => "http_v3" };
        InfluxCompatibilityEndpoints.VersionHeaders(context);
        var entry = tokens.Find(ReadToken(request, v1));
        if (entry is null)
        {
            context.Response.Headers.WWWAuthenticate = "Token";
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "a valid token is required (Authorization: Token <token>)", api).ConfigureAwait(false);
            metrics.Write(transport, "unauthorized");
            return;
        }

        if (!entry.MayWrite)
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", $"token '{entry.Name}' ({entry.Role}) may not write", api).ConfigureAwait(false);
            metrics.Write(transport, "forbidden");
            return;
        }

        var precisionText = request.Query["precision"].ToString();
        var precisionOk = api == WriteApi.V3
            ? LineProtocolTime.TryParseV3Precision(precisionText, out var precision)
            : LineProtocolTime.TryParsePrecision(precisionText, out precision) && (v1 || precision is not (LineProtocolPrecision.Minutes or LineProtocolPrecision.Hours));
        if (!precisionOk)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid", $"precision '{precisionText}' is not one of " + api switch
            {
                WriteApi.V1 => "n, ns, u, us, ms, s, m, h",
                WriteApi.V2 => "ns, us, ms, s",
                _ => "auto, nanosecond, microsecond, millisecond, second",
            }, api).ConfigureAwait(false);
            metrics.Write(transport, "invalid");
            return;
        }

        // InfluxDB 3's accept_partial=false: a write with a bad line stores nothing.
        var acceptPartial = api != WriteApi.V3 || !bool.TryParse(request.Query["accept_partial"].ToString(), out var partial) || partial;

        if (request.ContentLength > options.MaxBodyBytes)
        {
            await TooLargeAsync(context, options, api).ConfigureAwait(false);
            metrics.Write(transport, "too_large");
            return;
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "invalid", $"Content-Encoding '{encoding}' is not supported (gzip or none)", api).ConfigureAwait(false);
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
                    outcome = await processor.ProcessAsync(reader, options.MaxBodyBytes, precision, entry.SiteScope, $"token '{entry.Name}'", WriterOf(entry), batchId, context.RequestAborted, acceptPartial).ConfigureAwait(false);
                }
                finally
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                }
            }
            else
            {
                outcome = await processor.ProcessAsync(request.BodyReader, options.MaxBodyBytes, precision, entry.SiteScope, $"token '{entry.Name}'", WriterOf(entry), batchId, context.RequestAborted, acceptPartial).ConfigureAwait(false);
            }
        }
        catch (InvalidDataException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid", $"the gzip body cannot be decompressed: {ex.Message}", api).ConfigureAwait(false);
            metrics.Write(transport, "invalid");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLargeAsync(context, options, api).ConfigureAwait(false);
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
                await ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", outcome.Message, api).ConfigureAwait(false);
                break;
            case WriteStatus.TooLarge:
                await TooLargeAsync(context, options, api).ConfigureAwait(false);
                break;
            case WriteStatus.Unavailable:
                context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", outcome.Message, api).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid", outcome.Message, api, outcome).ConfigureAwait(false);
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

    private static Task TooLargeAsync(HttpContext context, HttpIntakeOptions options, WriteApi api) =>
        ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "request too large",
            string.Create(CultureInfo.InvariantCulture, $"request body larger than {options.MaxBodyBytes} bytes: nothing was stored; send smaller batches"), api);

    /// <summary>
    /// InfluxDB's error bodies: v2 <c>{"code","message"}</c>, v1 <c>{"error"}</c>, v3 <c>{"error","data":[{"line_number",
    /// "error_message"}]}</c>; v1 and v2 with our own <c>rejected</c> and <c>lines</c> (line, column, reason).
    /// </summary>
    private static async Task ErrorAsync(HttpContext context, int status, string code, string message, WriteApi api, WriteOutcome? outcome = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = context.Response.BodyWriter;
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            if (api == WriteApi.V2)
            {
                json.WriteString("code", code);
                json.WriteString("message", message);
            }
            else
            {
                json.WriteString("error", message);
            }

            if (api == WriteApi.V3 && outcome?.Problems is { } lines)
            {
                json.WriteStartArray("data");
                foreach (var problem in lines)
                {
                    json.WriteStartObject();
                    json.WriteNumber("line_number", problem.Line);
                    json.WriteString("error_message", problem.Reason);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }
            else if (outcome?.Problems is { } problems)
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
