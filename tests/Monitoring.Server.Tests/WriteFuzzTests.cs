using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests;

/// <summary>
/// Mutated bodies through the real write API: every response is 204 or 400 (never a 5xx, never a dropped
/// connection), every 400 names lines inside the body with a reason, and the server stays ready.
/// </summary>
public sealed class WriteFuzzTests : IAsyncLifetime
{
    private const int Bodies = 200;
    private const int LinesPerBody = 250;
    private static readonly byte[] Specials = "\\\"=, \n\t#iu.-+eE0TtFf\u00e9\0"u8.ToArray();

    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Fifty_thousand_mutated_lines_get_204_or_400_with_reasons_and_the_server_stays_ready()
    {
        var random = new Random(20261126);
        var t = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds();
        long partial = 0, accepted = 0, reported = 0;
        for (var b = 0; b < Bodies; b++)
        {
            var body = new List<byte>();
            for (var i = 0; i < LinesPerBody; i++)
            {
                var line = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"meter,site=casa-aero,meter=compressors energy_import_kwh={1000 + (b * LinesPerBody) + i},power_kw={random.Next(400)}.5 {t + (b * LinesPerBody) + i}")).ToList();
                for (var m = random.Next(4); m > 0; m--)
                {
                    var at = random.Next(line.Count);
                    switch (random.Next(3))
                    {
                        case 0:
                            line[at] = Specials[random.Next(Specials.Length)];
                            break;
                        case 1:
                            line.Insert(at, Specials[random.Next(Specials.Length)]);
                            break;
                        default:
                            line.RemoveAt(at);
                            break;
                    }
                }

                body.AddRange(line);
                body.Add((byte)'\n');
            }

            using var request = RunningServer.Write("", _server.Tokens["telegraf"], "/api/v2/write?precision=s");
            request.Content = new ByteArrayContent([.. body]);
            using var response = await _server.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.BadRequest, $"body {b}: {(int)response.StatusCode} {text}");
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                accepted++;
                continue;
            }

            partial++;
            using var json = JsonDocument.Parse(text);
            var lines = json.RootElement.GetProperty("lines").EnumerateArray().ToList();
            Assert.NotEmpty(lines);
            Assert.True(json.RootElement.GetProperty("rejected").GetInt64() >= lines.Count);
            foreach (var line in lines)
            {
                Assert.InRange(line.GetProperty("line").GetInt64(), 1, LinesPerBody + 20);
                Assert.True(line.GetProperty("column").GetInt32() >= 1);
                Assert.False(string.IsNullOrWhiteSpace(line.GetProperty("reason").GetString()));
            }

            reported += json.RootElement.GetProperty("rejected").GetInt64();
        }

        Assert.Equal(Bodies, accepted + partial);
        Assert.True(reported > 1000, $"{reported} bad lines reported");
        using var health = await _server.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await _server.Host.Pipeline.CheckpointAsync();
        Assert.True(_server.Host.Pipeline.Statistics.ReadingsApplied > 10_000, $"{_server.Host.Pipeline.Statistics.ReadingsApplied} readings applied");
    }
}
