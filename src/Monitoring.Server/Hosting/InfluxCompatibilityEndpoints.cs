using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Hashing;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Security;

namespace Monitoring.Server.Hosting;

/// <summary>
/// What InfluxDB clients and tools call around a write, answered as InfluxDB does so that they work unchanged:
/// <c>/ping</c> (GET, HEAD), <c>/ready</c>, an InfluxDB-shaped <c>/health</c> (the detailed report is at
/// <c>/health/ready</c>), an InfluxQL <c>/query</c> that takes <c>CREATE DATABASE</c>, <c>SHOW DATABASES</c>,
/// <c>SHOW RETENTION POLICIES</c> and <c>SHOW MEASUREMENTS</c> and refuses other statements in InfluxQL's shape, and
/// read-only <c>/api/v2/buckets</c> and <c>/api/v2/orgs</c>. The server is not a database: a database, bucket or
/// organisation named by a client exists as far as it is concerned (the registry says where readings belong), so
/// every name is listed when asked for. docs/integrations.md.
/// </summary>
internal static class InfluxCompatibilityEndpoints
{
    /// <summary>The database, bucket and organisation listed when a client asks without a name.</summary>
    public const string DefaultName = "monitoring";

    /// <summary>What <c>X-Influxdb-Version</c> says: this product and its version (clients show it; none parses it).</summary>
    public static string Version { get; } = "monitoring-" + (typeof(InfluxCompatibilityEndpoints).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;
    private static readonly ConcurrentDictionary<string, byte> Databases = new(StringComparer.Ordinal) { [DefaultName] = 0 };

    public static void Map(WebApplication app)
    {
        app.MapMethods("/ping", ["GET", "HEAD"], (HttpContext context) =>
        {
            VersionHeaders(context);
            if (context.Request.Query["verbose"] == "true")
            {
                return Results.Json(new { version = Version });
            }

            return Results.NoContent();
        });
        app.MapGet("/ready", (HttpContext context, HealthReporter health) =>
        {
            VersionHeaders(context);
            var ready = health.Report().Ready;
            var up = DateTimeOffset.UtcNow - Started;
            return Results.Json(
                new { status = ready ? "ready" : "not ready", started = Started, up = up.ToString("c", CultureInfo.InvariantCulture) },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/health", (HttpContext context, HealthReporter health) =>
        {
            VersionHeaders(context);
            var report = health.Report();
            var pass = report.Ready;
            return Results.Json(
                new
                {
                    name = DefaultName,
                    message = pass
                        ? (report.Status == "healthy" ? "ready for writes" : $"ready for writes ({report.Status}: {string.Join("; ", report.Checks.Values.Where(c => c.Status != "healthy").Select(c => c.Detail))}; see /health/ready)")
                        : "not ready for writes: see /health/ready",
                    status = pass ? "pass" : "fail",
                    checks = report.Checks.Select(c => new { name = c.Key, status = c.Value.Status == "unhealthy" ? "fail" : "pass", message = c.Value.Detail }),
                    version = Version,
                    commit = "",
                },
                statusCode: pass ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapMethods("/query", ["GET", "POST"], QueryAsync);
        app.MapGet("/api/v2/buckets", (HttpContext context, TokenStore tokens) => Authorized(context, tokens, v1: false, () =>
        {
            var name = context.Request.Query["name"].ToString() is { Length: > 0 } asked ? asked : DefaultName;
            var org = context.Request.Query["org"].ToString() is { Length: > 0 } o ? o : DefaultName;
            return Results.Json(new
            {
                links = new { self = "/api/v2/buckets?descending=false&limit=20&offset=0" },
                buckets = new[]
                {
                    new
                    {
                        id = IdOf("bucket:" + name), orgID = IdOf("org:" + org), type = "user", name, description = "readings are placed by the site registry",
                        retentionRules = Array.Empty<object>(), createdAt = Started, updatedAt = Started,
                        links = new { self = "/api/v2/buckets/" + IdOf("bucket:" + name), org = "/api/v2/orgs/" + IdOf("org:" + org) }, labels = Array.Empty<object>(),
                    },
                },
            });
        }));
        app.MapGet("/api/v2/orgs", (HttpContext context, TokenStore tokens) => Authorized(context, tokens, v1: false, () =>
        {
            var name = context.Request.Query["org"].ToString() is { Length: > 0 } asked ? asked : DefaultName;
            return Results.Json(new
            {
                links = new { self = "/api/v2/orgs" },
                orgs = new[] { new { id = IdOf("org:" + name), name, description = "", createdAt = Started, updatedAt = Started, links = new { self = "/api/v2/orgs/" + IdOf("org:" + name) } } },
            });
        }));
    }

    /// <summary>The version headers InfluxDB 1.x and 2.x send with every answer.</summary>
    internal static void VersionHeaders(HttpContext context)
    {
        context.Response.Headers["X-Influxdb-Version"] = Version;
        context.Response.Headers["X-Influxdb-Build"] = "OSS";
    }

    private static IResult Authorized(HttpContext context, TokenStore tokens, bool v1, Func<IResult> answer)
    {
        VersionHeaders(context);
        if (tokens.Find(WriteEndpoints.ReadToken(context.Request, v1)) is null)
        {
            context.Response.Headers.WWWAuthenticate = "Token";
            return v1
                ? Results.Json(new { error = "unable to parse authentication credentials" }, statusCode: StatusCodes.Status401Unauthorized)
                : Results.Json(new { code = "unauthorized", message = "unauthorized access" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        return answer();
    }

    /// <summary>InfluxQL over <c>/query</c> (v1): <c>q</c> from the query string or a form body, statements separated by ';'.</summary>
    private static async Task<IResult> QueryAsync(HttpContext context, TokenStore tokens)
    {
        var request = context.Request;
        var q = request.Query["q"].ToString();
        if (q.Length == 0 && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            q = form["q"].ToString();
        }

        return Authorized(context, tokens, v1: true, () =>
        {
            if (string.IsNullOrWhiteSpace(q))
            {
                return Results.Json(new { error = "missing required parameter \"q\"" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var statements = q.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var results = statements.Select((statement, i) => Answer(statement, i, request.Query["db"].ToString())).ToList();
            return Results.Text(JsonSerializer.Serialize(new { results }), "application/json", Encoding.UTF8);
        });
    }

    private static Dictionary<string, object> Answer(string statement, int id, string database)
    {
        var words = statement.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        string Word(int i) => i < words.Length ? words[i].ToUpperInvariant() : "";
        var result = new Dictionary<string, object> { ["statement_id"] = id };
        switch (Word(0), Word(1))
        {
            case ("CREATE", "DATABASE") when words.Length >= 3:
                Databases.TryAdd(Unquote(words[2]), 0);
                break;
            case ("CREATE", "RETENTION") or ("ALTER", "RETENTION") or ("DROP", "RETENTION"):
                // Retention is the database's business; the server keeps what docs/configuration.md says.
                break;
            case ("SHOW", "DATABASES"):
                result["series"] = new[] { Series("databases", ["name"], Databases.Keys.Order(StringComparer.Ordinal).Select(name => new object[] { name })) };
                break;
            case ("SHOW", "RETENTION") when Word(2) == "POLICIES":
                result["series"] = new[] { Series(null, ["name", "duration", "shardGroupDuration", "replicaN", "default"], [["autogen", "0s", "168h0m0s", 1, true]]) };
                break;
            case ("SHOW", "MEASUREMENTS"):
                result["series"] = new[] { Series("measurements", ["name"], [["edge_status"], ["meter"]]) };
                break;
            default:
                result["error"] = $"{(words.Length > 0 ? words[0] : "the statement")} is not supported here: monitoring serve takes writes " +
                    $"(measurements meter and edge_status{(database.Length > 0 ? $", database '{database}' or any other" : "")}); query InfluxDB, or the HTTP API under /api/v1, for data";
                break;
        }

        return result;
    }

    private static Dictionary<string, object> Series(string? name, string[] columns, IEnumerable<object[]> values)
    {
        var series = new Dictionary<string, object> { ["columns"] = columns, ["values"] = values.ToArray() };
        if (name is not null)
        {
            series["name"] = name;
        }

        return series;
    }

    private static string Unquote(string name) => name.Trim('"', '\'');

    /// <summary>A stable 16-hex id, as InfluxDB 2.x ids look, derived from a name.</summary>
    private static string IdOf(string name) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(name)).ToString("x16", CultureInfo.InvariantCulture);
}
