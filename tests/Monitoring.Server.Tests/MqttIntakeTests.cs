using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Server.Tests;

/// <summary>The embedded MQTT broker of <c>monitoring serve</c>: authentication, topic ACL, acknowledgement after the log, batch-id.</summary>
public sealed class MqttIntakeTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<IMqttClient> ConnectAsync(string user, string password)
    {
        var (client, result) = await TryConnectAsync(user, password);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    private async Task<(IMqttClient Client, MqttClientConnectResult Result)> TryConnectAsync(string user, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _server.Host.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("test-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials(user, password)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        return (client, await client.ConnectAsync(options));
    }

    private static MqttApplicationMessage Message(string topic, string payload, string? batchId = null)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (batchId is not null)
        {
            builder = builder.WithUserProperty("batch-id", Encoding.UTF8.GetBytes(batchId));
        }

        return builder.Build();
    }

    private static string Lines(string site, int count)
    {
        var t = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() * 1_000_000;
        return string.Join('\n', Enumerable.Range(0, count).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"meter,site={site},meter=main-incomer energy_import_kwh={1000 + i} {t + (i * 60_000_000_000L)}")));
    }

    [Fact]
    public async Task An_agent_publishing_under_its_own_site_is_acknowledged_once_the_log_holds_the_batch()
    {
        using var client = await ConnectAsync("agent-casa", _server.Tokens["agent-casa"]);
        var result = await client.PublishAsync(Message("monitoring/v1/casa-aero/gw-1/lp", Lines("casa-aero", 5) + "\nedge_status,site=casa-aero,agent=gw-1 buffer_records=0i", "gw-1/1"));

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        // PUBACK came after the append: the batch is in the log without waiting for anything else.
        Assert.Equal(1, _server.Host.Pipeline.Statistics.BatchesStored);
        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(5, _server.Host.Pipeline.Statistics.ReadingsApplied);
        Assert.Equal(1, _server.Host.Pipeline.Statistics.PassthroughLines);
    }

    [Fact]
    public async Task An_agent_publishing_on_another_sites_topic_is_refused_by_the_broker()
    {
        using var client = await ConnectAsync("agent-casa", _server.Tokens["agent-casa"]);
        var otherTopic = await client.PublishAsync(Message("monitoring/v1/tanger-mach/gw-1/lp", Lines("tanger-mach", 2)));
        var smuggled = await client.PublishAsync(Message("monitoring/v1/casa-aero/gw-1/lp", Lines("tanger-mach", 2)));
        var offTree = await client.PublishAsync(Message("elsewhere/readings", Lines("casa-aero", 2)));

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, otherTopic.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, smuggled.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, offTree.ReasonCode);
        Assert.Equal(0, _server.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task A_wrong_password_or_a_reader_token_cannot_connect()
    {
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, (await TryConnectAsync("agent-casa", "mon_wrong")).Result.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, (await TryConnectAsync("officer", _server.Tokens["officer"])).Result.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, (await TryConnectAsync("telegraf", _server.Tokens["agent-casa"])).Result.ResultCode);
    }

    [Fact]
    public async Task A_redelivered_batch_with_the_same_batch_id_is_stored_once()
    {
        using var client = await ConnectAsync("agent-casa", _server.Tokens["agent-casa"]);
        var payload = Lines("casa-aero", 3);
        for (var i = 0; i < 3; i++)
        {
            var result = await client.PublishAsync(Message("monitoring/v1/casa-aero/gw-1/lp", payload, "gw-1/7"));
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }

        Assert.Equal(1, _server.Host.Pipeline.Statistics.BatchesStored);
        Assert.Equal(2, _server.Host.Pipeline.Statistics.BatchesDuplicate);
    }

    [Fact]
    public async Task An_edge_uplink_speaking_3_1_1_is_refused_at_connect_since_its_puback_could_not_say_not_stored()
    {
        await using var uplink = new Monitoring.Edge.Uplink.MqttUplink("127.0.0.1", _server.Host.MqttPort, "casa-aero", "gw-8", "agent-casa", _server.Tokens["agent-casa"], TimeSpan.FromSeconds(10), Monitoring.Edge.Inputs.Mqtt.MqttProtocol.V311);
        var refused = await Assert.ThrowsAsync<Monitoring.Edge.Uplink.UplinkException>(
            async () => await uplink.SendAsync(Encoding.UTF8.GetBytes(Lines("casa-aero", 2)), "gw-8/1", CancellationToken.None));

        Assert.False(refused.Permanent);
        Assert.Contains("UnsupportedProtocolVersion", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.Host.Pipeline.Statistics.BatchesStored);
    }

    [Fact]
    public async Task The_edge_agents_own_uplink_delivers_to_the_embedded_broker()
    {
        await using var uplink = new Monitoring.Edge.Uplink.MqttUplink("127.0.0.1", _server.Host.MqttPort, "casa-aero", "gw-9", "agent-casa", _server.Tokens["agent-casa"], TimeSpan.FromSeconds(10));
        await uplink.SendAsync(Encoding.UTF8.GetBytes(Lines("casa-aero", 4)), "gw-9/1", CancellationToken.None);

        await _server.Host.Pipeline.CheckpointAsync();
        Assert.Equal(4, _server.Host.Pipeline.Statistics.ReadingsApplied);
    }

    [Fact]
    public async Task Subscribing_on_the_embedded_broker_is_refused()
    {
        using var client = await ConnectAsync("agent-casa", _server.Tokens["agent-casa"]);
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("monitoring/#").Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, result.Items.Single().ResultCode);
    }
}
