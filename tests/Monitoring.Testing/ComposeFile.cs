using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Testing;

/// <summary>compose.yaml read as YAML, with its merge keys (<c>&lt;&lt;: *anchor</c>) applied to the services.</summary>
public sealed partial class ComposeFile
{
    private ComposeFile(YamlMappingNode root) => Root = root;

    public YamlMappingNode Root { get; }

    /// <summary>The repository's compose.yaml.</summary>
    public static string FilePath => Path.Combine(Repository.Root, "compose.yaml");

    public static ComposeFile Load()
    {
        using var reader = new StreamReader(FilePath);
        var stream = new YamlStream();
        stream.Load(reader);
        return new ComposeFile((YamlMappingNode)stream.Documents[0].RootNode);
    }

    public IReadOnlyList<string> ServiceNames() =>
        [.. ((YamlMappingNode)Root["services"]).Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!)];

    /// <summary>A service with the mappings it merges (<c>&lt;&lt;</c>) applied underneath its own keys.</summary>
    public YamlMappingNode Service(string name) => Merged((YamlMappingNode)((YamlMappingNode)Root["services"])[name]);

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    public static YamlMappingNode? Mapping(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? Merged((YamlMappingNode)value) : null;

    public static IReadOnlyList<string> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode sequence
            ? [.. sequence.Children.Cast<YamlScalarNode>().Select(s => s.Value!)]
            : [];

    public IReadOnlyList<string> ServiceVolumes(string service) => Sequence(Service(service), "volumes");

    /// <summary>Every <c>${NAME}</c> the file reads from the environment (.env).</summary>
    public static IReadOnlyList<string> EnvironmentReferences() =>
        [.. VariableReference().Matches(File.ReadAllText(FilePath)).Select(m => m.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal)];

    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var mergeKey = new YamlScalarNode("<<");
        if (!node.Children.TryGetValue(mergeKey, out var merged))
        {
            return node;
        }

        var result = new YamlMappingNode();
        foreach (var (key, value) in Merged((YamlMappingNode)merged).Children)
        {
            result.Children[key] = value;
        }

        foreach (var (key, value) in node.Children.Where(kv => !kv.Key.Equals(mergeKey)))
        {
            result.Children[key] = value;
        }

        return result;
    }

    [GeneratedRegex(@"(?<!\$)\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariableReference();
}
