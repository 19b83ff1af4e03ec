using System.Collections.Concurrent;

namespace Monitoring.Ingestion;

/// <summary>
/// The edge agents each site has reported health for, up to <see cref="MaxAgentsPerSite"/>: a new agent name past
/// the limit is refused (and counted), so that a writer cannot grow the health series without bound. Rebuilt from
/// what arrives after a restart. Thread-safe.
/// </summary>
public sealed class AgentDirectory(int maxAgentsPerSite = 256)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _sites = new(StringComparer.Ordinal);
    private long _refused;

    public int MaxAgentsPerSite { get; } = maxAgentsPerSite;

    /// <summary>Health lines refused because their site had reached the limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Whether the agent is known at the site, or may join it.</summary>
    public bool TryAdmit(string site, string agent)
    {
        var agents = _sites.GetOrAdd(site, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        if (agents.ContainsKey(agent))
        {
            return true;
        }

        lock (agents)
        {
            if (agents.Count >= MaxAgentsPerSite)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }

            agents.TryAdd(agent, 0);
            return true;
        }
    }

    public int Count(string site) => _sites.TryGetValue(site, out var agents) ? agents.Count : 0;
}
