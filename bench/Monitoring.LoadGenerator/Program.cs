using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Monitoring.Domain.Registry;

// monitoring-load: sends the same pre-built line-protocol batches to an InfluxDB-compatible write endpoint with N
// concurrent connections and prints what was acknowledged per second. The payload is every numeric field of every
// physical meter of a registry (the example plants by default), one line per meter per 10 s step, counters rising,
// ending an hour ago, so that `monitoring serve` accepts every line and InfluxDB and VictoriaMetrics store them as
// they would any telemetry. Built once, before the clock starts: the generator formats nothing while it measures.
// Each connection plays one edge agent: it owns a share of the meters and sends their batches in time order, as
// agents do (a meter's readings never race each other across connections).
//
// With --from-spool DIR it sends instead the records of an InfluxDB sink's spool (a copy: the folder is opened as the
// sink opens it), each record one request, dealt to the connections in turn: what `monitoring serve`'s sink would
// send, for bench/sink-compare.sh.
//
// monitoring-load --url http://127.0.0.1:8080/api/v2/write?precision=s [--token T] [--registry config]
//                 [--lines 6000000] [--batch 5000] [--connections 4] [--gzip] [--from-spool DIR]
var options = ParseArguments(args);
var agents = options.Spool is { } spool
    ? SpoolBatches(spool, options.Connections, options.Gzip)
    : BuildBatches(SiteRegistryLoader.LoadDirectory(options.Registry).Registry
        ?? throw new InvalidOperationException($"registry {options.Registry} does not load: run `monitoring config check`"), options.Lines, options.Batch, options.Connections, options.Gzip);
var all = agents.SelectMany(a => a).ToList();
var bytes = all.Sum(b => (long)b.Body.Length);
Console.Error.WriteLine($"{options.Connections} agents, {all.Count} batches, {all.Sum(b => b.Lines)} lines, {all.Sum(b => b.Fields)} field values, {bytes / 1e6:F1} MB{(options.Gzip ? " gzip" : "")} -> {options.Url}");

using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = options.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    Timeout = TimeSpan.FromMinutes(2),
};
if (options.Token is { } token)
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
}

long lines = 0, fields = 0, refused = 0, retried = 0;
var stopwatch = Stopwatch.StartNew();
var workers = agents.Select(async batches =>
{
    for (var index = 0; index < batches.Count; index++)
    {
        var batch = batches[index];
        while (true)
        {
            using var content = new ByteArrayContent(batch.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            if (options.Gzip)
            {
                content.Headers.ContentEncoding.Add("gzip");
            }

            using var response = await http.PostAsync(options.Url, content).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK)
            {
                Interlocked.Add(ref lines, batch.Lines);
                Interlocked.Add(ref fields, batch.Fields);
                break;
            }

            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref retried);
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref refused);
            Console.Error.WriteLine($"batch {index}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
            break;
        }
    }
}).ToArray();
await Task.WhenAll(workers).ConfigureAwait(false);
stopwatch.Stop();

var seconds = stopwatch.Elapsed.TotalSeconds;
// One machine-readable line on stdout for the comparison script.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"points={lines} fields={fields} seconds={seconds:F3} points_per_s={lines / seconds:F0} fields_per_s={fields / seconds:F0} mb_per_s={bytes / seconds / 1e6:F1} refused={refused} retried={retried}"));
return refused == 0 ? 0 : 1;

static List<List<Batch>> BuildBatches(SiteRegistry registry, int totalLines, int batchLines, int agentCount, bool gzip)
{
    var meters = registry.Sites
        .SelectMany(site => site.Meters.Where(m => !m.IsVirtual).Select(m => (Site: site.Id, Meter: m)))
        .Where(m => m.Meter.Fields.Count > 0)
        .ToList();
    var end = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds() / 10 * 10;
    var agents = new List<List<Batch>>();
    for (var agent = 0; agent < agentCount; agent++)
    {
        var owned = meters.Where((_, i) => i % agentCount == agent).ToList();
        var share = totalLines / agentCount;
        var batches = new List<Batch>();
        var text = new StringBuilder(batchLines * 128);
        int linesInBatch = 0, fieldsInBatch = 0, written = 0;
        for (var step = 0; written < share && owned.Count > 0; step++)
        {
            foreach (var (site, meter) in owned)
            {
                if (written == share)
                {
                    break;
                }

                text.Append("meter,site=").Append(site).Append(",meter=").Append(meter.Id).Append(' ');
                for (var f = 0; f < meter.Fields.Count; f++)
                {
                    var field = meter.Fields[f];
                    var value = field.Kind == FieldKind.Counter ? 1000 + (step * 0.25) : 50 + (step % 7);
                    text.Append(f == 0 ? "" : ",").Append(field.Name).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture));
                }

                // Agents with fewer meters go back further in time: every agent sends its share of the lines.
                var time = end - (((share / owned.Count) - step) * 10L);
                text.Append(' ').Append(time.ToString(CultureInfo.InvariantCulture)).Append('\n');
                linesInBatch++;
                fieldsInBatch += meter.Fields.Count;
                written++;
                if (linesInBatch == batchLines)
                {
                    batches.Add(Batch.Create(text, linesInBatch, fieldsInBatch, gzip));
                    text.Clear();
                    linesInBatch = fieldsInBatch = 0;
                }
            }
        }

        if (linesInBatch > 0)
        {
            batches.Add(Batch.Create(text, linesInBatch, fieldsInBatch, gzip));
        }

        agents.Add(batches);
    }

    return agents;
}

static List<List<Batch>> SpoolBatches(string directory, int connections, bool gzip)
{
    var agents = Enumerable.Range(0, connections).Select(_ => new List<Batch>()).ToList();
    var buffer = Monitoring.Storage.DiskBuffer.Open(new Monitoring.Storage.DiskBufferOptions { Directory = directory, Fsync = false }, out _);
    var next = 0;
    foreach (var record in buffer.Peek(int.MaxValue))
    {
        var text = new StringBuilder(Encoding.UTF8.GetString(record.Payload.Span));
        var lines = record.Payload.Span.Count((byte)'\n');
        agents[next++ % connections].Add(Batch.Create(text, lines, lines, gzip));
    }

    buffer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    return agents;
}

static Options ParseArguments(string[] args)
{
    var values = new Dictionary<string, string>(StringComparer.Ordinal);
    var gzip = false;
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == "--gzip")
        {
            gzip = true;
        }
        else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
        {
            values[args[i][2..]] = args[++i];
        }
        else
        {
            throw new ArgumentException($"unexpected argument '{args[i]}'");
        }
    }

    int Number(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    return new Options(
        new Uri(values.TryGetValue("url", out var url) ? url : throw new ArgumentException("--url is required")),
        values.GetValueOrDefault("token"),
        values.GetValueOrDefault("registry") ?? "config",
        Number("lines", 6_000_000),
        Number("batch", 5000),
        Number("connections", 4),
        gzip,
        values.GetValueOrDefault("from-spool"));
}

internal sealed record Options(Uri Url, string? Token, string Registry, int Lines, int Batch, int Connections, bool Gzip, string? Spool);

internal sealed record Batch(byte[] Body, int Lines, int Fields)
{
    public static Batch Create(StringBuilder text, int lines, int fields, bool gzip)
    {
        var body = Encoding.UTF8.GetBytes(text.ToString());
        if (gzip)
        {
            using var buffer = new MemoryStream();
            using (var zip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest))
            {
                zip.Write(body);
            }

            body = buffer.ToArray();
        }

        return new Batch(body, lines, fields);
    }
}
