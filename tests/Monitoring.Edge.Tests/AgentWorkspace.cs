namespace Monitoring.Edge.Tests;

/// <summary>
/// A test's folder for real agent processes (configuration, buffer) and the processes it started: whatever happened in
/// the test, none of them outlives it and the folder is removed.
/// </summary>
internal sealed class AgentWorkspace : IAsyncDisposable
{
    private readonly List<AgentProcess> _agents = [];

    public AgentWorkspace(string name) => Folder = Directory.CreateTempSubdirectory(name + "-").FullName;

    public string Folder { get; }

    public AgentProcess Start(string config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var agent = AgentProcess.Start(config, environment);
        _agents.Add(agent);
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
