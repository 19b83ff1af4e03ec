using System.Collections.Concurrent;
using Monitoring.LineProtocol;

namespace Monitoring.Server.Hosting;

/// <summary>The latest <c>edge_status</c> of one agent: its site, when it was stamped, and its numeric fields.</summary>
internal sealed record EdgeAgentStatus(string SiteId, string Agent, DateTimeOffset At, IReadOnlyDictionary<string, double> Fields);

/// <summary>
/// Keeps the latest <c>edge_status</c> line of each agent for the API (the lines themselves go on to the sink).
/// Fed by the aggregation loop through <see cref="PipelineOutput"/>; health lines are rare (one per agent per
/// health interval), so parsing them with the allocating model is fine.
/// </summary>
internal sealed class EdgeStatusBoard
{
    private readonly ConcurrentDictionary<(string Site, string Agent), EdgeAgentStatus> _agents = new();

    /// <summary>Takes a pass-through line (millisecond timestamp); anything but <c>edge_status</c> with site and agent tags is ignored.</summary>
    public void Observe(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("edge_status,"u8))
        {
            return;
        }

        var parsed = LineProtocolParser.ParseAll(line, LineProtocolPrecision.Milliseconds);
        if (parsed.Lines is not [var point])
        {
            return;
        }

        var site = point.Tags.FirstOrDefault(t => t.Key == "site").Value;
        var agent = point.Tags.FirstOrDefault(t => t.Key == "agent").Value;
        if (site is null || agent is null)
        {
            return;
        }

        var fields = point.Fields.Where(f => f.Value is double or long or ulong or bool)
            .ToDictionary(f => f.Key, f => f.Value switch { bool b => b ? 1.0 : 0.0, var v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) }, StringComparer.Ordinal);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(point.Timestamp / 1_000_000);
        _agents.AddOrUpdate((site, agent), new EdgeAgentStatus(site, agent, at, fields), (_, old) => old.At > at ? old : new EdgeAgentStatus(site, agent, at, fields));
    }

    public IReadOnlyList<EdgeAgentStatus> All() => [.. _agents.Values.OrderBy(a => a.SiteId, StringComparer.Ordinal).ThenBy(a => a.Agent, StringComparer.Ordinal)];
}
