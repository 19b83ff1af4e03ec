using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
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
            Assert.Contains("The registry changed since the checkpoint", serve.Output, StringComparison.Ordinal);

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
            Assert.Contains("Meter replacements declared since the checkpoint", serve.Output, StringComparison.Ordinal);

            // 3 kWh a minute throughout: the first quarter holds 45 kWh, as if the swap had been declared in time.
            var quarters = await IntervalsAsync(serve, tokens["root"], "compressors", "energy_import_kwh");
            Assert.Equal(45, quarters.Single(q => q.Start == Start).Value, 6);
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
