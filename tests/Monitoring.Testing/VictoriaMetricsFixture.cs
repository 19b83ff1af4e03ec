using System.Text.Json;
using InfluxDB.Client;

namespace Monitoring.Testing;

/// <summary>
/// The VictoriaMetrics server ./test.sh starts (<c>MONITORING_TEST_VICTORIAMETRICS=http://127.0.0.1:PORT</c>):
/// written to through InfluxDB.Client's v2 write API (VictoriaMetrics accepts <c>/api/v2/write</c> and ignores
/// the token), read back through its own export API.
/// </summary>
public sealed class VictoriaMetricsFixture : IDisposable
{
    public const string Organization = "monitoring";
    public const string Bucket = "monitoring";

    private readonly HttpClient _http;

    public VictoriaMetricsFixture()
    {
        BaseAddress = ServiceEnvironment.RequireHttpUri(ServiceEnvironment.VictoriaMetricsVariable, "VictoriaMetrics");
        _http = LoopbackHttp.CreateClient(BaseAddress);
        InfluxClient = new InfluxDBClient(new InfluxDBClientOptions(BaseAddress.ToString().TrimEnd('/'))
        {
            Token = "victoria-metrics-ignores-the-token",
            Org = Organization,
            Bucket = Bucket,
            Timeout = TestTimeouts.Operation,
        });
    }

    public Uri BaseAddress { get; }

    /// <summary>An InfluxDB v2 client pointed at VictoriaMetrics.</summary>
    public InfluxDBClient InfluxClient { get; }

    /// <summary>GET /internal/force_flush: makes recently written samples searchable at once.</summary>
    public async Task ForceFlushAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("internal/force_flush", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        await LoopbackHttp.EnsureSuccessAsync(response, "VictoriaMetrics force_flush", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// GET /api/v1/export?match[]=<paramref name="matchSelector"/> over all time: every matching series with its
    /// labels (including <c>__name__</c>), values and millisecond timestamps, sorted by labels.
    /// </summary>
    public async Task<IReadOnlyList<ExportedSeries>> ExportAsync(string matchSelector, CancellationToken cancellationToken)
    {
        var uri = new Uri($"api/v1/export?start=0&match[]={Uri.EscapeDataString(matchSelector)}", UriKind.Relative);
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        await LoopbackHttp.EnsureSuccessAsync(response, "VictoriaMetrics export", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);

        var series = new List<ExportedSeries>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in root.GetProperty("metric").EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? string.Empty;
            }

            var values = root.GetProperty("values").EnumerateArray().Select(ReadValue).ToList();
            var timestamps = root.GetProperty("timestamps").EnumerateArray().Select(t => t.GetInt64()).ToList();
            series.Add(new ExportedSeries(labels, values, timestamps));
        }

        return series.OrderBy(s => string.Join(',', s.Labels.Select(l => l.Key + "=" + l.Value)), StringComparer.Ordinal).ToList();
    }

    public void Dispose()
    {
        InfluxClient.Dispose();
        _http.Dispose();
    }

    // VictoriaMetrics writes NaN and the infinities as JSON strings.
    private static double ReadValue(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)
        : value.GetDouble();
}

/// <summary>One series of a VictoriaMetrics export.</summary>
public sealed record ExportedSeries(
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<double> Values,
    IReadOnlyList<long> TimestampsMs)
{
    public string MetricName => Labels.TryGetValue("__name__", out var name) ? name : string.Empty;

    public IReadOnlyList<DateTimeOffset> Times => TimestampsMs.Select(DateTimeOffset.FromUnixTimeMilliseconds).ToList();
}
