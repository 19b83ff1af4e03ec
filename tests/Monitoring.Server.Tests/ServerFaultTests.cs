using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Domain.Registry;
using Monitoring.Server.Security;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// "Acknowledged means durable", against the real <c>monitoring serve</c> process: writers that are too big, that
/// share an agent name, that restart their sequences, and a file system that fills up. Each test counts the readings
/// applied, the duplicates and the refusals exactly, from the server's own figures (<c>/health</c>).
/// </summary>
public sealed class ServerFaultTests(ITestOutputHelper log) : IDisposable
{
    private static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-2);
    private readonly string _data = RunningServer.NewDataDirectory();
    private readonly List<string> _mounts = [];

    public void Dispose()
    {
        foreach (var mount in _mounts)
        {
            Run("umount", "-l", mount);
        }

        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_body_just_under_the_http_limit_of_the_longest_health_lines_is_stored_whole_and_the_next_write_goes_in_at_once()
    {
        var tokens = RunningServer.CreateTokens(_data);
        await using var serve = await ServeProcess.StartAsync(_data, log);

        // The longest agent health lines the vocabulary allows (every field, the longest names, 17-digit values) up to
        // just under the 25 MB body limit: more than any log record holds, as the probe that once stopped the log writer.
        var fields = string.Join(",", AgentHealthVocabulary.Fields.Select(f => $"{f}=12345678901234567"));
        var agent = new string('g', AgentHealthVocabulary.MaxTagLength);
        var body = new StringBuilder();
        var lines = 0;
        while (body.Length + fields.Length + 200 < 25_000_000)
        {
            body.Append(CultureInfo.InvariantCulture, $"edge_status,site=casa-aero,agent={agent} {fields} {Start.AddSeconds(lines).ToUnixTimeSeconds()}\n");
            lines++;
        }

        var big = await serve.WriteAsync(tokens["agent-casa"], body.ToString(), "gw-big@00000000000000aa:1-1");
        Assert.Equal(HttpStatusCode.NoContent, big.Status);

        var clock = Stopwatch.StartNew();
        var next = await serve.WriteAsync(tokens["agent-casa"], Reading("compressors", 0, 1000));
        Assert.Equal(HttpStatusCode.NoContent, next.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the next write took {clock.Elapsed}");

        // The same big batch again is a duplicate; every line of the first one reached the pipeline, once.
        Assert.Equal(HttpStatusCode.NoContent, (await serve.WriteAsync(tokens["agent-casa"], body.ToString(), "gw-big@00000000000000aa:1-1")).Status);
        await WaitForAsync(serve, "aggregation", "passthrough_lines", lines);
        await WaitForAsync(serve, "aggregation", "readings_applied", 1);
        Assert.Equal(1, await serve.FigureAsync("wal", "batches_duplicate"));
        Assert.Equal("healthy", (await serve.HealthAsync()).GetProperty("status").GetString());
        log.WriteLine($"{lines} lines, {body.Length} bytes in one write");
    }

    [Fact]
    public async Task Agent_health_takes_registry_sites_bounded_names_and_the_agent_vocabulary_only()
    {
        var tokens = RunningServer.CreateTokens(_data);
        await using var serve = await ServeProcess.StartAsync(_data, log, new Dictionary<string, string> { ["MONITORING_Ingestion__MaxAgentsPerSite"] = "3" });
        var t = Start.ToUnixTimeSeconds();
        string[] bad =
        [
            $"edge_status,site=nowhere,agent=gw-01 buffer_records=1i {t}",               // not a registry site
            $"edge_status,site=casa-aero buffer_records=1i {t}",                         // no agent
            $"edge_status,site=casa-aero,agent=gw\\ 01 buffer_records=1i {t}",           // not a bounded name
            $"edge_status,site=casa-aero,agent={new string('a', 65)} buffer_records=1i {t}",
            $"edge_status,site=casa-aero,agent=gw-01,rack=7 buffer_records=1i {t}",      // a tag of its own
            $"edge_status,site=casa-aero,agent=gw-01 free_text=1i {t}",                  // not in the vocabulary
            $"edge_status,site=casa-aero,agent=gw-01 buffer_records=\"many\" {t}",       // not a number
        ];
        var good = Enumerable.Range(1, 5).Select(i => $"edge_status,site=casa-aero,agent=gw-0{i} buffer_records={i}i,uplink_up=1i {t}").ToArray();

        var answer = await serve.WriteAsync(tokens["telegraf"], string.Join('\n', [.. bad, .. good]) + "\n");

        // Partial write: the first three agents are taken, the other two exceed the site's limit of three.
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        using var json = System.Text.Json.JsonDocument.Parse(answer.Body);
        var reasons = json.RootElement.GetProperty("lines").EnumerateArray().Select(l => (l.GetProperty("line").GetInt32(), l.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal(Enumerable.Range(1, bad.Length).Concat([11, 12]), reasons.Select(r => r.Item1));
        Assert.Contains("'nowhere'", reasons[0].Item2, StringComparison.Ordinal);
        Assert.Contains("'agent' tag is missing", reasons[1].Item2, StringComparison.Ordinal);
        Assert.Contains("is not 1 to 64 letters", reasons[2].Item2, StringComparison.Ordinal);
        Assert.Contains("not 'rack'", reasons[4].Item2, StringComparison.Ordinal);
        Assert.Contains("no field 'free_text'", reasons[5].Item2, StringComparison.Ordinal);
        Assert.Contains("must be a number", reasons[6].Item2, StringComparison.Ordinal);
        Assert.Contains("MaxAgentsPerSite", reasons[7].Item2, StringComparison.Ordinal);
        await WaitForAsync(serve, "aggregation", "passthrough_lines", 3);
        Assert.Equal(9, await serve.FigureAsync("aggregation", "quarantined"));
    }

    [Fact]
    public async Task Agents_of_the_same_name_at_two_sites_and_an_agent_whose_sequences_restart_lose_nothing()
    {
        var tokens = RunningServer.CreateTokens(_data);
        var tanger = TokenStore.Create(Path.Combine(_data, "tokens.json"), "agent-tanger", TokenRole.Writer, ["tanger-mach"], TimeProvider.System);
        var serve = await ServeProcess.StartAsync(_data, log);
        const string Casa = "casa-aero", Tangier = "tanger-mach";
        async Task SendAsync(string site, string batchId, int first, int count)
        {
            var (token, meter) = site == Casa ? (tokens["agent-casa"], "compressors") : (tanger, "cnc-centres");
            var lines = string.Concat(Enumerable.Range(first, count).Select(minute => Reading(meter, minute, 1000 + minute, site)));
            var answer = await serve.WriteAsync(token, lines, batchId);
            Assert.True(answer.Status == HttpStatusCode.NoContent, $"{site} {batchId}: {answer.Status} {answer.Body}");
        }

        // Both gateways are 'gw-01' (as every example in docs/edge.md): old-style batch ids, then ids with their instance.
        await SendAsync(Casa, "gw-01:1-2", 0, 2);
        await SendAsync(Tangier, "gw-01:1-2", 0, 2);
        await SendAsync(Casa, "gw-01@1111111111111111:3-4", 2, 2);
        await SendAsync(Tangier, "gw-01@1111111111111111:3-4", 2, 2);
        await SendAsync(Tangier, "gw-01@1111111111111111:5-5", 4, 1);

        // The Casablanca gateway is reinstalled: a new buffer, a new instance, sequences from 1 again.
        await SendAsync(Casa, "gw-01@2222222222222222:1-2", 4, 2);

        // Retries: the same batch, and a range at or below the stream's high-water mark, are duplicates.
        await SendAsync(Tangier, "gw-01:1-2", 0, 2);
        await SendAsync(Casa, "gw-01@1111111111111111:3-4", 2, 2);
        await SendAsync(Casa, "gw-01@1111111111111111:1-2", 0, 2);

        await WaitForAsync(serve, "aggregation", "readings_applied", 11);
        Assert.Equal(3, await serve.FigureAsync("wal", "batches_duplicate"));
        Assert.Equal(6, await serve.FigureAsync("wal", "batches_stored"));

        // The same holds after a restart: the high-water marks and batch ids are in the checkpoint and the log.
        await serve.DisposeAsync(); // SIGKILL
        serve = await ServeProcess.StartAsync(_data, log);
        try
        {
            var replayed = await serve.FigureAsync("aggregation", "readings_applied");
            await SendAsync(Casa, "gw-01@1111111111111111:3-4", 2, 2);
            await SendAsync(Casa, "gw-01@2222222222222222:1-2", 4, 2);
            await SendAsync(Tangier, "gw-01@1111111111111111:4-5", 3, 2);
            Assert.Equal(3, await serve.FigureAsync("wal", "batches_duplicate"));
            Assert.Equal(replayed, await serve.FigureAsync("aggregation", "readings_applied"));
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_full_file_system_gives_503_and_degraded_health_then_recovers_by_itself_with_every_acknowledged_reading()
    {
        // The data folder on a small tmpfs of its own (CI runs as root; elsewhere run the suite with sudo).
        var mount = Path.Combine(_data, "small");
        Directory.CreateDirectory(mount);
        var mounted = Run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount);
        Assert.True(mounted.ExitCode == 0, $"mount -t tmpfs failed (this test needs root): {mounted.Output}");
        _mounts.Add(mount);
        var data = Path.Combine(mount, "data");
        Directory.CreateDirectory(data);
        var tokens = RunningServer.CreateTokens(data);
        await using var serve = await ServeProcess.StartAsync(data, log, new Dictionary<string, string>
        {
            ["MONITORING_Ingestion__WalSegmentBytes"] = (1 << 20).ToString(CultureInfo.InvariantCulture),
            ["MONITORING_Ingestion__CheckpointInterval"] = "00:00:01",
        });

        var acknowledged = 0;
        var minute = 0;
        async Task<(HttpStatusCode? Status, string Body, TimeSpan? RetryAfter)> SendAsync()
        {
            var lines = string.Concat(Enumerable.Range(minute, 10).Select(m => Reading("compressors", m, 1000 + m)));
            var answer = await serve.WriteAsync(tokens["agent-casa"], lines);
            if (answer.Status == HttpStatusCode.NoContent)
            {
                acknowledged += 10;
                minute += 10;
            }

            return answer;
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync()).Status);
        }

        // Fill the file system to the last byte.
        var filler = Path.Combine(mount, "filler");
        var filled = Run("sh", "-c", $"dd if=/dev/zero of='{filler}' bs=64k 2>&1; sync");
        log.WriteLine(filled.Output);
        // The log's last page may still take a few small writes; the first one that needs a new page is refused.
        var refused = await SendAsync();
        for (var i = 0; i < 200 && refused.Status == HttpStatusCode.NoContent; i++)
        {
            refused = await SendAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.NotNull(refused.RetryAfter);
        Assert.Contains("No space left on device", refused.Body, StringComparison.Ordinal);
        var health = await serve.HealthAsync();
        Assert.False(health.GetProperty("ready").GetBoolean());
        var wal = health.GetProperty("checks").GetProperty("wal");
        Assert.Equal("unhealthy", wal.GetProperty("status").GetString());
        Assert.Contains("No space left on device", wal.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(mount, wal.GetProperty("figures").GetProperty("file_system").GetString());

        // Space returns: writes go in again without a restart, and the server is ready.
        File.Delete(filler);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await SendAsync()).Status != HttpStatusCode.NoContent)
        {
            Assert.True(DateTime.UtcNow < deadline, "writes still refused 30 s after the space returned");
            await Task.Delay(200);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync()).Status);
        }

        await WaitForAsync(serve, "aggregation", "readings_applied", acknowledged);
        Assert.True((await serve.HealthAsync()).GetProperty("ready").GetBoolean());

        // Every acknowledged reading is in the intervals (1 kWh a minute), and they survive a crash: the log and the
        // checkpoints written around the full disk hold them.
        var quarters = await QuartersAsync(serve, tokens["root"]);
        // Closed quarters: those with a final reading (behind the 15-minute lateness) at or after their end.
        Assert.Equal((minute - 16) / 15, quarters.Count);
        Assert.All(quarters, q => Assert.Equal(15, q.Kwh, 9));
        await serve.KillAsync();
        await using var again = await ServeProcess.StartAsync(data, log);
        Assert.Equal(quarters, await QuartersAsync(again, tokens["root"]));
    }

    [Fact]
    public async Task Every_write_sent_twice_without_a_batch_id_gives_the_intervals_of_one_send_to_the_value_and_sample_count()
    {
        // Ten hours of a counter and a gauge, a reading a minute, in writes of 10 minutes: one server gets each write
        // once, the other each write twice: at once, and again after all of them, newest first (as a client whose
        // responses were lost and that retries much later, long past the aggregation's memory of 32 readings).
        var onceData = RunningServer.NewDataDirectory();
        try
        {
            var tokens = RunningServer.CreateTokens(_data);
            File.Copy(Path.Combine(_data, "tokens.json"), Path.Combine(onceData, "tokens.json"));
            await using var once = await ServeProcess.StartAsync(onceData, log);
            await using var twice = await ServeProcess.StartAsync(_data, log);
            var writes = Enumerable.Range(0, 60).Select(w => string.Concat(Enumerable.Range(w * 10, 10).Select(m => string.Create(CultureInfo.InvariantCulture,
                $"meter,site=casa-aero,meter=compressors energy_import_kwh={1000 + (2.5 * m)},power_kw={100 + (m % 17)} {Start.AddMinutes(m).ToUnixTimeSeconds()}\n")))).ToList();
            foreach (var write in writes)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await once.WriteAsync(tokens["telegraf"], write)).Status);
                Assert.Equal(HttpStatusCode.NoContent, (await twice.WriteAsync(tokens["telegraf"], write)).Status);
                Assert.Equal(HttpStatusCode.NoContent, (await twice.WriteAsync(tokens["telegraf"], write)).Status);
            }

            foreach (var write in Enumerable.Reverse(writes))
            {
                Assert.Equal(HttpStatusCode.NoContent, (await twice.WriteAsync(tokens["telegraf"], write)).Status);
            }

            await WaitForAsync(once, "aggregation", "readings_applied", 1200);
            await WaitForAsync(twice, "aggregation", "readings_applied", 1200);
            Assert.Equal(120, await twice.FigureAsync("wal", "batches_duplicate"));
            foreach (var (field, resolution) in new[] { ("energy_import_kwh", "15m"), ("power_kw", "15m"), ("power_kw", "1h"), ("energy_import_kwh", "1h") })
            {
                var expected = await IntervalsAsync(once, tokens["root"], field, resolution);
                Assert.True(expected.GetArrayLength() >= 9, $"{field} {resolution}: {expected}");
                Assert.Equal(expected.ToString(), (await IntervalsAsync(twice, tokens["root"], field, resolution)).ToString());
            }
        }
        finally
        {
            Directory.Delete(onceData, recursive: true);
        }
    }

    /// <summary>The compressors' closed quarter hours (start, kWh) from the API.</summary>
    private static async Task<List<(string Start, double Kwh)>> QuartersAsync(ServeProcess serve, string token) =>
        [.. (await IntervalsAsync(serve, token, "energy_import_kwh", "15m")).EnumerateArray().Select(i => (i.GetProperty("start").GetString()!, i.GetProperty("consumption").GetDouble()))];

    /// <summary>The compressors' closed intervals of one field and resolution, as the API gives them.</summary>
    private static async Task<System.Text.Json.JsonElement> IntervalsAsync(ServeProcess serve, string token, string field, string resolution)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/sites/casa-aero/meters/compressors/intervals?field={field}&resolution={resolution}&from={Start:yyyy-MM-ddTHH:mm:ssZ}&to={Start.AddDays(1):yyyy-MM-ddTHH:mm:ssZ}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await serve.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("intervals").Clone();
    }

    /// <summary>One counter reading a minute after <see cref="Start"/>.</summary>
    private static string Reading(string meter, int minute, double kwh, string site = "casa-aero") => string.Create(CultureInfo.InvariantCulture,
        $"meter,site={site},meter={meter} energy_import_kwh={kwh} {Start.AddMinutes(minute).ToUnixTimeSeconds()}\n");

    private static async Task WaitForAsync(ServeProcess serve, string check, string figure, long expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long value;
        while ((value = await serve.FigureAsync(check, figure)) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(expected, value);
    }

    private static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
