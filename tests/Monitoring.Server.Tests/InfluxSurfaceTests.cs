using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// What InfluxDB clients and tools call around a write, against a running <c>monitoring serve</c>: each real client
/// available here reports success and its readings are applied (docs/integrations.md).
/// </summary>
public sealed class InfluxSurfaceTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static long StartMs => DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeMilliseconds() / 60_000 * 60_000;

    private async Task<long> AppliedAsync()
    {
        await _server.Host.Pipeline.CheckpointAsync();
        return _server.Host.Pipeline.Statistics.ReadingsApplied;
    }

    [Fact]
    public async Task The_CSharp_client_pings_reads_ready_and_health_finds_its_bucket_and_org()
    {
        using var client = new InfluxDBClient(_server.Host.BaseAddress.ToString(), _server.Tokens["telegraf"]);

        Assert.True(await client.PingAsync());
        Assert.StartsWith("monitoring-", await client.VersionAsync(), StringComparison.Ordinal);
        Assert.Equal(Ready.StatusEnum.Ready, (await client.ReadyAsync()).Status);
#pragma warning disable CS0618 // HealthAsync is what older applications still call
        Assert.Equal(HealthCheck.StatusEnum.Pass, (await client.HealthAsync()).Status);
#pragma warning restore CS0618
        Assert.Equal("readings", (await client.GetBucketsApi().FindBucketByNameAsync("readings")).Name);
        Assert.Equal("programme", Assert.Single(await client.GetOrganizationsApi().FindOrganizationsAsync(org: "programme")).Name);
    }

    [Fact]
    public async Task Ping_ready_and_health_answer_as_InfluxDB_does_and_the_detailed_report_stays_at_health_ready()
    {
        using var get = await _server.Http.GetAsync(new Uri("/ping", UriKind.Relative));
        using var head = await _server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/ping"));
        using var verbose = await _server.Http.GetAsync(new Uri("/ping?verbose=true", UriKind.Relative));
        using var health = await _server.Http.GetAsync(new Uri("/health", UriKind.Relative));
        using var detailed = await _server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.OK), (get.StatusCode, head.StatusCode, verbose.StatusCode));
        Assert.StartsWith("monitoring-", get.Headers.GetValues("X-Influxdb-Version").Single(), StringComparison.Ordinal);
        Assert.Equal("OSS", head.Headers.GetValues("X-Influxdb-Build").Single());
        using var shape = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal(("monitoring", "pass"), (shape.RootElement.GetProperty("name").GetString(), shape.RootElement.GetProperty("status").GetString()));
        Assert.Contains(shape.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "wal");
        using var report = JsonDocument.Parse(await detailed.Content.ReadAsStringAsync());
        Assert.True(report.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal("healthy", report.RootElement.GetProperty("checks").GetProperty("wal").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Query_takes_what_Telegraf_Grafana_and_the_1x_clients_ask_and_refuses_the_rest_in_InfluxQLs_shape()
    {
        async Task<JsonElement> QueryAsync(string q, bool post = false, string? token = "telegraf")
        {
            using var request = post
                ? new HttpRequestMessage(HttpMethod.Post, "/query?db=telegraf") { Content = new FormUrlEncodedContent([new("q", q)]) }
                : new HttpRequestMessage(HttpMethod.Get, "/query?q=" + Uri.EscapeDataString(q));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{token}:{_server.Tokens[token]}")));
            }

            using var response = await _server.Http.SendAsync(request);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        // Telegraf's outputs.influxdb at start: a form POST, basic authentication.
        var created = await QueryAsync("CREATE DATABASE \"telegraf\"", post: true);
        Assert.Equal(0, Assert.Single(created.GetProperty("results").EnumerateArray()).GetProperty("statement_id").GetInt32());
        Assert.False(created.GetProperty("results")[0].TryGetProperty("error", out _));

        var databases = await QueryAsync("SHOW DATABASES");
        var names = databases.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values").EnumerateArray().Select(v => v[0].GetString()).ToList();
        Assert.Contains("telegraf", names);
        Assert.Contains("monitoring", names);

        var both = await QueryAsync("SHOW RETENTION POLICIES ON telegraf; SELECT * FROM meter");
        Assert.Equal("autogen", both.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0][0].GetString());
        Assert.Equal(1, both.GetProperty("results")[1].GetProperty("statement_id").GetInt32());
        Assert.Contains("not supported", both.GetProperty("results")[1].GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal("unable to parse authentication credentials", (await QueryAsync("SHOW DATABASES", token: null)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task InfluxDB_3_writes_through_write_lp_with_auto_precision_and_accept_partial()
    {
        var start = StartMs;
        async Task<(HttpStatusCode Status, string Body)> WriteAsync(string body, string query)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v3/write_lp?db=plants&" + query) { Content = new StringContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _server.Tokens["telegraf"]);
            using var response = await _server.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // auto: seconds, milliseconds, microseconds and nanoseconds in one body, each told by its magnitude.
        var auto = string.Join('\n', new[] { start / 1000, start + 60_000, (start + 120_000) * 1000, (start + 180_000) * 1_000_000 }
            .Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"meter,site=casa-aero,meter=chillers energy_import_kwh={100 + i} {t}")));
        Assert.Equal(HttpStatusCode.NoContent, (await WriteAsync(auto, "precision=auto")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await WriteAsync($"meter,site=casa-aero,meter=chillers energy_import_kwh=104 {(start / 1000) + 240}", "precision=second")).Status);

        // accept_partial=false: one bad line and nothing is stored.
        var refused = await WriteAsync($"meter,site=casa-aero,meter=chillers energy_import_kwh=105 {(start / 1000) + 300}\nmeter,site=casa-aero,meter=nope x=1", "precision=second&accept_partial=false");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        using var error = JsonDocument.Parse(refused.Body);
        Assert.Contains("nothing was stored", error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, error.RootElement.GetProperty("data")[0].GetProperty("line_number").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await WriteAsync("x", "precision=hour")).Status);

        Assert.Equal(5, await AppliedAsync());
    }

    [Fact]
    public async Task The_official_JavaScript_client_and_node_influx_ping_check_health_find_their_bucket_and_write()
    {
        var folder = ServiceEnvironment.Require(ServiceEnvironment.InfluxJsVariable, "npm install of tests/peers/influxdb-js");
        var result = await ProcessRunner.RunAsync("node",
            [Path.Combine(folder, "compat.mjs"), _server.Host.BaseAddress.ToString().TrimEnd('/'), "telegraf", _server.Tokens["telegraf"], "casa-aero", "compressors",
             StartMs.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal("pass", root.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal("ready", root.GetProperty("ready").GetProperty("status").GetString());
        Assert.Equal("readings", root.GetProperty("buckets")[0].GetString());
        Assert.Equal("programme", root.GetProperty("orgs")[0].GetString());
        var ping = Assert.Single(root.GetProperty("node_influx_ping").EnumerateArray());
        Assert.True(ping.GetProperty("online").GetBoolean());
        Assert.StartsWith("monitoring-", ping.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal(10, await AppliedAsync());
    }

    [Theory]
    [InlineData("1.x")]
    [InlineData("2.0")]
    public async Task Node_RED_writes_through_node_red_contrib_influxdb_in_both_of_its_modes(string mode)
    {
        var folder = ServiceEnvironment.Require(ServiceEnvironment.NodeRedVariable, "npm install of tests/peers/node-red");
        var userDir = Directory.CreateTempSubdirectory("node-red-").FullName;
        var info = new System.Diagnostics.ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(folder, "run-flow.mjs"), mode, _server.Host.BaseAddress.ToString().TrimEnd('/'), "telegraf", _server.Tokens["telegraf"],
                     "casa-aero", "chillers", StartMs.ToString(CultureInfo.InvariantCulture), userDir })
        {
            info.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var nodeRed = System.Diagnostics.Process.Start(info)!;
        nodeRed.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        nodeRed.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        nodeRed.BeginOutputReadLine();
        nodeRed.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            long applied;
            while ((applied = await AppliedAsync()) < 5 && DateTime.UtcNow < deadline && !nodeRed.HasExited)
            {
                await Task.Delay(250);
            }

            string log;
            lock (output)
            {
                log = output.ToString();
            }

            Assert.True(applied == 5, $"{applied} of 5 readings applied; Node-RED said:\n{log}");
            Assert.Contains("Started flows", log, StringComparison.Ordinal);
            Assert.DoesNotContain("[error]", log, StringComparison.Ordinal);
        }
        finally
        {
            nodeRed.Kill(entireProcessTree: true);
            await nodeRed.WaitForExitAsync();
            Directory.Delete(userDir, recursive: true);
        }
    }

    [Fact]
    public async Task Debians_python_influxdb_client_pings_creates_its_database_and_writes()
    {
        var peers = ServiceEnvironment.Require(ServiceEnvironment.PeersVariable, "the peer scripts");
        var url = _server.Host.BaseAddress;
        var result = await ProcessRunner.RunAsync("/usr/bin/python3",
            [Path.Combine(peers, "influxdb_python.py"), url.Host, url.Port.ToString(CultureInfo.InvariantCulture), "telegraf", _server.Tokens["telegraf"],
             "casa-aero", "compressors", StartMs.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.StartsWith("monitoring-", json.RootElement.GetProperty("ping").GetString(), StringComparison.Ordinal);
        Assert.Contains("python", json.RootElement.GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.True(json.RootElement.GetProperty("written").GetBoolean());
        Assert.Equal(5, await AppliedAsync());
    }

    [Fact]
    public async Task The_InfluxDB_1x_shell_connects_lists_databases_and_inserts()
    {
        var influx = ServiceEnvironment.RequireExecutable(ServiceEnvironment.InfluxShellVariable, "influxdb-client (the influx shell)");
        var url = _server.Host.BaseAddress;
        string[] connection = ["-host", url.Host, "-port", url.Port.ToString(CultureInfo.InvariantCulture), "-username", "telegraf", "-password", _server.Tokens["telegraf"], "-database", "shell"];

        var show = await ProcessRunner.RunAsync(influx, [.. connection, "-execute", "SHOW DATABASES"], TimeSpan.FromSeconds(30));
        var insert = await ProcessRunner.RunAsync(influx,
            [.. connection, "-precision", "s", "-execute", $"INSERT meter,site=casa-aero,meter=chillers energy_import_kwh=42 {StartMs / 1000}"], TimeSpan.FromSeconds(30));

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("monitoring", show.StandardOutput, StringComparison.Ordinal);
        Assert.True(insert.ExitCode == 0 && insert.StandardError.Length == 0, insert.ToString());
        Assert.Equal(1, await AppliedAsync());
    }

    [Fact]
    public async Task Telegrafs_own_http_exchanges_for_both_outputs_are_answered_as_InfluxDB_answers_them()
    {
        // outputs.influxdb (v1): CREATE DATABASE at start with basic authentication, then gzip writes to /write.
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("telegraf:" + _server.Tokens["telegraf"])));
        using (var create = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = new FormUrlEncodedContent([new("q", "CREATE DATABASE \"telegraf\"")]) })
        {
            create.Headers.Authorization = basic;
            create.Headers.UserAgent.ParseAdd("Telegraf/1.30.0 Go/1.22.0");
            using var response = await _server.Http.SendAsync(create);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var seconds = StartMs / 1000;
        HttpContent Gzip(string lines)
        {
            var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(lines));
            }

            var content = new ByteArrayContent(buffer.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            content.Headers.ContentEncoding.Add("gzip");
            return content;
        }

        using (var v1 = new HttpRequestMessage(HttpMethod.Post, "/write?db=telegraf&rp=&precision=ns&consistency=any")
        {
            Content = Gzip(string.Create(CultureInfo.InvariantCulture, $"meter,host=gw,meter=chillers,site=casa-aero energy_import_kwh=300 {seconds * 1_000_000_000}\n")),
        })
        {
            // Telegraf adds its host tag to every metric: the registry places the reading, the tag is ignored.
            v1.Headers.Authorization = basic;
            using var response = await _server.Http.SendAsync(v1);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // outputs.influxdb_v2: gzip (its default content_encoding), Authorization: Token, org and bucket parameters.
        using (var v2 = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=telegraf&org=programme")
        {
            Content = Gzip(string.Create(CultureInfo.InvariantCulture, $"meter,meter=chillers,site=casa-aero energy_import_kwh=301 {(seconds + 60) * 1_000_000_000}\n")),
        })
        {
            v2.Headers.Authorization = new AuthenticationHeaderValue("Token", _server.Tokens["telegraf"]);
            v2.Headers.UserAgent.ParseAdd("Telegraf/1.30.0 Go/1.22.0");
            using var response = await _server.Http.SendAsync(v2);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Equal(2, await AppliedAsync());
    }
}
