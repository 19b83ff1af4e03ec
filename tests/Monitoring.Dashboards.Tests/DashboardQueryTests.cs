using System.Text.Json;
using Xunit.Abstractions;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// Every panel query, expanded as Grafana would (variables on All, <c>$timeFilter</c>, <c>$__interval</c>, the panel's
/// relative time) against <see cref="DashboardDataFiller.Now"/>, runs on InfluxDB 1.x filled with the simulated plants
/// through <c>monitoring serve</c> and returns rows with the columns its aliases name, each with at least one value.
/// </summary>
public sealed class DashboardQueryTests(FilledInfluxDb influx, ITestOutputHelper output) : IClassFixture<FilledInfluxDb>
{
    public static TheoryData<string, int, string> PanelQueries()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var query in GrafanaDashboard.LoadAll().SelectMany(d => d.Queries()))
        {
            data.Add(query.Dashboard.FileName, (int)query.Panel["id"]!, query.RefId);
        }

        return data;
    }

    public static TheoryData<string> DashboardFiles() => [.. RepositoryPaths.DashboardFileNames()];

    [Fact]
    public async Task Simulated_plants_fill_every_measurement_of_the_data_model()
    {
        output.WriteLine(influx.Summary.ToString());
        var measurements = await influx.Client.QueryAsync(influx.Database, "SHOW MEASUREMENTS", CancellationToken.None);

        Assert.Equal(
            ["alert", "edge_status", "interval_meter", "interval_node", "interval_series", "kpi_baseline", "kpi_demand", "kpi_intensity",
             "kpi_night", "kpi_project", "kpi_savings", "kpi_trajectory", "quarantine"],
            measurements.Single().Values.Select(row => row[0].GetString()));
        // Every simulated reading was taken; the only readings set aside are the refused lines the filler sent.
        Assert.True(influx.Summary.ReadingsApplied > 5_000_000, influx.Summary.ToString());
        Assert.Equal(influx.Summary.RefusedSent, influx.Summary.Quarantined);
    }

    [Fact]
    public async Task Quarter_hours_and_hours_reach_influxdb_within_their_retention_only_days_and_months_since_2023()
    {
        var cutoff = DashboardDataFiller.Now - DashboardDataFiller.DetailRetention;
        async Task<long> CountAsync(string resolution, string where)
        {
            var series = await influx.Client.QueryAsync(
                influx.Database, $"SELECT count(\"consumption\") FROM \"interval_node\" WHERE \"resolution\" = '{resolution}' AND {where}", CancellationToken.None);
            return series.Sum(s => s.Values.Sum(row => row[1].GetInt64()));
        }

        var old = $"time < '{cutoff.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}'";
        var recent = $"time >= '{cutoff.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}'";
        Assert.Equal((0L, 0L), (await CountAsync("15m", old), await CountAsync("1h", old)));
        Assert.True(await CountAsync("15m", recent) > 4 * await CountAsync("1h", recent) * 0.99, "quarter hours of the last weeks are missing");
        Assert.True(await CountAsync("1d", "time < '2023-02-01T00:00:00Z'") > 0, "days of the baseline year are missing");
        Assert.True(await CountAsync("1mo", "time < '2024-01-01T00:00:00Z'") > 0, "months of the baseline year are missing");
        Assert.True(influx.Summary.LinesBeyondRetention > 10_000_000, influx.Summary.ToString());
    }

    [Theory]
    [MemberData(nameof(DashboardFiles))]
    public async Task Every_variable_query_finds_values(string file)
    {
        var expander = await ExpanderAsync(GrafanaDashboard.Load(Path.Combine(RepositoryPaths.Dashboards, file)));
        Assert.All(expander.Variables, v => Assert.NotEmpty(v.Value));
        Assert.Equal(["casa-aero", "tanger-mach"], expander.Variables["site"]);
    }

    [Theory]
    [MemberData(nameof(PanelQueries))]
    public async Task Panel_query_returns_its_columns_with_data(string file, int panelId, string refId)
    {
        var dashboard = GrafanaDashboard.Load(Path.Combine(RepositoryPaths.Dashboards, file));
        var query = dashboard.Queries().Single(q => (int)q.Panel["id"]! == panelId && q.RefId == refId);
        var expander = await ExpanderAsync(dashboard);
        var influxQl = expander.Expand(query);

        var series = await influx.Client.QueryAsync(influx.Database, influxQl, CancellationToken.None);

        Assert.True(series.Sum(s => s.Values.Count) > 0, $"{query}: no rows for {influxQl}");
        var aliases = InfluxQlSelect.Aliases(query.Query);
        Assert.All(series, s => Assert.Equal(["time", .. aliases], s.Columns));
        foreach (var alias in aliases)
        {
            Assert.True(
                series.Any(s => s.Values.Any(row => row[s.ColumnIndex(alias)].ValueKind != JsonValueKind.Null)),
                $"{query}: column '{alias}' is empty in every row of {influxQl}");
        }
    }

    private async Task<GrafanaQueryExpander> ExpanderAsync(GrafanaDashboard dashboard) =>
        await GrafanaQueryExpander.CreateAsync(dashboard, DashboardDataFiller.Now, GrafanaProvisioning.MinimumInterval("monitoring-influxdb"), async variableQuery =>
        {
            var answer = await influx.Client.QueryAsync(influx.Database, variableQuery, CancellationToken.None);
            return [.. answer.SelectMany(s => s.Values.Select(row => row[s.ColumnIndex("value")].GetString()!)).Distinct().Order(StringComparer.Ordinal)];
        });
}
