using System.Globalization;
using System.Text;
using Monitoring.Testing;
using MQTTnet;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet.Protocol;

namespace Monitoring.Server.Tests;

/// <summary>Mode <c>external</c>: <c>serve</c> subscribes on mosquitto with a shared subscription in a persistent session.</summary>
public sealed class ExternalBrokerTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private readonly string _prefix = "ext" + Guid.NewGuid().ToString("N")[..8] + "/v1";

    private Dictionary<string, string?> Settings(string group) => new()
    {
        ["Mqtt:Mode"] = "external",
        ["Mqtt:BrokerHost"] = mosquitto.Endpoint.Host,
        ["Mqtt:BrokerPort"] = mosquitto.Endpoint.Port.ToString(CultureInfo.InvariantCulture),
        ["Mqtt:TopicPrefix"] = _prefix,
        ["Mqtt:SharedGroup"] = group,
    };

    private async Task PublishAsync(int first, int count)
    {
        using var client = await mosquitto.ConnectClientAsync("pub-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None);
        var t = DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeMilliseconds();
        for (var i = first; i < first + count; i++)
        {
            var payload = string.Create(CultureInfo.InvariantCulture, $"meter,site=casa-aero,meter=chillers power_kw={i} {(t + (i * 60_000L)) * 1_000_000}");
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"{_prefix}/casa-aero/gw-1/lp").WithPayload(Encoding.UTF8.GetBytes(payload))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithUserProperty("batch-id", Encoding.UTF8.GetBytes($"gw-1/{i}")).Build());
        }

        await client.DisconnectAsync();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_3_1_1_edge_uplink_has_no_batch_id_so_a_batch_it_sends_again_is_recognised_by_its_content()
    {
        // The edge uplink's own topic prefix; the shared group is this test's alone.
        var settings = Settings("g" + Guid.NewGuid().ToString("N")[..8]);
        settings["Mqtt:TopicPrefix"] = "monitoring/v1";
        var agent = "gw311-" + Guid.NewGuid().ToString("N")[..8];
        var data = RunningServer.NewDataDirectory();
        try
        {
            await using var server = await RunningServer.StartAsync(settings, data);
            await WaitForAsync(() => server.Host.Services.GetRequiredService<Monitoring.Server.Hosting.ExternalBrokerIntake>().IsConnected, "the subscription");
            var t = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds() * 1_000_000;
            var batch = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"meter,site=casa-aero,meter=chillers power_kw={Random.Shared.Next(1, 1000)}.5 {t}\nmeter,site=casa-aero,meter=chillers power_kw=2.5 {t + 60_000_000_000L}\n"));
            await using (var uplink = new Monitoring.Edge.Uplink.MqttUplink(mosquitto.Endpoint.Host, mosquitto.Endpoint.Port, "casa-aero", agent, null, null, TimeSpan.FromSeconds(10), Monitoring.Edge.Inputs.Mqtt.MqttProtocol.V311))
            {
                // The same batch twice, as the forwarder sends it again when a PUBACK was lost.
                await uplink.SendAsync(batch, agent + "@0123456789abcdef:1-2", CancellationToken.None);
                await uplink.SendAsync(batch, agent + "@0123456789abcdef:1-2", CancellationToken.None);
            }

            await WaitForAsync(() => server.Host.Pipeline.Statistics.BatchesStored + server.Host.Pipeline.Statistics.BatchesDuplicate == 2, "both copies");
            Assert.Equal((1, 1), (server.Host.Pipeline.Statistics.BatchesStored, server.Host.Pipeline.Statistics.BatchesDuplicate));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Messages_published_on_the_external_broker_are_stored_including_those_sent_while_the_server_was_down()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8];
        var data = RunningServer.NewDataDirectory();
        try
        {
            await using (var server = await RunningServer.StartAsync(Settings(group), data))
            {
                await WaitForAsync(() => server.Host.Services.GetRequiredService<Monitoring.Server.Hosting.ExternalBrokerIntake>().IsConnected, "the subscription");
                await PublishAsync(0, 10);
                await WaitForAsync(() => server.Host.Pipeline.Statistics.BatchesStored == 10, "10 stored batches");
            }

            // Down: the broker queues for the persistent session.
            await PublishAsync(10, 15);

            await using (var server = await RunningServer.StartAsync(Settings(group), data))
            {
                await WaitForAsync(() => server.Host.Pipeline.Statistics.BatchesStored == 15, "the 15 queued batches");
                await server.Host.Pipeline.CheckpointAsync();
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
