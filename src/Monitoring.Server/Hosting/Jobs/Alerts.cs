using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// A data-quality or leak finding for one source and local day. Its id is (kind, site, source, day), so a scan run
/// twice raises the same alert once. Kinds: <c>data_gap</c>, <c>frozen_meter</c>, <c>sentinel_burst</c>,
/// <c>counter_reset</c>, <c>night_flow</c>, <c>continuous_flow</c> (docs/api.md).
/// </summary>
internal sealed record Alert(
    string Id,
    string SiteId,
    string Kind,
    string Source,
    string Severity,
    DateOnly Day,
    DateTimeOffset Start,
    double Value,
    double? Threshold,
    string Message,
    DateTimeOffset RaisedAt)
{
    public static string IdOf(string kind, string site, string source, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}:{site}:{source}:{day:yyyy-MM-dd}");

    /// <summary>The <c>alert</c> point of docs/data-model.md (millisecond timestamp: the local day's start).</summary>
    public string ToLineProtocol()
    {
        var message = Message.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var threshold = Threshold is { } t && double.IsFinite(t) ? string.Create(CultureInfo.InvariantCulture, $",threshold={t:R}") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"alert,site={Escape(SiteId)},kind={Kind},source={Escape(Source)},severity={Severity} value={(double.IsFinite(Value) ? Value : 0):R}{threshold},message=\"{message}\" {Start.ToUnixTimeMilliseconds()}");
    }

    private static string Escape(string tag) => tag.Replace(" ", "\\ ", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);
}

/// <summary>The alert list (<c>{data}/kpi/alerts.json</c>): raised by the data-quality scan, read by the API. Thread-safe.</summary>
internal sealed class AlertBook
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly Dictionary<string, Alert> _alerts;

    public AlertBook(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "alerts.json");
        _alerts = File.Exists(_path)
            ? (JsonSerializer.Deserialize<List<Alert>>(File.ReadAllText(_path, Encoding.UTF8), Json) ?? []).ToDictionary(a => a.Id, StringComparer.Ordinal)
            : new Dictionary<string, Alert>(StringComparer.Ordinal);
    }

    /// <summary>Adds the alerts not raised before (by id) and saves; returns the new ones.</summary>
    public IReadOnlyList<Alert> Raise(IEnumerable<Alert> alerts)
    {
        lock (_lock)
        {
            var added = alerts.Where(a => _alerts.TryAdd(a.Id, a)).ToList();
            if (added.Count > 0)
            {
                File.WriteAllText(_path + ".tmp", JsonSerializer.Serialize(_alerts.Values.OrderBy(a => a.Start).ThenBy(a => a.Id, StringComparer.Ordinal), Json));
                File.Move(_path + ".tmp", _path, overwrite: true);
            }

            return added;
        }
    }

    public IReadOnlyList<Alert> All()
    {
        lock (_lock)
        {
            return [.. _alerts.Values.OrderBy(a => a.Start).ThenBy(a => a.Id, StringComparer.Ordinal)];
        }
    }
}
