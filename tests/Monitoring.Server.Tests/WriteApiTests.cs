using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitoring.Ingestion;

namespace Monitoring.Server.Tests;

/// <summary>The InfluxDB-compatible write API of <c>monitoring serve</c>, through real HTTP on loopback.</summary>
public sealed class WriteApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Reading(string site, string meter, string field, double value, long seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"meter,site={site},meter={meter} {field}={value} {seconds}");

    [Fact]
    public async Task A_valid_v2_write_is_acknowledged_with_204_and_its_readings_reach_the_aggregation_core()
    {
        var t = Now - 600;
        var body = string.Join('\n',
            Reading("casa-aero", "main-incomer", "energy_import_kwh", 1000, t),
            Reading("casa-aero", "main-incomer", "energy_import_kwh", 1010, t + 60),
            $"meter,site=casa-aero,meter=main-incomer power_kw=412.5,reactive_power_kvar=93.5 {t}");
        using var response = await _server.Http.SendAsync(RunningServer.Write(body, _server.Tokens["telegraf"]));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await _server.Host.Pipeline.CheckpointAsync();
        var statistics = _server.Host.Pipeline.Statistics;
        Assert.Equal(1, statistics.BatchesStored);
        Assert.Equal(4, statistics.ReadingsApplied);
        Assert.Equal(0, _server.Host.Pipeline.Quarantine.Total);
    }

    [Fact]
    public async Task Without_a_token_the_write_is_refused_with_401_and_nothing_is_stored()
    {
        var body = Reading("casa-aero", "main-incomer", "energy_import_kwh", 1, Now);
        using var none = await _server.Http.SendAsync(RunningServer.Write(body, token: null));
        using var wrong = await _server.Http.SendAsync(RunningServer.Write(body, "mon_not-a-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("token", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _server.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task A_token_scoped_to_one_site_writing_another_sites_readings_gets_403_and_nothing_is_stored()
    {
        var body = string.Join('\n',
            Reading("casa-aero", "main-incomer", "energy_import_kwh", 1, Now),
            Reading("tanger-mach", "main-incomer", "energy_import_kwh", 1, Now));
        using var response = await _server.Http.SendAsync(RunningServer.Write(body, _server.Tokens["agent-casa"]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("forbidden", json.RootElement.GetProperty("code").GetString());
        Assert.Contains("tanger-mach", json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _server.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task A_reader_token_may_not_write()
    {
        using var response = await _server.Http.SendAsync(RunningServer.Write(Reading("casa-aero", "main-incomer", "energy_import_kwh", 1, Now), _server.Tokens["officer"]));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Bad_lines_get_400_with_line_column_and_reason_while_the_valid_lines_are_kept_and_the_unusable_quarantined()
    {
        var t = Now - 300;
        var body = string.Join('\n',
            Reading("casa-aero", "main-incomer", "energy_import_kwh", 5, t),
            "meter,site=casa-aero,meter=main-incomer energy_import_kwh=",
            Reading("casa-aero", "no-such-meter", "energy_import_kwh", 5, t),
            Reading("casa-aero", "main-incomer", "no_such_field", 5, t),
            "meter,site=casa-aero,meter=main-incomer power_kw=\"high\" " + t.ToString(CultureInfo.InvariantCulture),
            Reading("casa-aero", "main-incomer", "power_kw", 5, Now + 86_400),
            Reading("casa-aero", "main-incomer", "power_kw", 7, t));
        using var response = await _server.Http.SendAsync(RunningServer.Write(body, _server.Tokens["telegraf"]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid", json.RootElement.GetProperty("code").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("rejected").GetInt32());
        var lines = json.RootElement.GetProperty("lines").EnumerateArray()
            .Select(l => (Line: l.GetProperty("line").GetInt32(), Column: l.GetProperty("column").GetInt32(), Reason: l.GetProperty("reason").GetString()!, Quarantined: l.GetProperty("quarantined").GetBoolean()))
            .ToList();
        Assert.Equal([2, 3, 4, 5, 6], lines.Select(l => l.Line));
        Assert.False(lines[0].Quarantined);
        Assert.Equal(59, lines[0].Column);
        Assert.Contains("missing value for field 'energy_import_kwh'", lines[0].Reason, StringComparison.Ordinal);
        Assert.Equal((3, 28), (lines[1].Line, lines[1].Column));
        Assert.Contains("no meter 'no-such-meter' at site 'casa-aero'", lines[1].Reason, StringComparison.Ordinal);
        Assert.Contains("has no field 'no_such_field'", lines[2].Reason, StringComparison.Ordinal);
        Assert.Contains("must be a number, got string", lines[3].Reason, StringComparison.Ordinal);
        Assert.Contains("ahead of the server's clock", lines[4].Reason, StringComparison.Ordinal);
        Assert.All(lines.GetRange(1, 4), l => Assert.True(l.Quarantined));

        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(2, _server.Host.Pipeline.Statistics.ReadingsApplied);
        var quarantine = _server.Host.Pipeline.Quarantine;
        Assert.Equal(1, quarantine.Count(RejectionReason.UnknownMeter));
        Assert.Equal(1, quarantine.Count(RejectionReason.UnknownField));
        Assert.Equal(1, quarantine.Count(RejectionReason.NotANumber));
        Assert.Equal(1, quarantine.Count(RejectionReason.FutureTimestamp));
        Assert.Contains("no-such-meter", await File.ReadAllTextAsync(quarantine.FilePath!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_quarantine_endpoint_lists_set_aside_lines_for_readers_only()
    {
        using var write = await _server.Http.SendAsync(RunningServer.Write(Reading("casa-aero", "ghost", "energy_import_kwh", 1, Now), _server.Tokens["telegraf"]));
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);

        using var anonymous = await _server.Http.GetAsync(new Uri("/api/v1/quarantine", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var writer = new HttpRequestMessage(HttpMethod.Get, "/api/v1/quarantine");
        writer.Headers.Authorization = new AuthenticationHeaderValue("Token", _server.Tokens["telegraf"]);
        using var writerResponse = await _server.Http.SendAsync(writer);
        Assert.Equal(HttpStatusCode.Forbidden, writerResponse.StatusCode);

        using var reader = new HttpRequestMessage(HttpMethod.Get, "/api/v1/quarantine");
        reader.Headers.Authorization = new AuthenticationHeaderValue("Token", _server.Tokens["officer"]);
        using var response = await _server.Http.SendAsync(reader);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, json.RootElement.GetProperty("by_reason").GetProperty("unknown_meter").GetInt32());
        Assert.Contains("ghost", json.RootElement.GetProperty("lines")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_gets_413_and_nothing_is_stored()
    {
        await using var small = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Http:MaxBodyBytes"] = "4096" });
        var line = Reading("casa-aero", "main-incomer", "power_kw", 1, Now);
        var body = string.Join('\n', Enumerable.Repeat(line, 200));
        using var response = await small.Http.SendAsync(RunningServer.Write(body, small.Tokens["telegraf"]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, small.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task A_gzip_body_over_the_decoded_limit_gets_413()
    {
        await using var small = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Http:MaxBodyBytes"] = "4096" });
        var body = string.Join('\n', Enumerable.Repeat(Reading("casa-aero", "main-incomer", "power_kw", 1, Now), 2000));
        using var response = await small.Http.SendAsync(Gzipped(small, body, small.Tokens["telegraf"], "/api/v2/write?precision=s"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, small.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task V1_writes_as_Telegraf_sends_them_are_accepted_with_u_p_parameters_basic_authentication_and_gzip()
    {
        var t = Now - 120;
        var token = _server.Tokens["telegraf"];
        using var query = await _server.Http.SendAsync(RunningServer.Write(Reading("casa-aero", "main-incomer", "power_kw", 1, t), null, $"/write?db=telegraf&precision=s&u=telegraf&p={token}"));
        using var basic = RunningServer.Write(Reading("casa-aero", "main-incomer", "power_kw", 2, t + 1), null, "/write?db=telegraf&precision=s");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"telegraf:{token}")));
        using var basicResponse = await _server.Http.SendAsync(basic);
        using var gzip = await _server.Http.SendAsync(Gzipped(_server, Reading("casa-aero", "main-incomer", "power_kw", 3, t + 2), token, "/write?db=telegraf&precision=s"));
        using var badPrecision = await _server.Http.SendAsync(RunningServer.Write("x", token, "/api/v2/write?precision=h"));

        Assert.Equal(HttpStatusCode.NoContent, query.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, basicResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, gzip.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPrecision.StatusCode);
        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(3, _server.Host.Pipeline.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task A_batch_sent_again_with_the_same_batch_id_is_acknowledged_and_stored_once()
    {
        var body = Reading("casa-aero", "main-incomer", "power_kw", 1, Now - 60);
        for (var i = 0; i < 3; i++)
        {
            using var request = RunningServer.Write(body, _server.Tokens["telegraf"]);
            request.Headers.Add("X-Batch-Id", "agent-1/42");
            using var response = await _server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var statistics = _server.Host.Pipeline.Statistics;
        Assert.Equal(1, statistics.BatchesStored);
        Assert.Equal(2, statistics.BatchesDuplicate);
    }

    [Fact]
    public async Task Health_reports_each_dependency_and_metrics_are_in_Prometheus_text_format()
    {
        using var write = await _server.Http.SendAsync(RunningServer.Write(Reading("casa-aero", "ghost", "power_kw", 1, Now), _server.Tokens["telegraf"]));
        using var health = await _server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        var metrics = await _server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(json.RootElement.GetProperty("ready").GetBoolean());
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal("healthy", checks.GetProperty("wal").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("mqtt").GetProperty("status").GetString());
        Assert.Contains("no InfluxDB configured", checks.GetProperty("influxdb").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("monitoring_ingest_lines_quarantined_total{otel_scope_name=\"Monitoring.Server\",reason=\"UnknownMeter\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("monitoring_wal_bytes{", metrics, StringComparison.Ordinal);
        Assert.Contains("monitoring_ingest_writes_total{otel_scope_name=\"Monitoring.Server\",outcome=\"partial\",transport=\"http_v2\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("service_name=\"monitoring\"", metrics, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Gzipped(RunningServer server, string body, string token, string path)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(body));
        }

        var request = RunningServer.Write("", token, path);
        request.Content = new ByteArrayContent(buffer.ToArray());
        request.Content.Headers.ContentEncoding.Add("gzip");
        return request;
    }
}
