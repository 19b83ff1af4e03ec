using System.Text.RegularExpressions;
using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>Every dashboard file and the provisioning files follow the rules of dashboards as code (docs/deploy.md).</summary>
public sealed partial class DashboardStructureTests
{
    public static TheoryData<string> DashboardFiles() => [.. RepositoryPaths.DashboardFileNames()];

    [Fact]
    public void The_three_dashboards_exist_with_distinct_uids()
    {
        var dashboards = GrafanaDashboard.LoadAll();
        Assert.Equal(["edge-fleet-data-quality.json", "plant-energy-water.json", "programme-decarbonisation.json"], dashboards.Select(d => d.FileName));
        Assert.Equal(dashboards.Count, dashboards.Select(d => (string?)d.Root["uid"]).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Dashboard_is_portable_as_code(string file)
    {
        var dashboard = Load(file);
        var root = dashboard.Root;
        var uid = (string?)root["uid"];
        Assert.NotNull(uid);
        Assert.Matches(UidPattern(), uid);
        Assert.True(uid.Length <= 40, $"uid '{uid}' is longer than 40 characters");
        Assert.True(root.ContainsKey("id") && root["id"] is null, "id must be null: Grafana assigns it");
        Assert.Equal(GrafanaImage.SchemaVersion(), (int?)root["schemaVersion"]);
        Assert.False(root.ContainsKey("__inputs"), "__inputs belongs to exported dashboards, not provisioned ones");
        var text = File.ReadAllText(dashboard.Path);
        Assert.DoesNotContain("${DS_", text, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace((string?)root["title"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)root["description"]));
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Every_datasource_is_the_provisioned_one(string file)
    {
        var provisioned = GrafanaProvisioning.Datasources().Select(d => GrafanaProvisioning.Scalar(d, "uid")).ToHashSet();
        var references = Load(file).DatasourceReferences().Where(d => (string?)d["type"] != "grafana").ToList();
        Assert.NotEmpty(references);
        Assert.All(references, d =>
        {
            Assert.Equal("influxdb", (string?)d["type"]);
            Assert.Contains((string?)d["uid"], provisioned);
        });
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Every_panel_has_a_title_a_description_a_unit_thresholds_and_raw_influxql(string file)
    {
        var dashboard = Load(file);
        var panels = dashboard.Panels().ToList();
        Assert.Equal(panels.Count, panels.Select(p => (int?)p["id"]).Distinct().Count());
        Assert.All(panels, p => Assert.False(string.IsNullOrWhiteSpace((string?)p["title"]), $"panel {p["id"]} has no title"));
        Assert.All(dashboard.DataPanels(), panel =>
        {
            var title = (string?)panel["title"];
            Assert.False(string.IsNullOrWhiteSpace((string?)panel["description"]), $"'{title}' has no description");
            var defaults = panel["fieldConfig"]?["defaults"];
            Assert.False(string.IsNullOrWhiteSpace((string?)defaults?["unit"]), $"'{title}' has no unit");
            Assert.NotEmpty(defaults?["thresholds"]?["steps"]?.AsArray() ?? []);
            var targets = panel["targets"]?.AsArray() ?? [];
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => (string?)t!["refId"]).Distinct().Count());
            Assert.All(targets, t =>
            {
                Assert.True((bool?)t!["rawQuery"], $"'{title}': queries are raw InfluxQL");
                Assert.StartsWith("SELECT ", (string?)t["query"], StringComparison.Ordinal);
                Assert.NotEmpty(InfluxQlSelect.Aliases((string)t["query"]!));
            });
        });
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public void Site_variable_and_the_others_are_multi_select_queries(string file)
    {
        var variables = Load(file).Variables();
        Assert.Contains(variables, v => (string?)v["name"] == "site");
        Assert.All(variables, v =>
        {
            Assert.Equal("query", (string?)v["type"]);
            Assert.True((bool?)v["multi"], $"{v["name"]} is not multi-select");
            Assert.True((bool?)v["includeAll"], $"{v["name"]} has no All");
            Assert.StartsWith("SHOW TAG VALUES FROM ", (string?)v["query"], StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Plant_dashboard_filters_by_site_line_and_meter()
    {
        var plant = Load("plant-energy-water.json");
        Assert.Equal(["site", "line", "meter"], plant.Variables().Select(v => (string?)v["name"]));
        var queries = plant.Queries().Select(q => q.Query).ToList();
        Assert.Contains(queries, q => q.Contains("$line", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("$meter", StringComparison.Ordinal));
    }

    [Fact]
    public void Datasource_is_influxql_with_a_fixed_uid_and_no_secret()
    {
        var datasource = Assert.Single(GrafanaProvisioning.Datasources());
        Assert.Equal("monitoring-influxdb", GrafanaProvisioning.Scalar(datasource, "uid"));
        Assert.Equal("influxdb", GrafanaProvisioning.Scalar(datasource, "type"));
        var json = (YamlDotNet.RepresentationModel.YamlMappingNode)datasource["jsonData"];
        Assert.Equal("InfluxQL", GrafanaProvisioning.Scalar(json, "version"));
        Assert.Equal("${INFLUXDB_DATABASE}", GrafanaProvisioning.Scalar(json, "dbName"));
        Assert.Equal(TimeSpan.FromMinutes(1), GrafanaProvisioning.MinimumInterval("monitoring-influxdb"));
        var secure = (YamlDotNet.RepresentationModel.YamlMappingNode)datasource["secureJsonData"];
        Assert.Equal("Token ${INFLUXDB_TOKEN}", GrafanaProvisioning.Scalar(secure, "httpHeaderValue1"));
        Assert.Equal("${INFLUXDB_URL}", GrafanaProvisioning.Scalar(datasource, "url"));
    }

    [Fact]
    public void Dashboard_provider_reads_the_folder_compose_mounts()
    {
        var provider = GrafanaProvisioning.Files("dashboards").Select(GrafanaProvisioning.LoadYaml)
            .SelectMany(f => ((YamlDotNet.RepresentationModel.YamlSequenceNode)f["providers"]).Children.Cast<YamlDotNet.RepresentationModel.YamlMappingNode>())
            .Single();
        Assert.Equal("file", GrafanaProvisioning.Scalar(provider, "type"));
        var path = GrafanaProvisioning.Scalar((YamlDotNet.RepresentationModel.YamlMappingNode)provider["options"], "path");
        Assert.Contains("./dashboards:" + path + ":ro", ComposeFile.Load().ServiceVolumes("grafana"));
    }

    private static GrafanaDashboard Load(string file) => GrafanaDashboard.Load(Path.Combine(RepositoryPaths.Dashboards, file));

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex UidPattern();
}
