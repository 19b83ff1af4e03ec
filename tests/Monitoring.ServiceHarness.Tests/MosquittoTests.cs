using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using Monitoring.Testing;

namespace Monitoring.ServiceHarness.Tests;

[Collection(Collections.Mosquitto)]
public sealed class MosquittoTests(MosquittoFixture mqtt)
{
    private sealed record Received(string Topic, string Payload, MqttQualityOfServiceLevel Qos, bool Retain);

    [Fact]
    public async Task Messages_from_mosquitto_pub_and_from_MQTTnet_reach_a_QoS1_subscriber()
    {
        using var timeout = TestTimeouts.Start();
        var ct = timeout.Token;
        var run = Guid.NewGuid().ToString("N")[..12];
        var root = $"monitoring-test/{run}";

        using var subscriber = await mqtt.ConnectClientAsync($"sub-{run}", ct);
        var inbox = Channel.CreateUnbounded<Received>();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            var message = e.ApplicationMessage;
            inbox.Writer.TryWrite(new Received(message.Topic, message.ConvertPayloadToString(), message.QualityOfServiceLevel, message.Retain));
            return Task.CompletedTask;
        };
        var subscription = await subscriber.SubscribeAsync(
            mqtt.Factory.CreateSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(root + "/#").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
                .Build(),
            ct);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(subscription.Items).ResultCode);

        // 1. An independent peer: the mosquitto_pub CLI.
        const string CliPayload = "meter,site=s1,meter=m1 energy_import_kwh=1234.5,power_kw=12.25 1736935200000000000";
        var published = await mqtt.PublishWithCliAsync($"{root}/s1/m1", CliPayload, MqttQualityOfServiceLevel.AtLeastOnce, ct);
        Assert.True(published.ExitCode == 0, published.ToString());

        var fromCli = await inbox.Reader.ReadAsync(ct);
        Assert.Equal(new Received($"{root}/s1/m1", CliPayload, MqttQualityOfServiceLevel.AtLeastOnce, false), fromCli);

        // 2. Our own stack: an MQTTnet 5 publisher.
        using var publisher = await mqtt.ConnectClientAsync($"pub-{run}", ct);
        const string ClientPayload = "meter,site=s1,meter=m2 energy_import_kwh=99.75 1736935260000000000";
        var result = await publisher.PublishAsync(
            mqtt.Factory.CreateApplicationMessageBuilder()
                .WithTopic($"{root}/s1/m2")
                .WithPayload(ClientPayload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(),
            ct);
        Assert.True(result.IsSuccess, $"PUBACK {result.ReasonCode} {result.ReasonString}");
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);

        var fromClient = await inbox.Reader.ReadAsync(ct);
        Assert.Equal(new Received($"{root}/s1/m2", ClientPayload, MqttQualityOfServiceLevel.AtLeastOnce, false), fromClient);

        // Exactly those two: nothing duplicated, nothing from elsewhere.
        Assert.False(inbox.Reader.TryRead(out var extra), $"unexpected message {extra}");

        var disconnect = mqtt.Factory.CreateClientDisconnectOptionsBuilder().Build();
        await publisher.DisconnectAsync(disconnect, ct);
        await subscriber.DisconnectAsync(disconnect, ct);
    }
}
