using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Reports;
using Monitoring.Server.Hosting.Jobs;

namespace Monitoring.Server.Tests;

/// <summary>The read API of <c>monitoring serve</c> through real HTTP on loopback: data, roles and scopes, errors.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Hour0 = FloorHour(DateTimeOffset.UtcNow.AddDays(-2));
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync(prepareData: SeedArchive);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_meter_fields_intervals_and_its_rollup_node_hold_the_consumption_written_through_the_write_api()
    {
        await WriteIncomerAsync();
        var range = $"resolution=1h&from={Iso(Hour0)}&to={Iso(Hour0.AddHours(6))}";

        using var series = await _api.GetAsync($"/api/v1/sites/casa-aero/meters/main-incomer/intervals?field=energy_import_kwh&{range}", "manager-casa");

        Assert.Equal(HttpStatusCode.OK, series.StatusCode);
        using var seriesJson = await Json(series);
        Assert.Equal("counter", seriesJson.RootElement.GetProperty("kind").GetString());
        var hours = seriesJson.RootElement.GetProperty("intervals").EnumerateArray().ToList();
        Assert.Equal(5, hours.Count);
        Assert.All(hours, h => Assert.Equal(40.0, h.GetProperty("consumption").GetDouble(), 9));
        Assert.Equal(40.0, hours[0].GetProperty("demand").GetDouble(), 9);
        Assert.Equal(Hour0, hours[0].GetProperty("start").GetDateTimeOffset());

        using var nodeJson = await _api.GetJsonWhenAsync($"/api/v1/sites/casa-aero/nodes/meter/main-incomer/intervals?carrier=electricity&{range}", "manager-casa",
            json => json.GetProperty("series")[0].GetProperty("intervals").GetArrayLength() >= 5);
        var nodeHours = nodeJson.RootElement.GetProperty("series")[0].GetProperty("intervals").EnumerateArray().ToList();
        Assert.Equal(5, nodeHours.Count);
        Assert.All(nodeHours, h => Assert.Equal(40.0, h.GetProperty("consumption").GetDouble(), 9));
        Assert.True(nodeHours[0].GetProperty("co2e_kg").GetDouble() > 0);
    }

    [Fact]
    public async Task Without_a_token_or_with_an_unknown_one_every_api_route_answers_401_with_problem_details()
    {
        string[] routes =
        [
            "/api/v1/sites", "/api/v1/sites/casa-aero", "/api/v1/sites/casa-aero/meters", "/api/v1/sites/casa-aero/meters/main-incomer/intervals",
            "/api/v1/sites/casa-aero/nodes/site/casa-aero/intervals", "/api/v1/sites/casa-aero/intensities", "/api/v1/sites/casa-aero/baselines",
            "/api/v1/sites/casa-aero/baselines/energy/history", "/api/v1/sites/casa-aero/savings", "/api/v1/programmes",
            "/api/v1/programmes/ma-industry-2030/intervals", "/api/v1/programmes/ma-industry-2030/progress", "/api/v1/programmes/ma-industry-2030/projects",
            "/api/v1/programmes/ma-industry-2030/reports/2024-01", "/api/v1/alerts", "/api/v1/quarantine", "/api/v1/agents", "/api/v1/jobs",
        ];
        foreach (var route in routes)
        {
            using var none = await _api.GetAsync(route, token: null);
            using var unknown = new HttpRequestMessage(HttpMethod.Get, route);
            unknown.Headers.Authorization = new("Bearer", "mon_not-a-token");
            using var wrong = await _api.Server.Http.SendAsync(unknown);

            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
            using var problem = await Json(none);
            Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        }
    }

    [Fact]
    public async Task A_plant_manager_reads_its_own_site_only_and_neither_another_site_nor_the_programme()
    {
        using var own = await _api.GetAsync("/api/v1/sites/casa-aero", "manager-casa");
        using var other = await _api.GetAsync("/api/v1/sites/tanger-mach/meters/main-incomer/intervals", "manager-casa");
        using var otherSite = await _api.GetAsync("/api/v1/sites/tanger-mach", "manager-casa");
        using var programme = await _api.GetAsync("/api/v1/programmes/ma-industry-2030/progress?month=2024-01", "manager-casa");
        using var list = await _api.GetAsync("/api/v1/sites", "manager-casa");
        using var programmes = await _api.GetAsync("/api/v1/programmes", "manager-casa");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, programme.StatusCode);
        using var problem = await Json(other);
        Assert.Contains("tanger-mach", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var sites = await Json(list);
        Assert.Equal(["casa-aero"], sites.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        using var visible = await Json(programmes);
        Assert.Equal(0, visible.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task A_programme_officer_reads_the_programme_and_its_sites_while_a_writer_may_not_read()
    {
        using var sites = await _api.GetAsync("/api/v1/sites", "officer-programme");
        using var site = await _api.GetAsync("/api/v1/sites/tanger-mach/meters", "officer-programme");
        using var projects = await _api.GetAsync("/api/v1/programmes/ma-industry-2030/projects?year=2024", "officer-programme");
        using var writer = await _api.GetAsync("/api/v1/sites", "telegraf");
        using var writerJobs = await _api.GetAsync("/api/v1/jobs", "officer-programme");

        using var siteList = await Json(sites);
        Assert.Equal(["casa-aero", "tanger-mach"], siteList.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.OK, site.StatusCode);
        Assert.Equal(HttpStatusCode.OK, projects.StatusCode);
        using var cases = await Json(projects);
        Assert.True(cases.RootElement.GetArrayLength() > 0);
        Assert.All(cases.RootElement.EnumerateArray(), c => Assert.True(c.GetProperty("business_case").TryGetProperty("npv", out _)));
        Assert.Equal(HttpStatusCode.Forbidden, writer.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, writerJobs.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/sites/nowhere", HttpStatusCode.NotFound, "no site 'nowhere'")]
    [InlineData("/api/v1/sites/casa-aero/meters/nothing/intervals", HttpStatusCode.NotFound, "no meter 'nothing'")]
    [InlineData("/api/v1/sites/casa-aero/meters/main-incomer/intervals?field=volume_m3", HttpStatusCode.BadRequest, "has no series 'volume_m3'")]
    [InlineData("/api/v1/sites/casa-aero/meters/main-incomer/intervals?resolution=2h", HttpStatusCode.BadRequest, "resolution '2h'")]
    [InlineData("/api/v1/sites/casa-aero/meters/main-incomer/intervals?from=yesterday", HttpStatusCode.BadRequest, "'yesterday' is neither")]
    [InlineData("/api/v1/sites/casa-aero/meters/main-incomer/intervals?from=2025-02-02&to=2025-02-01", HttpStatusCode.BadRequest, "from must be before to")]
    [InlineData("/api/v1/sites/casa-aero/nodes/floor/x/intervals", HttpStatusCode.BadRequest, "level 'floor'")]
    [InlineData("/api/v1/sites/casa-aero/nodes/line/machining/intervals?carrier=steam", HttpStatusCode.BadRequest, "carrier 'steam'")]
    [InlineData("/api/v1/sites/casa-aero/baselines/energy/history", HttpStatusCode.NotFound, "no baseline 'energy'")]
    [InlineData("/api/v1/sites/casa-aero/savings?target=water", HttpStatusCode.NotFound, "no baseline 'water'")]
    [InlineData("/api/v1/programmes/nothing/progress", HttpStatusCode.NotFound, "no programme 'nothing'")]
    [InlineData("/api/v1/programmes/ma-industry-2030/reports/2024-13", HttpStatusCode.BadRequest, "is not yyyy-MM")]
    [InlineData("/api/v1/programmes/ma-industry-2030/reports/2023-05", HttpStatusCode.UnprocessableEntity, "baseline year 2023")]
    [InlineData("/api/v1/programmes/ma-industry-2030/reports/2024-01?format=csv&table=nope", HttpStatusCode.BadRequest, "table 'nope'")]
    [InlineData("/api/v1/programmes/ma-industry-2030/reports/2024-01?format=pdf", HttpStatusCode.BadRequest, "format 'pdf'")]
    public async Task Bad_requests_get_problem_details_with_the_reason(string route, HttpStatusCode status, string detail)
    {
        using var response = await _api.GetAsync(route, "root");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = await Json(response);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Programme_report_baselines_savings_and_progress_come_from_the_daily_records_and_the_refit()
    {
        await _api.Server.Host.Services.GetRequiredService<MonitoringJobs>().RefitBaselinesAsync(CancellationToken.None);

        using var baselines = await _api.GetAsync("/api/v1/sites/casa-aero/baselines", "manager-casa");
        using var history = await _api.GetAsync("/api/v1/sites/casa-aero/baselines/energy/history", "manager-casa");
        using var savings = await _api.GetAsync("/api/v1/sites/casa-aero/savings?target=energy&from=2024-01-01&to=2024-02-01", "manager-casa");
        using var progress = await _api.GetAsync("/api/v1/programmes/ma-industry-2030/progress?month=2024-01", "officer-programme");
        using var html = await _api.GetAsync("/api/v1/programmes/ma-industry-2030/reports/2024-01", "officer-programme");
        using var csv = await _api.GetAsync("/api/v1/programmes/ma-industry-2030/reports/2024-01?format=csv&table=month-sites", "officer-programme");

        using var latest = await Json(baselines);
        var energy = latest.RootElement.EnumerateArray().Single(b => b.GetProperty("target").GetString() == "energy");
        Assert.Equal(1, energy.GetProperty("version").GetInt32());
        Assert.Equal("2023-01-01", energy.GetProperty("from").GetString());
        Assert.Equal(365, energy.GetProperty("days").GetInt32());
        Assert.True(energy.GetProperty("model").GetProperty("statistics").GetProperty("r_squared").GetDouble() > 0.95);
        using var versions = await Json(history);
        Assert.Equal(1, versions.RootElement.GetArrayLength());

        Assert.Equal(HttpStatusCode.OK, savings.StatusCode);
        using var saved = await Json(savings);
        Assert.Equal(0.10, saved.RootElement.GetProperty("improvement").GetDouble(), 2);
        var days = saved.RootElement.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(31, days.Count);
        Assert.Equal(saved.RootElement.GetProperty("total_savings").GetDouble(), days[^1].GetProperty("cusum").GetDouble(), 6);

        Assert.Equal(HttpStatusCode.OK, progress.StatusCode);
        using var position = await Json(progress);
        var programmeEnergy = position.RootElement.GetProperty("savings").EnumerateArray().Single(s => s.GetProperty("quantity").GetString() == "energy");
        Assert.Equal(0.10, programmeEnergy.GetProperty("improvement").GetDouble(), 2);

        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("January 2024", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(rows, r => r.StartsWith("casa-aero", StringComparison.Ordinal));

        // A second refit on the same data keeps version 1.
        await _api.Server.Host.Services.GetRequiredService<MonitoringJobs>().RefitBaselinesAsync(CancellationToken.None);
        using var again = await _api.GetAsync("/api/v1/sites/casa-aero/baselines/energy/history", "manager-casa");
        using var unchanged = await Json(again);
        Assert.Equal(1, unchanged.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Edge_agents_health_and_the_quarantine_are_readable_within_the_tokens_sites()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        using (var response = await _api.Server.Http.SendAsync(RunningServer.Write(
            $"edge_status,site=casa-aero,agent=gw-1 buffer_records=12i,uplink_up=true,uplink_lag_s=1.5 {at}\n" +
            $"edge_status,site=tanger-mach,agent=gw-2 buffer_records=3i {at}\n" +
            $"meter,site=casa-aero,meter=main-incomer no_such_field=1 {at}", _api.Tokens["telegraf"], "/write?db=monitoring&precision=s")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        await _api.Server.Host.Pipeline.CheckpointAsync();
        using var agents = await _api.GetAsync("/api/v1/agents", "manager-casa");
        using var quarantine = await _api.GetAsync("/api/v1/quarantine", "manager-casa");

        using var agentList = await Json(agents);
        var agent = Assert.Single(agentList.RootElement.EnumerateArray());
        Assert.Equal("gw-1", agent.GetProperty("agent").GetString());
        Assert.Equal(12, agent.GetProperty("fields").GetProperty("buffer_records").GetDouble());
        Assert.Equal(1, agent.GetProperty("fields").GetProperty("uplink_up").GetDouble());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(at), agent.GetProperty("at").GetDateTimeOffset());
        using var refused = await Json(quarantine);
        Assert.Equal(1, refused.RootElement.GetProperty("by_reason").GetProperty("unknown_field").GetInt64());
        Assert.Contains("no_such_field", Assert.Single(refused.RootElement.GetProperty("lines").EnumerateArray()).GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_declares_the_token_scheme_it_and_its_ui_are_public_and_the_jobs_dashboard_needs_an_admin()
    {
        using var document = await _api.GetAsync("/openapi/v1.json", token: null);
        using var ui = await _api.GetAsync("/scalar", token: null);
        using var dashboardAnonymous = await _api.GetAsync("/hangfire", token: null);
        using var dashboardReader = await _api.GetAsync("/hangfire", "officer-programme");
        using var dashboardAdmin = await _api.GetAsync("/hangfire", "root");

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        using var openApi = await Json(document);
        var paths = openApi.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/sites/{siteId}/meters/{meterId}/intervals", out _));
        Assert.True(paths.TryGetProperty("/api/v1/programmes/{programmeId}/reports/{month}", out _));
        var scheme = openApi.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("token");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(openApi.RootElement.GetProperty("security")[0].TryGetProperty("token", out _), "the whole API requires the token scheme");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, dashboardAnonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, dashboardReader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, dashboardAdmin.StatusCode);
    }

    private async Task WriteIncomerAsync()
    {
        var lines = new List<string>();
        for (var k = 0; k <= 24; k++)
        {
            lines.Add(ApiServer.Reading("casa-aero", "main-incomer", "energy_import_kwh", 1000 + (10 * k), Hour0.AddMinutes(15 * k)));
        }

        await _api.WriteAsync(lines);
    }

    /// <summary>
    /// The finalised daily records of both plants for the baseline year 2023 and January 2024 (a year of readings is
    /// too long to write in a test): energy = 5000 + 3 × production + 80 × HDD + 60 × CDD (+ a little noise), water and
    /// CO2e proportional; January 2024 uses 10 % less.
    /// </summary>
    private static void SeedArchive(string data)
    {
        var archive = new DailyArchive(Path.Combine(data, "kpi"));
        var days = new List<SiteDay>();
        foreach (var site in new[] { "casa-aero", "tanger-mach" })
        {
            var i = 0;
            for (var date = new DateOnly(2023, 1, 1); date < new DateOnly(2024, 2, 1); date = date.AddDays(1), i++)
            {
                var temperature = 18 + (10 * Math.Sin(2 * Math.PI * date.DayOfYear / 365.0)) - (4 * Math.Cos(2 * Math.PI * date.DayOfYear / 365.0));
                var production = 1000 + (50 * (i % 7));
                var noise = (((i * 7919) % 13) - 6) * 5.0;
                var energy = 5000 + (3 * production) + (80 * Math.Max(18 - temperature, 0)) + (60 * Math.Max(temperature - 18, 0)) + noise;
                var factor = date.Year == 2024 ? 0.9 : 1.0;
                days.Add(new SiteDay(site, date, energy * factor, 0, (100 + (0.05 * production) + (noise / 50)) * factor, 0.7 * energy * factor, production, temperature));
            }
        }

        archive.Upsert(days, []);
    }

    private static DateTimeOffset FloorHour(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero);

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    private static async Task<JsonDocument> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync());
}
