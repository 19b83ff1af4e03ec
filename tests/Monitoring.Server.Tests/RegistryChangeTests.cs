using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitoring.Server.Cli;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// Day-2 operations against the real <c>monitoring serve</c> process (docs/operations.md): the registry is edited
/// between two runs (a meter added in front of the others, a field added, a multiplier changed from a declared
/// instant, a replacement declared after its readings were aggregated), and a checkpoint is damaged. The server
/// starts each time and keeps every interval it had.
/// </summary>
public sealed class RegistryChangeTests(ITestOutputHelper log) : IDisposable
{
    private static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-2);
    private readonly string _root = RunningServer.NewDataDirectory();

    private string Registry => Path.Combine(_root, "registry");

    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A copy of the example registry to edit.</summary>
    private void CopyRegistry()
    {
        foreach (var file in Directory.EnumerateFiles(MonitoringCommand.BundledRegistry, "*.yaml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Registry, Path.GetRelativePath(MonitoringCommand.BundledRegistry, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private void EditSite(Func<string, string> edit)
    {
        var path = Path.Combine(Registry, "sites", "casa-aero.yaml");
        var text = File.ReadAllText(path);
        var edited = edit(text);
        Assert.NotEqual(text, edited);
        File.WriteAllText(path, edited);
    }

    private Task<ServeProcess> StartAsync() => ServeProcess.StartAsync(Data, log, new Dictionary<string, string>
    {
        ["MONITORING_Ingestion__CheckpointInterval"] = "00:00:01",
        ["MONITORING_Ingestion__TickInterval"] = "00:00:00.2",
    }, registry: Registry);

    private static string Lines(string meter, int fromMinute, int toMinute, Func<int, string> fields) => string.Concat(
        Enumerable.Range(fromMinute, toMinute - fromMinute).Select(m => string.Create(CultureInfo.InvariantCulture,
            $"meter,site=casa-aero,meter={meter} {fields(m)} {Start.AddMinutes(m).ToUnixTimeSeconds()}\n")));

    [Fact]
    public async Task Stopped_edited_and_started_again_the_server_keeps_every_interval_and_applies_the_new_meter()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        var serve = await StartAsync();
        try
        {
            // Two hours of the compressors (1 kWh and 60 kW a minute), then a kill with readings in the log.
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], Lines("compressors", 0, 120, m => $"energy_import_kwh={1000 + m},power_kw=60"))).Status);
            var before = await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 6);
            var gaugesBefore = await IntervalsAsync(serve, tokens["root"], "compressors", "power_kw");
            await serve.DisposeAsync();

            // A new meter in front of every other (every series id moves), a field more for the compressors, and their
            // CT ratio (multiplier) from 1 to 2 from minute 125 on.
            EditSite(text => text
                .Replace("    meters:\n", "    meters:\n" +
                    "      - id: new-sub\n" +
                    "        name: New sub-meter of the second week\n" +
                    "        carrier: electricity\n" +
                    "        parent: main-incomer\n" +
                    "        fields: [energy_import_kwh]\n", StringComparison.Ordinal)
                .Replace(
                    "        multiplier: 1\n        rated_rate: 320\n        fields:\n" +
                    "          - { name: energy_import_kwh, rollover: 1000000 }   # 6-digit register on the old panel display\n" +
                    "          - power_kw\n",
                    "        multiplier: 2\n" +
                    $"        effective_from: {Start.AddMinutes(125):yyyy-MM-ddTHH:mm:ssZ}\n" +
                    "        rated_rate: 320\n        fields:\n" +
                    "          - { name: energy_import_kwh, rollover: 1000000 }\n" +
                    "          - power_kw\n" +
                    "          - current_a\n", StringComparison.Ordinal));
            serve = await StartAsync();

            Assert.Equal(before, (await IntervalsAsync(serve, tokens["root"], "compressors", "energy_import_kwh")).Take(before.Count));
            Assert.Equal(gaugesBefore, (await IntervalsAsync(serve, tokens["root"], "compressors", "power_kw")).Take(gaugesBefore.Count));
            // Applied as a reload of the registry in force at the stop (its copy in the data folder), before any write.
            Assert.Contains("Registry reloaded: 67 series continue, 2 new, 0 gone", serve.Output, StringComparison.Ordinal);

            // The compressors go on (doubled from minute 125), the new meter and the new field are taken at once.
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"],
                Lines("compressors", 120, 180, m => $"energy_import_kwh={1000 + m},power_kw=60,current_a=90") +
                Lines("new-sub", 120, 180, m => $"energy_import_kwh={50 + (m * 0.5)}"))).Status);
            var after = await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 10);
            Assert.Equal(before, after.Take(before.Count));
            Assert.Equal(15 * 2, after.Single(q => q.Start == Start.AddMinutes(135)).Value, 9);
            Assert.Equal((5 * 1) + (10 * 2), after.Single(q => q.Start == Start.AddMinutes(120)).Value, 9);
            var sub = await WaitForAsync(serve, tokens["root"], "new-sub", "energy_import_kwh", 2);
            Assert.All(sub, q => Assert.Equal(7.5, q.Value, 9));
            Assert.NotEmpty(await WaitForAsync(serve, tokens["root"], "compressors", "current_a", 1));
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_replacement_declared_after_its_readings_were_aggregated_corrects_the_intervals_to_the_true_consumption()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        var serve = await StartAsync();
        try
        {
            // The compressors' meter is swapped at minute 10:06 (old register 1030.6, new one from 0): nobody declared it.
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"],
                Lines("compressors", 0, 60, m => m <= 10 ? $"energy_import_kwh={1000 + (m * 3)}" : $"energy_import_kwh={(m - 10.1) * 3:R}"))).Status);
            var reset = (await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 2)).Single(q => q.Start == Start);
            Assert.NotEqual(45, reset.Value, 6);
            await serve.DisposeAsync();

            EditSite(text => text.Replace(
                "          - power_kw\n          - pf\n      - id: cnc-line-1\n",
                "          - power_kw\n          - pf\n" +
                "        replacements:\n" +
                $"          - {{ field: energy_import_kwh, at: {Start.AddMinutes(10.1):yyyy-MM-ddTHH:mm:ss.fffZ}, old_final: 1030.3, new_initial: 0 }}\n" +
                "      - id: cnc-line-1\n", StringComparison.Ordinal));
            serve = await StartAsync();
            Assert.Contains("1 series recomputed for changed replacements", serve.Output, StringComparison.Ordinal);

            // 3 kWh a minute throughout: the first quarter holds 45 kWh, as if the swap had been declared in time.
            var quarters = await IntervalsAsync(serve, tokens["root"], "compressors", "energy_import_kwh");
            Assert.True(Math.Abs(quarters.Single(q => q.Start == Start).Value - 45) < 1e-6, string.Join(", ", quarters.Select(q => $"{q.Start:HH:mm} {q.Value:R}")) + "\n" + serve.Output);
            Assert.All(quarters, q => Assert.Equal(45, q.Value, 6));
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_checkpoint_is_found_at_start_and_nothing_acknowledged_is_lost()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        var serve = await StartAsync();
        List<(DateTimeOffset Start, double Value)> before;
        try
        {
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], Lines("compressors", 0, 60, m => $"energy_import_kwh={1000 + m}"))).Status);
            await WaitForCheckpointAsync(serve);
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], Lines("compressors", 60, 120, m => $"energy_import_kwh={1000 + m}"))).Status);
            before = await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 6);
            await WaitForCheckpointAsync(serve);
            Assert.True(File.Exists(Path.Combine(Data, "checkpoint.prev.bin")));
        }
        finally
        {
            await serve.DisposeAsync();
        }

        var checkpoint = Path.Combine(Data, "checkpoint.bin");
        var bytes = await File.ReadAllBytesAsync(checkpoint);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(checkpoint, bytes);

        serve = await StartAsync();
        try
        {
            Assert.Contains("checkpoint.bin is damaged (its checksum does not match its content): starting from", serve.Output, StringComparison.Ordinal);
            Assert.Equal(before, await IntervalsAsync(serve, tokens["root"], "compressors", "energy_import_kwh"));
        }
        finally
        {
            await serve.DisposeAsync();
        }

        // Both damaged: serve refuses to start with one message that says what to do, and exits 2.
        foreach (var name in new[] { "checkpoint.bin", "checkpoint.prev.bin" })
        {
            var path = Path.Combine(Data, name);
            var content = await File.ReadAllBytesAsync(path);
            content[content.Length / 3] ^= 0x01;
            await File.WriteAllBytesAsync(path, content);
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(StartAsync);
        Assert.Contains("move both away", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edits_while_a_writer_posts_every_second_refuse_no_write_and_an_invalid_registry_is_refused_with_every_error()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        // Change events only (no periodic comparison): the watcher is what this test proves.
        var serve = await ServeProcess.StartAsync(Data, log, new Dictionary<string, string>
        {
            ["MONITORING_Ingestion__CheckpointInterval"] = "00:00:01",
            ["MONITORING_Ingestion__TickInterval"] = "00:00:00.2",
            ["MONITORING_Registry__ReloadDelay"] = "00:00:00.3",
            ["MONITORING_Registry__PollInterval"] = "00:00:00",
        }, registry: Registry);
        try
        {
            var responses = new List<(int Post, HttpStatusCode? Status, string Body, bool NewSub)>();
            var newSub = false;
            using var stop = new CancellationTokenSource();
            var posts = 0;

            // Every second five minutes of readings: the compressors (1 kWh a minute), CNC cell 2 (which the first edit
            // removes) and, once the registry that adds it is in force, the new sub-meter (0.5 kWh a minute).
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var from = posts * 5;
                    var withNewSub = Volatile.Read(ref newSub);
                    var body = Lines("compressors", from, from + 5, m => $"energy_import_kwh={1000 + m}")
                        + Lines("cnc-line-2", from, from + 5, m => $"energy_import_kwh={2 * m},power_kw=120")
                        + (withNewSub ? Lines("new-sub", from, from + 5, m => $"energy_import_kwh={50 + (m * 0.5)}") : "");
                    var (status, answer, _) = await serve.WriteAsync(tokens["agent-casa"], body);
                    lock (responses)
                    {
                        responses.Add((posts, status, answer, withNewSub));
                    }

                    posts++;
                    await Task.Delay(1000);
                }
            });

            async Task WaitForPostsAsync(int count)
            {
                var target = Volatile.Read(ref posts) + count;
                await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref posts) >= target), $"{count} more posts");
            }

            await WaitForPostsAsync(3);

            // 1. Valid: a new sub-meter, CNC cell 2 removed.
            EditSite(text => text
                .Replace("    meters:\n", "    meters:\n" +
                    "      - id: new-sub\n        name: New sub-meter\n        carrier: electricity\n        parent: main-incomer\n        fields: [energy_import_kwh]\n", StringComparison.Ordinal)
                .Replace(
                    "      - id: cnc-line-2\n        name: CNC cell 2 (Carlo Gavazzi EM24)\n        carrier: electricity\n        asset: cnc-cell-2\n" +
                    "        parent: main-incomer\n        rated_rate: 400\n        fields: [energy_import_kwh, power_kw]\n", "", StringComparison.Ordinal));
            await WaitUntilAsync(async () => (await RegistryAsync(serve, tokens["root"])).GetProperty("generation").GetInt32() == 2, "the first edit in force");
            Volatile.Write(ref newSub, true);
            await WaitForPostsAsync(3);

            // 2. Invalid: two mistakes; the registry in force stays, /health says so, the admin route lists both.
            var valid = File.ReadAllText(Path.Combine(Registry, "sites", "casa-aero.yaml"));
            EditSite(text => text
                .Replace("        parent: main-incomer\n        fields: [energy_import_kwh]\n", "        parent: no-such-meter\n        fields: [energy_import_kwh]\n", StringComparison.Ordinal)
                .Replace("        asset: cnc-cell-1\n        parent: main-incomer\n        rated_rate: 400\n        fields: [energy_import_kwh, power_kw]\n",
                    "        asset: cnc-cell-1\n        parent: main-incomer\n        rated_rate: 400\n        fields: [energy_import_kwh, power_kilowatts]\n", StringComparison.Ordinal));
            await WaitUntilAsync(async () => (await RegistryAsync(serve, tokens["root"])).TryGetProperty("refused", out var r) && r.ValueKind == JsonValueKind.Object, "the refusal");
            var registry = await RegistryAsync(serve, tokens["root"]);
            var errors = registry.GetProperty("refused").GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal(2, registry.GetProperty("refused").GetProperty("error_count").GetInt32());
            Assert.Equal(2, registry.GetProperty("generation").GetInt32());
            Assert.All(errors, e => Assert.Matches(@"casa-aero\.yaml:\d+:\d+: ", e));
            Assert.Contains(errors, e => e.Contains("no-such-meter", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("power_kilowatts", StringComparison.Ordinal));
            Assert.All(errors, e => Assert.Contains(e, serve.Output, StringComparison.Ordinal));
            using (var health = await serve.Http.GetAsync(new Uri("/health", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.Contains("degraded: registry reload refused (2 errors)", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.Equal("degraded", (await serve.HealthAsync()).GetProperty("checks").GetProperty("registry").GetProperty("status").GetString());
            await WaitForPostsAsync(3);

            // 3. Valid again, with a field more for the compressors.
            File.WriteAllText(Path.Combine(Registry, "sites", "casa-aero.yaml"), valid.Replace(
                "          - power_kw\n          - pf\n      - id: cnc-line-1\n", "          - power_kw\n          - pf\n          - current_a\n      - id: cnc-line-1\n", StringComparison.Ordinal));
            await WaitUntilAsync(async () => (await RegistryAsync(serve, tokens["root"])).GetProperty("generation").GetInt32() == 3, "the third edit in force");
            Assert.False((await RegistryAsync(serve, tokens["root"])).TryGetProperty("refused", out _));
            Assert.Equal("healthy", (await serve.HealthAsync()).GetProperty("checks").GetProperty("registry").GetProperty("status").GetString());
            await WaitForPostsAsync(3);
            await stop.CancelAsync();
            await writer;

            // No write refused: each was taken whole, or all but CNC cell 2's readings once its removal was in force.
            int minutes, subMinutes;
            lock (responses)
            {
                foreach (var (post, status, body, _) in responses)
                {
                    Assert.True(status == HttpStatusCode.NoContent || (status == HttpStatusCode.BadRequest
                        && Regex.IsMatch(body, "partial write: 5 of (15|20) line") && body.Contains("cnc-line-2", StringComparison.Ordinal)), $"post {post}: {status} {body}");
                }

                Assert.Contains(responses, r => r.Status == HttpStatusCode.BadRequest);
                minutes = responses.Count * 5;
                subMinutes = responses.Count(r => r.NewSub) * 5;
            }

            // Every compressor reading applied: 15 kWh in every quarter the writer covered (the last ones may be open).
            var quarters = await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", (minutes / 15) - 2);
            Assert.All(quarters, q => Assert.Equal(15, q.Value, 9));
            var sub = await WaitForAsync(serve, tokens["root"], "new-sub", "energy_import_kwh", (subMinutes / 15) - 2);
            Assert.All(sub.ToArray()[1..], q => Assert.Equal(7.5, q.Value, 9));
            Assert.Contains("Registry reloaded: ", serve.Output, StringComparison.Ordinal);
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public async Task Started_with_an_invalid_registry_folder_the_server_runs_under_the_registry_in_force_at_the_stop_and_says_why()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        var serve = await StartAsync();
        try
        {
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], Lines("compressors", 0, 60, m => $"energy_import_kwh={1000 + m}"))).Status);
            var before = await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 2);
            await serve.DisposeAsync();

            var valid = File.ReadAllText(Path.Combine(Registry, "sites", "casa-aero.yaml"));
            EditSite(text => text.Replace("        rated_rate: 320\n", "        rated_rate: [320\n", StringComparison.Ordinal));
            serve = await StartAsync();

            Assert.Contains("is not valid (1 error(s), listed above): started under the registry in force at the last stop", serve.Output, StringComparison.Ordinal);
            Assert.Equal(before, (await IntervalsAsync(serve, tokens["root"], "compressors", "energy_import_kwh")).Take(before.Count));
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], Lines("compressors", 60, 120, m => $"energy_import_kwh={1000 + m}"))).Status);
            var registry = await RegistryAsync(serve, tokens["root"]);
            Assert.Matches(@"casa-aero\.yaml:\d+:\d+: invalid YAML", Assert.Single(registry.GetProperty("refused").GetProperty("errors").EnumerateArray()).GetString());
            Assert.Equal("degraded", (await serve.HealthAsync()).GetProperty("checks").GetProperty("registry").GetProperty("status").GetString());

            // Fixed while it runs: the folder is the registry in force again.
            File.WriteAllText(Path.Combine(Registry, "sites", "casa-aero.yaml"), valid);
            await WaitUntilAsync(async () => !(await RegistryAsync(serve, tokens["root"])).TryGetProperty("refused", out _), "the refusal cleared");
            Assert.Equal("healthy", (await serve.HealthAsync()).GetProperty("checks").GetProperty("registry").GetProperty("status").GetString());
            Assert.All(await WaitForAsync(serve, tokens["root"], "compressors", "energy_import_kwh", 6), q => Assert.Equal(15, q.Value, 9));
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_server_started_with_SIGHUP_ignored_says_at_start_that_SIGHUP_will_not_reload_it()
    {
        CopyRegistry();
        var serve = await ServeProcess.StartAsync(Data, log, registry: Registry, hangupIgnored: true);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(serve.Output.Contains("SIGHUP is ignored by this process", StringComparison.Ordinal)), "the warning");
        }
        finally
        {
            await serve.DisposeAsync();
        }

        var normal = await ServeProcess.StartAsync(Data, log, registry: Registry);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(normal.Output.Contains("Application started", StringComparison.Ordinal)), "the start");
            Assert.DoesNotContain("SIGHUP is ignored", normal.Output, StringComparison.Ordinal);
        }
        finally
        {
            await normal.DisposeAsync();
        }
    }

    [Fact]
    public async Task SIGHUP_reloads_a_server_that_does_not_watch_its_folder()
    {
        CopyRegistry();
        var tokens = RunningServer.CreateTokens(Data);
        var serve = await ServeProcess.StartAsync(Data, log, new Dictionary<string, string>
        {
            ["MONITORING_Registry__Watch"] = "false",
            ["MONITORING_Registry__PollInterval"] = "00:00:00",
        }, registry: Registry);
        try
        {
            EditSite(text => text.Replace("          - power_kw\n          - pf\n      - id: cnc-line-1\n",
                "          - power_kw\n          - pf\n          - current_a\n      - id: cnc-line-1\n", StringComparison.Ordinal));
            var line = Lines("compressors", 0, 1, _ => "current_a=90");
            Assert.Equal(HttpStatusCode.BadRequest, (await serve.WriteAsync(tokens["agent-casa"], line)).Status);

            using (var hangup = Process.Start("kill", ["-HUP", serve.ProcessId.ToString(CultureInfo.InvariantCulture)]))
            {
                await hangup.WaitForExitAsync();
                Assert.Equal(0, hangup.ExitCode);
            }

            await WaitUntilAsync(async () => (await RegistryAsync(serve, tokens["root"])).GetProperty("generation").GetInt32() == 2, "the reload on SIGHUP");
            Assert.False(serve.HasExited);
            Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], line)).Status);

            // The admin route reads the folder again: nothing changed.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/registry/reload");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens["root"]);
            using var response = await serve.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("unchanged", json.RootElement.GetProperty("outcome").GetString());
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    private static async Task<JsonElement> RegistryAsync(ServeProcess serve, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/registry");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await serve.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within 60 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until a checkpoint covers everything applied (checkpoints come every second here).</summary>
    private static async Task WaitForCheckpointAsync(ServeProcess serve)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var applied = await serve.FigureAsync("aggregation", "applied_position");
            if (applied > 0 && await serve.FigureAsync("aggregation", "checkpoint_position") >= applied)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("no checkpoint covered the writes within 30 s");
    }

    private static async Task<List<(DateTimeOffset Start, double Value)>> WaitForAsync(ServeProcess serve, string token, string meter, string field, int atLeast)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<(DateTimeOffset, double)> intervals;
        while ((intervals = await IntervalsAsync(serve, token, meter, field)).Count < atLeast && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(intervals.Count >= atLeast, $"{meter} {field}: {intervals.Count} quarter hours, expected {atLeast}");
        return intervals;
    }

    private static async Task<List<(DateTimeOffset Start, double Value)>> IntervalsAsync(ServeProcess serve, string token, string meter, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/sites/casa-aero/meters/{meter}/intervals?field={field}&resolution=15m&from={Start:yyyy-MM-ddTHH:mm:ssZ}&to={Start.AddDays(1):yyyy-MM-ddTHH:mm:ssZ}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await serve.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("intervals").EnumerateArray().Select(i =>
            (i.GetProperty("start").GetDateTimeOffset(), i.TryGetProperty("consumption", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDouble() : i.GetProperty("mean").GetDouble()))];
    }
}
