using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Domain.Registry;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;
using Monitoring.Simulators.Devices;
using Monitoring.Sinks.InfluxDb;
using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>What <see cref="DashboardDataFiller.FillAsync"/> sent and what the server did with it.</summary>
internal sealed record FillSummary(
    long LinesSent, long ReadingsApplied, long RefusedSent, long Quarantined, long LinesWritten, long LinesBeyondRetention, TimeSpan Sending, TimeSpan Total);

/// <summary>
/// Fills an InfluxDB 1.x database through <c>monitoring serve</c>, as production does: the example plants simulated
/// from 1 January 2023 to <see cref="Now"/> (15-minute readings, two extra faults in the last days) are posted to the
/// server's <c>/api/v2/write</c> in time order, with the edge agents' <c>edge_status</c> and a few lines the registry
/// refuses; then the server's own jobs (daily finalisation: the KPI and alert series; data-quality scan: alerts and the
/// quarantine counts) are triggered through its API, and the test waits until its InfluxDB sink has delivered
/// everything. <c>edge_status</c> alone is synthetic: an agent's health over the last days with an uplink outage
/// (the field names are those <c>monitoring-edge</c> emits).
/// </summary>
/// <remarks>
/// The server runs at the plants' time (<see cref="Now"/>) with the sink's retention set as a production database
/// would keep the data (<see cref="DetailRetention"/> of quarter hours and hours, days and months for ever): the
/// panels read quarter hours and hours over the last week and month only, days and months over the years. So the
/// work is the simulated readings through the server (about 3.4 M lines) and about a million lines into InfluxDB,
/// not the 17 M that every quarter hour since 2023 would be.
/// </remarks>
internal static class DashboardDataFiller
{
    /// <summary>The "now" of the simulated data; the query test expands Grafana's relative times against it.</summary>
    public static DateTimeOffset Now { get; } = new(2025, 10, 15, 10, 0, 0, TimeSpan.Zero);

    /// <summary>How long the database keeps quarter hours and hours (the sink sends nothing older).</summary>
    public static TimeSpan DetailRetention { get; } = TimeSpan.FromDays(35);

    /// <summary>Edge health is written from here on.</summary>
    public static DateTimeOffset DetailFrom { get; } = Now.AddDays(-9);

    private const int ChunkBytes = 8 << 20;
    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(5);

    /// <summary>The extra faults, local times of the sites: a gap on a CNC meter and a gateway outage at Tangier.</summary>
    private static readonly Dictionary<string, string[]> ExtraFaults = new(StringComparer.Ordinal)
    {
        ["casa-aero"] = ["{ type: drop, meter: cnc-line-1, from: \"2025-10-13 10:00\", to: \"2025-10-13 12:00\" }"],
        ["tanger-mach"] = ["{ type: drop, gateway: water-gw, from: \"2025-10-14 02:00\", to: \"2025-10-14 03:30\" }"],
    };

    public static async Task<FillSummary> FillAsync(InfluxDb1Fixture influx, string database, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await influx.Client.CreateDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
        var data = Directory.CreateTempSubdirectory("monitoring-dashboards-").FullName;
        try
        {
            var tokens = Path.Combine(data, "tokens.json");
            var writer = TokenStore.Create(tokens, "plants", TokenRole.Writer, [], TimeProvider.System);
            var admin = TokenStore.Create(tokens, "admin", TokenRole.Admin, [], TimeProvider.System);
            var arguments = new ServeArguments(RepositoryPaths.Registry, "http://127.0.0.1:0", data, tokens)
            {
                Overrides = new Dictionary<string, string?>
                {
                    ["Mqtt:Port"] = "0",
                    ["Logging:LogLevel:Default"] = "Warning",
                    ["Influx:Kind"] = "v1",
                    ["Influx:Url"] = influx.BaseAddress.ToString(),
                    ["Influx:Database"] = database,
                    ["Influx:SpoolMaxBytes"] = (8L << 30).ToString(CultureInfo.InvariantCulture),
                    ["Influx:Retention:15m"] = DetailRetention.ToString("c", CultureInfo.InvariantCulture),
                    ["Influx:Retention:1h"] = DetailRetention.ToString("c", CultureInfo.InvariantCulture),
                },
                Clock = new VirtualClock(Now, speed: 1),
            };
            await using var server = await ServerHost.StartAsync(arguments, cancellationToken).ConfigureAwait(false);
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

            var lines = await SimulatedPlants.SendAsync("2023-01-01", LocalText(Now, "Africa/Casablanca"), TimeSpan.FromMinutes(15), ExtraFaults,
                body => PostAsync(http, writer, body, "ns", cancellationToken), cancellationToken).ConfigureAwait(false);
            var sending = clock.Elapsed;
            var registry = server.Services.GetService(typeof(SiteRegistry)) as SiteRegistry ?? throw new InvalidOperationException("the server has no registry");
            await PostAsync(http, writer, Encoding.UTF8.GetBytes(EdgeStatusLines(registry)), "s", cancellationToken).ConfigureAwait(false);
            var refused = await PostRefusedLinesAsync(http, writer, cancellationToken).ConfigureAwait(false);
            await server.Pipeline.CheckpointAsync(cancellationToken).ConfigureAwait(false);

            await RunJobAsync(http, admin, "daily-finalisation", cancellationToken).ConfigureAwait(false);
            await RunJobAsync(http, admin, "data-quality", cancellationToken).ConfigureAwait(false);
            await server.Pipeline.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            var sink = server.Services.GetService(typeof(SinkForwarder)) as SinkForwarder ?? throw new InvalidOperationException("the server has no InfluxDB sink");
            var written = await WaitForSinkAsync(sink, cancellationToken).ConfigureAwait(false);
            var outbox = server.Services.GetService(typeof(InfluxOutbox)) as InfluxOutbox ?? throw new InvalidOperationException("the server has no InfluxDB outbox");
            return new FillSummary(
                lines, server.Pipeline.Statistics.ReadingsApplied, refused, server.Pipeline.Quarantine.Total, written, outbox.Statistics.LinesBeyondRetention, sending, clock.Elapsed);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static string LocalText(DateTimeOffset instant, string zone) =>
        TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.FindSystemTimeZoneById(zone)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static async Task PostAsync(HttpClient http, string token, ReadOnlyMemory<byte> body, string precision, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?org=programme&bucket=plants&precision=" + precision)
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"the server answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    /// <summary>
    /// Lines the registry refuses, a few per hour over the last day (a meter it does not know, a field a meter does not
    /// declare): the server answers 400 with their reasons and counts them in the quarantine series. Returns how many.
    /// </summary>
    private static async Task<long> PostRefusedLinesAsync(HttpClient http, string token, CancellationToken cancellationToken)
    {
        var bad = new[]
        {
            "meter,site=casa-aero,meter=compressor-4 energy_import_kwh=1520.5,power_kw=71.2",
            "meter,site=tanger-mach,meter=chillers volume_m3=12.5",
        };
        var body = new StringBuilder();
        long count = 0;
        for (var hour = Now.AddHours(-24); hour < Now; hour = hour.AddHours(1))
        {
            foreach (var line in bad)
            {
                for (var k = 0; k <= hour.Hour % 3; k++)
                {
                    body.Append(line).Append(' ').Append(hour.AddMinutes(k).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
                    count++;
                }
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?org=programme&bucket=plants&precision=s") { Content = new StringContent(body.ToString()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            throw new InvalidOperationException($"refused lines answered {(int)response.StatusCode}, not 400");
        }

        return count;
    }

    /// <summary>Triggers a recurring job through the API and waits until Hangfire reports a new run of it succeeded.</summary>
    private static async Task RunJobAsync(HttpClient http, string adminToken, string job, CancellationToken cancellationToken)
    {
        var before = await JobStateAsync(http, adminToken, job, cancellationToken).ConfigureAwait(false);
        using (var trigger = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/jobs/{job}/trigger"))
        {
            trigger.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            using var response = await http.SendAsync(trigger, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < JobDeadline)
        {
            var (id, state, error) = await JobStateAsync(http, adminToken, job, cancellationToken).ConfigureAwait(false);
            if (id is not null && id != before.Id)
            {
                switch (state)
                {
                    case "Succeeded":
                        return;
                    case "Failed":
                        throw new InvalidOperationException($"job {job} failed: {error}");
                }
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"job {job} did not finish within {JobDeadline}");
    }

    private static async Task<(string? Id, string? State, string? Error)> JobStateAsync(HttpClient http, string adminToken, string job, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/jobs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var jobs = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        var entry = jobs.EnumerateArray().Single(j => j.GetProperty("id").GetString() == job);
        return (Text(entry, "last_job_id"), Text(entry, "last_job_state"), Text(entry, "error"));
    }

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Waits until the server's InfluxDB sink has delivered every spooled batch; returns the lines it wrote.</summary>
    private static async Task<long> WaitForSinkAsync(SinkForwarder sink, CancellationToken cancellationToken)
    {
        while (sink.Status.PendingRecords > 0)
        {
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }

        return sink.Status.LinesWritten;
    }

    /// <summary>
    /// edge_status, synthetic: one agent per site every 5 minutes over the detail window. The Casablanca agent loses
    /// its uplink for three hours two days ago (the buffer fills, then drains) and counts device errors while
    /// cnc-line-1 is dropped; the Tangier agent counts errors while its water gateway is down.
    /// </summary>
    private static string EdgeStatusLines(SiteRegistry registry)
    {
        const double RecordsPerMinute = 60; // one agent's readings per minute: counters and gauges of its devices
        var outageFrom = Now.AddDays(-2).AddHours(-3);
        var outageTo = outageFrom.AddHours(3);
        var lines = new StringBuilder();
        foreach (var site in registry.Sites)
        {
            var faultFrom = site.Id == "casa-aero" ? new DateTimeOffset(2025, 10, 13, 9, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2025, 10, 14, 1, 0, 0, TimeSpan.Zero);
            var faultTo = faultFrom.AddHours(site.Id == "casa-aero" ? 2 : 1.5);
            double deviceErrors = 0, batches = 0, failures = 0;
            for (var t = DetailFrom; t <= Now; t = t.AddMinutes(5))
            {
                var down = site.Id == "casa-aero" && t >= outageFrom && t < outageTo;
                var backlogMinutes = down ? (t - outageFrom).TotalMinutes : Math.Max(0, (outageTo - outageFrom).TotalMinutes - (3 * (t - outageTo).TotalMinutes));
                var backlog = site.Id == "casa-aero" && t >= outageFrom ? backlogMinutes : 0;
                deviceErrors += t >= faultFrom && t < faultTo ? 5 * 12 : 0; // one failed poll per 5 s
                batches += down ? 0 : 5 * 60;
                failures += down ? 5 * 2 : 0;
                var records = (backlog * RecordsPerMinute) + 12;
                var oldest = backlog > 0 ? backlog * 60 : 1;
                lines.Append(CultureInfo.InvariantCulture,
                    $"edge_status,site={site.Id},agent=edge-{site.Id} buffer_records={records},buffer_bytes={records * 96},buffer_oldest_s={oldest},dropped_total=0,dropped_gauges_full=0,")
                    .Append(CultureInfo.InvariantCulture,
                    $"dropped_counters_full=0,dropped_expired=0,device_errors_total={deviceErrors},invalid_values_total=0,uplink_up={(down ? 0 : 1)},uplink_lag_s={oldest},")
                    .Append(CultureInfo.InvariantCulture,
                    $"uplink_batches_sent={batches},uplink_failures_total={failures},uplink_records_rejected=0 {t.ToUnixTimeSeconds()}\n");
            }
        }

        return lines.ToString();
    }
}
