namespace Monitoring.Dashboards.Tests;

/// <summary>Files of the repository the tests read: found from the test binaries by looking up for Monitoring.sln.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Dashboards => Path.Combine(Root, "dashboards");

    public static string Provisioning => Path.Combine(Dashboards, "grafana", "provisioning");

    public static string Registry => Path.Combine(Root, "config");

    public static string Scenarios => Path.Combine(Root, "simulators", "scenarios");

    public static string Compose => Path.Combine(Root, "compose.yaml");

    /// <summary>Every dashboard JSON file (dashboards/*.json), sorted.</summary>
    public static IReadOnlyList<string> DashboardFiles() =>
        [.. Directory.EnumerateFiles(Dashboards, "*.json", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> DashboardFileNames() => [.. DashboardFiles().Select(f => Path.GetFileName(f))];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Monitoring.sln above {AppContext.BaseDirectory}.");
    }
}
