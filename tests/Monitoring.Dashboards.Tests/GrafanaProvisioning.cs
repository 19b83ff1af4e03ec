using YamlDotNet.RepresentationModel;

namespace Monitoring.Dashboards.Tests;

/// <summary>The provisioning files in dashboards/grafana/provisioning, read as YAML.</summary>
internal static class GrafanaProvisioning
{
    public static YamlMappingNode LoadYaml(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static IReadOnlyList<string> Files(string kind) =>
        [.. Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Provisioning, kind), "*.yaml").Order(StringComparer.Ordinal)];

    /// <summary>Every datasource the provisioning files define.</summary>
    public static IReadOnlyList<YamlMappingNode> Datasources() =>
        [.. Files("datasources").SelectMany(f => ((YamlSequenceNode)LoadYaml(f)["datasources"]).Children.Cast<YamlMappingNode>())];

    /// <summary>The datasource's <c>jsonData.timeInterval</c>: the lower bound of <c>$__interval</c>.</summary>
    public static TimeSpan MinimumInterval(string uid)
    {
        var datasource = Datasources().Single(d => Scalar(d, "uid") == uid);
        var text = Scalar((YamlMappingNode)datasource["jsonData"], "timeInterval") ?? throw new InvalidDataException($"datasource {uid} has no timeInterval");
        return GrafanaTime.ParseDuration(text);
    }

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;
}
