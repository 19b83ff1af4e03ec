using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>The Grafana image compose.yaml pins, and what the dashboards must agree with it on.</summary>
internal static class GrafanaImage
{
    /// <summary>
    /// The dashboard schema version each pinned Grafana image writes. The dashboards carry it, so that Grafana does
    /// not migrate them at every load: a Grafana upgrade updates this table and the dashboards together.
    /// </summary>
    private static readonly Dictionary<string, int> SchemaVersionOfGrafana = new(StringComparer.Ordinal)
    {
        ["grafana/grafana:12.0.2"] = 41,
    };

    public static int SchemaVersion()
    {
        var image = ComposeFile.Scalar(ComposeFile.Load().Service("grafana"), "image")!;
        return SchemaVersionOfGrafana.TryGetValue(image, out var version)
            ? version
            : throw new InvalidOperationException($"compose.yaml pins {image}: add the schemaVersion it writes to the table in GrafanaImage, and update the dashboards");
    }
}
