using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>Files of the repository the tests read.</summary>
internal static class RepositoryPaths
{
    public static string Root => Repository.Root;

    public static string Dashboards => Path.Combine(Root, "dashboards");

    public static string Provisioning => Path.Combine(Dashboards, "grafana", "provisioning");

    public static string Registry => Path.Combine(Root, "config");

    public static string Scenarios => Path.Combine(Root, "simulators", "scenarios");

    public static string Compose => ComposeFile.FilePath;

    /// <summary>Every dashboard JSON file (dashboards/*.json), sorted.</summary>
    public static IReadOnlyList<string> DashboardFiles() =>
        [.. Directory.EnumerateFiles(Dashboards, "*.json", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> DashboardFileNames() => [.. DashboardFiles().Select(f => Path.GetFileName(f))];
}
