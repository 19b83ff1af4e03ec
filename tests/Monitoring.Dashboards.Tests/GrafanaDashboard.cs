using System.Text.Json.Nodes;

namespace Monitoring.Dashboards.Tests;

/// <summary>One query of one panel, as it stands in a dashboard file.</summary>
internal sealed record PanelQuery(GrafanaDashboard Dashboard, JsonObject Panel, JsonObject Target)
{
    public string Title => (string?)Panel["title"] ?? "(no title)";

    public string RefId => (string?)Target["refId"] ?? "?";

    public string Query => (string?)Target["query"] ?? string.Empty;

    public override string ToString() => $"{Dashboard.FileName} / {Title} / {RefId}";
}

/// <summary>A dashboard JSON file: its panels (rows' nested panels included), targets and template variables.</summary>
internal sealed class GrafanaDashboard
{
    private GrafanaDashboard(string path, JsonObject root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public JsonObject Root { get; }

    public static GrafanaDashboard Load(string path) =>
        new(path, JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path} is not a JSON object"));

    public static IReadOnlyList<GrafanaDashboard> LoadAll() => [.. RepositoryPaths.DashboardFiles().Select(Load)];

    /// <summary>Every panel, the panels of collapsed rows included; rows themselves too.</summary>
    public IEnumerable<JsonObject> Panels()
    {
        foreach (var panel in Root["panels"]?.AsArray() ?? [])
        {
            var p = panel!.AsObject();
            yield return p;
            foreach (var nested in p["panels"]?.AsArray() ?? [])
            {
                yield return nested!.AsObject();
            }
        }
    }

    /// <summary>Panels that show data (not rows).</summary>
    public IEnumerable<JsonObject> DataPanels() => Panels().Where(p => (string?)p["type"] != "row");

    public IEnumerable<PanelQuery> Queries() =>
        DataPanels().SelectMany(p => (p["targets"]?.AsArray() ?? []).Select(t => new PanelQuery(this, p, t!.AsObject())));

    public IReadOnlyList<JsonObject> Variables() => [.. (Root["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject())];

    /// <summary>Every <c>datasource</c> object anywhere in the file (panels, targets, variables, annotations).</summary>
    public IEnumerable<JsonObject> DatasourceReferences() => Walk(Root)
        .OfType<JsonObject>()
        .Where(o => o["datasource"] is JsonObject)
        .Select(o => o["datasource"]!.AsObject());

    private static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(kv => kv.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
        {
            foreach (var descendant in Walk(child))
            {
                yield return descendant;
            }
        }
    }
}
