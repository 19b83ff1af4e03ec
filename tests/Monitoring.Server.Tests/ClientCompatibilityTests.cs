using System.Globalization;
using InfluxDB.Client;
using WritePrecision = InfluxDB.Client.Api.Domain.WritePrecision;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>Independent InfluxDB clients write to <c>monitoring serve</c> as they would to InfluxDB, and are accepted.</summary>
public sealed class ClientCompatibilityTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static long StartMs => DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();

    [Fact]
    public async Task The_CSharp_InfluxDB_client_writes_through_the_v2_API()
    {
        using var client = new InfluxDBClient(_server.Host.BaseAddress.ToString(), _server.Tokens["telegraf"]);
        var start = StartMs;
        var records = Enumerable.Range(0, 10).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"meter,site=tanger-mach,meter=compressors energy_import_kwh={200 + i} {start + (i * 60_000)}")).ToList();
        await client.GetWriteApiAsync().WriteRecordsAsync(records, WritePrecision.Ms, "readings", "programme");

        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(10, _server.Host.Pipeline.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task The_CSharp_InfluxDB_client_sees_a_403_as_an_error_for_another_sites_data()
    {
        using var client = new InfluxDBClient(_server.Host.BaseAddress.ToString(), _server.Tokens["agent-casa"]);
        var error = await Assert.ThrowsAnyAsync<InfluxDB.Client.Core.Exceptions.InfluxException>(() =>
            client.GetWriteApiAsync().WriteRecordAsync($"meter,site=tanger-mach,meter=compressors energy_import_kwh=1 {StartMs}", WritePrecision.Ms, "readings", "programme"));
        Assert.Contains("tanger-mach", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_official_JavaScript_client_writes_through_the_v2_API()
    {
        var folder = ServiceEnvironment.Require(ServiceEnvironment.InfluxJsVariable, "npm install of tests/peers/influxdb-js");
        var result = await ProcessRunner.RunAsync("node",
            [Path.Combine(folder, "write.mjs"), _server.Host.BaseAddress.ToString().TrimEnd('/'), _server.Tokens["telegraf"], "casa-aero", "compressors", "25", StartMs.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(25, _server.Host.Pipeline.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task Curl_sends_v1_writes_as_Telegraf_does_and_they_are_accepted()
    {
        var start = StartMs / 1000;
        var body = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(body, Enumerable.Range(0, 5).Select(i => string.Create(CultureInfo.InvariantCulture,
                $"meter,site=casa-aero,meter=chillers energy_import_kwh={70 + i},power_kw=300 {start + (i * 60)}")));
            var url = new Uri(_server.Host.BaseAddress, "/write?db=telegraf&rp=autogen&precision=s").ToString();
            var result = await ProcessRunner.RunAsync("curl",
                ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-XPOST", url, "-u", "telegraf:" + _server.Tokens["telegraf"],
                 "-H", "Content-Type: text/plain; charset=utf-8", "-H", "User-Agent: Telegraf/1.30", "--data-binary", "@" + body],
                TimeSpan.FromSeconds(30));

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal("204", result.StandardOutput.Trim());
        }
        finally
        {
            File.Delete(body);
        }

        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(10, _server.Host.Pipeline.Statistics.ReadingsApplied);
    }
}
