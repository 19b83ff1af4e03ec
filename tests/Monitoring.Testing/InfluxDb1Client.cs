using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Monitoring.Testing;

/// <summary>
/// A small client for the InfluxDB 1.x HTTP API (<c>/write</c>, <c>/query</c>): InfluxDB 1.6 has no
/// <c>/api/v2/write</c>, so InfluxDB.Client cannot talk to it.
/// </summary>
public sealed class InfluxDb1Client : IDisposable
{
    private readonly HttpClient _http;

    public InfluxDb1Client(Uri baseAddress, TimeSpan? timeout = null)
    {
        BaseAddress = baseAddress;
        _http = LoopbackHttp.CreateClient(baseAddress, timeout);
    }

    public Uri BaseAddress { get; }

    /// <summary>GET /ping; true on 204.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("ping", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.StatusCode == System.Net.HttpStatusCode.NoContent;
    }

    /// <summary>CREATE DATABASE (idempotent in InfluxDB 1.x).</summary>
    public Task CreateDatabaseAsync(string database, CancellationToken cancellationToken) =>
        ExecuteAsync(null, $"CREATE DATABASE {QuoteIdentifier(database)}", cancellationToken);

    /// <summary>DROP DATABASE.</summary>
    public Task DropDatabaseAsync(string database, CancellationToken cancellationToken) =>
        ExecuteAsync(null, $"DROP DATABASE {QuoteIdentifier(database)}", cancellationToken);

    /// <summary>POST /write: line protocol with timestamps in <paramref name="precision"/> (ns, u, ms, s, m, h).</summary>
    public async Task WriteAsync(string database, string lineProtocol, string precision, CancellationToken cancellationToken)
    {
        var uri = new Uri(
            $"write?db={Uri.EscapeDataString(database)}&precision={Uri.EscapeDataString(precision)}",
            UriKind.Relative);
        using var content = new StringContent(lineProtocol, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync(uri, content, cancellationToken).ConfigureAwait(false);
        await LoopbackHttp.EnsureSuccessAsync(response, "InfluxDB 1.x write", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// GET /query with <c>epoch=ns</c>: one InfluxQL statement, its series. Throws when InfluxDB reports an error.
    /// </summary>
    public async Task<IReadOnlyList<InfluxSeries>> QueryAsync(string database, string influxQl, CancellationToken cancellationToken)
    {
        var uri = new Uri(
            $"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(influxQl)}",
            UriKind.Relative);
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        return await ReadAnswerAsync(response, influxQl, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>An identifier in double quotes, with quotes and backslashes escaped (InfluxQL).</summary>
    public static string QuoteIdentifier(string identifier) =>
        "\"" + identifier.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A string literal in single quotes (InfluxQL).</summary>
    public static string QuoteLiteral(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private async Task ExecuteAsync(string? database, string statement, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["q"] = statement };
        if (database is not null)
        {
            form["db"] = database;
        }

        using var content = new FormUrlEncodedContent(form);
        using var response = await _http.PostAsync(new Uri("query", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        _ = await ReadAnswerAsync(response, statement, cancellationToken).ConfigureAwait(false);
    }

    // InfluxQL errors come back as {"error": "..."} with 400 (parse errors) or 200 (per statement): both are
    // InvalidOperationException with InfluxDB's message; any other failure is an HttpRequestException.
    private static async Task<List<InfluxSeries>> ReadAnswerAsync(HttpResponseMessage response, string statement, CancellationToken cancellationToken)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.BadRequest)
        {
            await LoopbackHttp.EnsureSuccessAsync(response, "InfluxDB 1.x query", cancellationToken).ConfigureAwait(false);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var series = ParseSeries(body, statement);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            throw new HttpRequestException($"InfluxDB answered 400 to `{statement}`: {body}", null, response.StatusCode);
        }

        return series;
    }

    private static List<InfluxSeries> ParseSeries(string body, string statement)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var topError))
        {
            throw new InvalidOperationException($"InfluxDB rejected `{statement}`: {topError.GetString()}");
        }

        var series = new List<InfluxSeries>();
        foreach (var result in root.GetProperty("results").EnumerateArray())
        {
            if (result.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"InfluxDB rejected `{statement}`: {error.GetString()}");
            }

            if (!result.TryGetProperty("series", out var seriesArray))
            {
                continue;
            }

            foreach (var item in seriesArray.EnumerateArray())
            {
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                if (item.TryGetProperty("tags", out var tagObject))
                {
                    foreach (var tag in tagObject.EnumerateObject())
                    {
                        tags[tag.Name] = tag.Value.GetString() ?? string.Empty;
                    }
                }

                var columns = item.GetProperty("columns").EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToList();
                var rows = new List<IReadOnlyList<JsonElement>>();
                if (item.TryGetProperty("values", out var values))
                {
                    foreach (var row in values.EnumerateArray())
                    {
                        rows.Add(row.EnumerateArray().Select(v => v.Clone()).ToList());
                    }
                }

                series.Add(new InfluxSeries(item.GetProperty("name").GetString() ?? string.Empty, tags, columns, rows));
            }
        }

        return series;
    }
}

/// <summary>One series of an InfluxQL answer; times are epoch nanoseconds (the client asks for <c>epoch=ns</c>).</summary>
public sealed record InfluxSeries(
    string Name,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<JsonElement>> Values)
{
    public int ColumnIndex(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new KeyNotFoundException($"Series '{Name}' has no column '{column}' (columns: {string.Join(", ", Columns)}).");
    }

    public double GetDouble(int row, string column) => Values[row][ColumnIndex(column)].GetDouble();

    public long GetInt64(int row, string column) => Values[row][ColumnIndex(column)].GetInt64();

    public string? GetString(int row, string column) => Values[row][ColumnIndex(column)].GetString();

    /// <summary>The <c>time</c> column of <paramref name="row"/> in epoch nanoseconds.</summary>
    public long GetEpochNanoseconds(int row) => GetInt64(row, "time");

    /// <summary>The <c>time</c> column of <paramref name="row"/> (100 ns resolution).</summary>
    public DateTimeOffset GetTime(int row) =>
        DateTimeOffset.UnixEpoch.AddTicks(GetEpochNanoseconds(row) / 100);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Name} {string.Join(',', Tags.Select(t => t.Key + "=" + t.Value))} [{string.Join(", ", Columns)}] {string.Join(" ", Values.Select(r => "[" + string.Join(", ", r) + "]"))}");
}
