using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// Turns a dashboard's InfluxQL into what Grafana sends to InfluxDB: template variables (every variable on "All",
/// its values taken from its own query, as Grafana does), <c>$timeFilter</c> for the panel's time range and
/// <c>$__interval</c>. Multi-value variables become <c>(a|b)</c> with each value regex-escaped, as the InfluxDB
/// datasource formats them for <c>=~ /^$var$/</c>.
/// </summary>
internal sealed partial class GrafanaQueryExpander
{
    /// <summary>Grafana's default when a panel sets no maxDataPoints (it uses the panel's width in pixels).</summary>
    private const int DefaultMaxDataPoints = 1000;

    private readonly GrafanaDashboard _dashboard;
    private readonly DateTimeOffset _now;
    private readonly TimeSpan _datasourceMinimum;
    private readonly Dictionary<string, IReadOnlyList<string>> _variables = new(StringComparer.Ordinal);

    private GrafanaQueryExpander(GrafanaDashboard dashboard, DateTimeOffset now, TimeSpan datasourceMinimum)
    {
        _dashboard = dashboard;
        _now = now;
        _datasourceMinimum = datasourceMinimum;
    }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Variables => _variables;

    /// <summary>Resolves the dashboard's variables in order, each query expanded with the ones before it.</summary>
    public static async Task<GrafanaQueryExpander> CreateAsync(
        GrafanaDashboard dashboard, DateTimeOffset now, TimeSpan datasourceMinimum, Func<string, Task<IReadOnlyList<string>>> runVariableQuery)
    {
        var expander = new GrafanaQueryExpander(dashboard, now, datasourceMinimum);
        foreach (var variable in dashboard.Variables())
        {
            var name = (string)variable["name"]!;
            var query = expander.ExpandVariables((string?)variable["query"] ?? string.Empty);
            expander._variables[name] = await runVariableQuery(query);
        }

        return expander;
    }

    public TimeZoneInfo Zone => (string?)_dashboard.Root["timezone"] switch
    {
        null or "" or "browser" or "utc" => TimeZoneInfo.Utc,
        var id => TimeZoneInfo.FindSystemTimeZoneById(id),
    };

    /// <summary>The query as Grafana would send it for this panel.</summary>
    public string Expand(PanelQuery query)
    {
        var time = _dashboard.Root["time"]!;
        var range = GrafanaTime.PanelRange((string)time["from"]!, (string)time["to"]!, (string?)query.Panel["timeFrom"], (string?)query.Panel["timeShift"], _now, Zone);
        var minimum = query.Panel["interval"] is { } panelInterval ? GrafanaTime.ParseDuration((string)panelInterval!) : _datasourceMinimum;
        var maxDataPoints = (int?)query.Panel["maxDataPoints"] ?? DefaultMaxDataPoints;
        var interval = GrafanaTime.Interval(range, maxDataPoints, minimum);
        var text = query.Query
            .Replace("$timeFilter", string.Create(CultureInfo.InvariantCulture, $"time >= {range.From.ToUnixTimeMilliseconds()}ms and time <= {range.To.ToUnixTimeMilliseconds()}ms"), StringComparison.Ordinal)
            .Replace("$__interval", GrafanaTime.Format(interval), StringComparison.Ordinal);
        text = ExpandVariables(text);
        var left = Unexpanded().Match(text);
        return left.Success ? throw new InvalidOperationException($"{query}: '{left.Value}' is not a variable or macro the dashboards may use: {text}") : text;
    }

    private string ExpandVariables(string text) => VariableReference().Replace(text, match =>
    {
        var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["plain"].Value;
        return _variables.TryGetValue(name, out var values) ? Format(values) : match.Value;
    });

    private static string Format(IReadOnlyList<string> values)
    {
        var escaped = values.Select(EscapeRegex).ToList();
        return escaped.Count == 1 ? escaped[0] : "(" + string.Join('|', escaped) + ")";
    }

    private static string EscapeRegex(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (@"\^$*+?.()|[]{}/".Contains(c, StringComparison.Ordinal))
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }

    [GeneratedRegex(@"\$\{(?<braced>\w+)\}|\$(?<plain>[A-Za-z]\w*)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"\$(\{|\w)|\[\[")]
    private static partial Regex Unexpanded();
}
