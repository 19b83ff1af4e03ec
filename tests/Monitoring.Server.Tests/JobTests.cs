using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Hangfire;
using Hangfire.Storage;
using Monitoring.Server.Hosting.Jobs;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// The Hangfire jobs inside <c>monitoring serve</c>, on both storages: PostgreSQL (<c>MONITORING_TEST_POSTGRES</c>, a
/// schema of its own per test) and the embedded in-memory one. Jobs are triggered through the API and run by the
/// server's own Hangfire workers.
/// </summary>
public sealed class JobTests
{
    private static readonly string[] RecurringJobs =
        [MonitoringJobs.BaselineRefit, MonitoringJobs.DailyFinalisation, MonitoringJobs.DataQuality, MonitoringJobs.MonthlyFinalisation, MonitoringJobs.ProgrammeReports];

    [Theory]
    [InlineData("inmemory")]
    [InlineData("postgresql")]
    public async Task The_data_quality_scan_triggered_through_the_api_raises_reset_sentinel_and_gap_alerts_once(string storage)
    {
        await using var api = await ApiServer.StartAsync(Settings(storage));
        var hour0 = DateTimeOffset.UtcNow.AddHours(-8);
        hour0 = new DateTimeOffset(hour0.Year, hour0.Month, hour0.Day, hour0.Hour, 0, 0, TimeSpan.Zero);
        var lines = new List<string>();
        for (var k = 0; k <= 24; k++)
        {
            // The compressors' register restarts at 3 h; the CNC cell's power gauge returns 65535 from 2 h; tanger-mach's incomer is silent from 1 h to 4 h.
            var at = hour0.AddMinutes(15 * k);
            lines.Add(ApiServer.Reading("casa-aero", "compressors", "energy_import_kwh", k < 12 ? 5000 + (10 * k) : 10 * (k - 11), at));
            lines.Add(ApiServer.Reading("casa-aero", "cnc-line-1", "power_kw", k is >= 8 and < 12 ? 65535 : 100 + k, at));
            if (k is <= 4 or >= 16)
            {
                lines.Add(ApiServer.Reading("tanger-mach", "main-incomer", "energy_import_kwh", 100 + k, at));
            }
        }

        await api.WriteAsync(lines);

        using (var jobs = await api.GetAsync("/api/v1/jobs", "root"))
        {
            using var list = JsonDocument.Parse(await jobs.Content.ReadAsStringAsync());
            Assert.Equal(RecurringJobs, list.RootElement.EnumerateArray().Select(j => j.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        }

        await RunAsync(api, MonitoringJobs.DataQuality);
        await RunAsync(api, MonitoringJobs.DataQuality);

        using var all = await api.GetAsync("/api/v1/alerts", "root");
        using var casa = await api.GetAsync("/api/v1/alerts?site=casa-aero", "manager-casa");
        using var forbidden = await api.GetAsync("/api/v1/alerts?site=tanger-mach", "manager-casa");
        using var alerts = JsonDocument.Parse(await all.Content.ReadAsStringAsync());
        var found = alerts.RootElement.EnumerateArray().Select(a => (Site: a.GetProperty("site_id").GetString(), Kind: a.GetProperty("kind").GetString(), Source: a.GetProperty("source").GetString())).ToList();
        Assert.Contains(("casa-aero", "counter_reset", "compressors.energy_import_kwh"), found);
        Assert.Contains(("casa-aero", "sentinel_burst", "cnc-line-1.power_kw"), found);
        Assert.Contains(("tanger-mach", "data_gap", "main-incomer.energy_import_kwh"), found);
        Assert.Equal(found.Count, found.Distinct().Count());
        var sentinel = alerts.RootElement.EnumerateArray().Single(a => a.GetProperty("kind").GetString() == "sentinel_burst");
        Assert.Equal(1, sentinel.GetProperty("value").GetDouble());
        using var casaAlerts = JsonDocument.Parse(await casa.Content.ReadAsStringAsync());
        Assert.All(casaAlerts.RootElement.EnumerateArray(), a => Assert.Equal("casa-aero", a.GetProperty("site_id").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Theory]
    [InlineData("inmemory")]
    [InlineData("postgresql")]
    public async Task Daily_finalisation_archives_the_stores_site_days_and_an_unknown_job_is_404(string storage)
    {
        await using var api = await ApiServer.StartAsync(Settings(storage));
        var start = DateTimeOffset.UtcNow.AddDays(-4);
        var day0 = new DateTimeOffset(start.Year, start.Month, start.Day, 0, 0, 0, TimeSpan.Zero);
        var lines = new List<string>();
        for (var h = 0; h <= 72; h++)
        {
            lines.Add(ApiServer.Reading("casa-aero", "main-incomer", "energy_import_kwh", 1000 + (100 * h), day0.AddHours(h).AddMinutes(-60)));
            lines.Add(ApiServer.Reading("casa-aero", "main-incomer", "energy_import_kwh", 1050 + (100 * h), day0.AddHours(h).AddMinutes(-30)));
        }

        await api.WriteAsync(lines);
        await WaitForSiteDaysAsync(api, day0);
        await RunAsync(api, MonitoringJobs.DailyFinalisation);
        using var missing = await api.PostAsync("/api/v1/jobs/no-such-job/trigger", "root");
        using var reader = await api.PostAsync($"/api/v1/jobs/{MonitoringJobs.DailyFinalisation}/trigger", "officer-programme");

        var archive = new DailyArchive(Path.Combine(api.Server.DataDirectory, "kpi"));
        var days = archive.SiteDays(["casa-aero"], DateOnly.MinValue, DateOnly.MaxValue);
        Assert.True(days.Count >= 2, $"{days.Count} day(s) archived");
        Assert.Contains(days, d => d.ElectricityKwh == 2400);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
    }

    private static Dictionary<string, string?> Settings(string storage)
    {
        if (storage == "postgresql")
        {
            // Fails with the variable's name when the tests run without ./test.sh's PostgreSQL.
            _ = new PostgresFixture();
        }

        return new()
        {
            ["Jobs:Storage"] = storage,
            ["Jobs:ConnectionStringVariable"] = ServiceEnvironment.PostgresVariable,
            ["Jobs:Schema"] = storage == "postgresql" ? "hangfire_" + Guid.NewGuid().ToString("N")[..12] : "hangfire",
            ["Jobs:PollInterval"] = "00:00:01",
            ["Jobs:ScanWindow"] = "1.00:00:00",
            ["Jobs:DataQualityCron"] = "0 0 1 1 *",
            ["Jobs:DailyFinalisationCron"] = "0 0 1 1 *",
            ["Jobs:BaselineRefitCron"] = "0 0 1 1 *",
            ["Jobs:MonthlyFinalisationCron"] = "0 0 1 1 *",
            ["Jobs:ProgrammeReportCron"] = "0 0 1 1 *",
        };
    }

    /// <summary>Site roll-ups are written by the aggregation loop's ticker once their inputs are in: wait for the days.</summary>
    private static async Task WaitForSiteDaysAsync(ApiServer api, DateTimeOffset day0)
    {
        using var budget = new CancellationTokenSource(TestTimeouts.Test);
        while (true)
        {
            using var response = await api.GetAsync($"/api/v1/sites/casa-aero/nodes/site/casa-aero/intervals?carrier=electricity&resolution=1d&from={day0.AddDays(-1):yyyy-MM-dd}&to={day0.AddDays(4):yyyy-MM-dd}", "root");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (json.RootElement.GetProperty("series")[0].GetProperty("intervals").GetArrayLength() >= 2)
            {
                return;
            }

            await Task.Delay(100, budget.Token);
        }
    }

    /// <summary>Triggers a recurring job through the API and waits until Hangfire reports its run succeeded.</summary>
    private static async Task RunAsync(ApiServer api, string jobId)
    {
        var storage = api.Server.Host.Services.GetRequiredService<JobStorage>();
        string? before;
        using (var connection = storage.GetConnection())
        {
            before = connection.GetRecurringJobs().Single(j => j.Id == jobId).LastJobId;
        }

        using (var response = await api.PostAsync($"/api/v1/jobs/{jobId}/trigger", "root"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Test;
        string? state = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            using (var connection = storage.GetConnection())
            {
                var job = connection.GetRecurringJobs().Single(j => j.Id == jobId);
                if (job.LastJobId is { } id && id != before)
                {
                    var data = connection.GetStateData(id);
                    state = $"{data?.Name} {data?.Reason} {string.Join(' ', data?.Data.Select(p => p.Key + "=" + p.Value) ?? [])}";
                    Assert.NotEqual("Failed", data?.Name);
                    if (data?.Name == "Succeeded")
                    {
                        return;
                    }
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"job {jobId} did not succeed in time; its last state: {state ?? "not started"}");
    }
}
