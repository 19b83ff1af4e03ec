using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Tests;

/// <summary>
/// Sparkplug B 3.0 primary host STATE, on the real executable and mosquitto: edge nodes that wait for their primary
/// host publish only while its retained <c>spBv1.0/STATE/{id}</c> says online, so the agent must say it on every
/// connect, and the broker (the will, after a crash) or the agent (a clean stop) must say offline with the birth's
/// timestamp.
/// </summary>
[Collection(MqttInputBrokerDefinition.Name)]
public sealed partial class PrimaryHostStateTests(MosquittoFixture mosquitto) : IAsyncDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly AgentWorkspace _workspace = new("primary-host");

    public ValueTask DisposeAsync() => _workspace.DisposeAsync();

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task The_agent_publishes_online_on_connect_and_offline_by_will_after_sigkill_and_itself_after_sigterm(string protocol)
    {
        using var stop = TestTimeouts.Start(TimeSpan.FromMinutes(2));
        var host = "scada-" + _id;
        var topic = $"spBv1.0/STATE/{host}";
        var config = Path.Combine(_workspace.Folder, "edge.yaml");
        await File.WriteAllTextAsync(config, $"""
            site: ph-{_id}
            agent: gw-01
            health_interval: 1h
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                protocol: '{protocol}'
                client_id: primary-host-{_id}
                sparkplug: {"{"} primary_host_id: {host} {"}"}
                subscriptions:
                  - {"{"} topic: "ph-{_id}/{"{meter}"}", format: number, field: power_kw {"}"}
            buffer: {"{"} directory: {Path.Combine(_workspace.Folder, "buffer")}, fsync: false {"}"}
            uplink: {"{"} url: "http://127.0.0.1:9/" {"}"}
            """, stop.Token);

        using var subscriber = await mosquitto.ConnectClientAsync("state-sub-" + _id, stop.Token);
        var states = Channel.CreateUnbounded<MqttApplicationMessage>();
        subscriber.ApplicationMessageReceivedAsync += e => states.Writer.WriteAsync(e.ApplicationMessage).AsTask();
        await subscriber.SubscribeAsync(StateFilter(topic), stop.Token);
        try
        {
            // Start: online, retained, with a timestamp of the connect.
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var agent = _workspace.Start(config);
            var born = AssertState(await NextAsync(states.Reader, agent, stop.Token), topic, online: true, agent);
            Assert.InRange(born, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await agent.WaitForOutputAsync($"primary host '{host}': published online STATE (timestamp {born.ToString(CultureInfo.InvariantCulture)})", stop.Token);

            // SIGKILL: the broker publishes the will, offline with the birth's timestamp.
            await agent.KillAsync(stop.Token);
            Assert.Equal(born, AssertState(await NextAsync(states.Reader, agent, stop.Token), topic, online: false, agent));

            // A new run is a new birth, with a later timestamp; SIGTERM publishes the offline STATE itself.
            agent = _workspace.Start(config);
            var reborn = AssertState(await NextAsync(states.Reader, agent, stop.Token), topic, online: true, agent);
            Assert.True(reborn > born, $"the second birth {reborn} is not after the first {born}");
            Assert.Equal(0, await agent.StopAsync(stop.Token));
            Assert.Equal(reborn, AssertState(await NextAsync(states.Reader, agent, stop.Token), topic, online: false, agent));
            Assert.Contains($"primary host '{host}': published offline STATE (timestamp {reborn.ToString(CultureInfo.InvariantCulture)})", agent.Output, StringComparison.Ordinal);

            // What an edge node connecting now reads: the retained offline STATE of the last birth.
            using var late = await mosquitto.ConnectClientAsync("state-late-" + _id, stop.Token);
            var retained = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            late.ApplicationMessageReceivedAsync += e =>
            {
                retained.TrySetResult(e.ApplicationMessage);
                return Task.CompletedTask;
            };
            await late.SubscribeAsync(StateFilter(topic), stop.Token);
            Assert.Equal(reborn, AssertState(await retained.Task.WaitAsync(stop.Token), topic, online: false, agent));
        }
        finally
        {
            // Leave no retained message on the shared broker.
            await subscriber.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithRetainFlag().Build(), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_reconnect_is_a_new_birth_and_every_state_is_counted()
    {
        using var stop = TestTimeouts.Start();
        var host = "scada-rc-" + _id;
        var topic = $"spBv1.0/STATE/{host}";
        var settings = Assert.Single(EdgeYaml.Valid($"""
            site: ph-{_id}
            agent: gw-01
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                client_id: primary-host-rc-{_id}
                sparkplug: {"{"} primary_host_id: {host} {"}"}
                subscriptions: [{"{"} topic: "ph-{_id}/{"{meter}"}", format: number, field: power_kw {"}"}]
            """).MqttInputs!);
        using var subscriber = await mosquitto.ConnectClientAsync("state-rc-sub-" + _id, stop.Token);
        var states = Channel.CreateUnbounded<MqttApplicationMessage>();
        subscriber.ApplicationMessageReceivedAsync += e => states.Writer.WriteAsync(e.ApplicationMessage).AsTask();
        await subscriber.SubscribeAsync(StateFilter(topic), stop.Token);
        var log = new StringWriter();
        var input = new MqttInput(settings, $"ph-{_id}", (_, _, _) => ValueTask.FromResult(0L), log);
        try
        {
            var run = input.RunAsync(stop.Token);
            var born = State(await states.Reader.ReadAsync(stop.Token), online: true);
            await WaitForStatesAsync(input, 1, stop.Token);

            // A dropped connection (a clean disconnect: no will) and the reconnect: online again, with a later timestamp.
            await input.DropConnectionAsync();
            var reborn = State(await states.Reader.ReadAsync(stop.Token), online: true);
            Assert.True(reborn > born, $"the reconnect's birth {reborn} is not after {born}");
            await WaitForStatesAsync(input, 2, stop.Token);

            await stop.CancelAsync();
            await run;
            await input.DisposeAsync();
            Assert.Equal(reborn, State(await states.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TestTimeouts.Operation), online: false));
            Assert.Equal(3, input.Statistics.StatesPublished);
        }
        finally
        {
            await input.DisposeAsync();
            await subscriber.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithRetainFlag().Build(), CancellationToken.None);
        }

        long State(MqttApplicationMessage message, bool online)
        {
            var payload = Encoding.UTF8.GetString(message.Payload);
            var match = StatePayload().Match(payload);
            Assert.True(match.Success && message.Retain && match.Groups["online"].Value == (online ? "true" : "false"), $"STATE '{payload}' (retained: {message.Retain}); input log:\n{log}");
            return long.Parse(match.Groups["timestamp"].Value, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The broker forwards a STATE before the agent has its PUBACK, and counts it.</summary>
    private static async Task WaitForStatesAsync(MqttInput input, long count, CancellationToken cancellationToken)
    {
        while (input.Statistics.StatesPublished < count)
        {
            await Task.Delay(20, cancellationToken);
        }

        Assert.Equal(count, input.Statistics.StatesPublished);
    }

    /// <summary>The next STATE, or a failure that shows what the agent printed.</summary>
    private static async Task<MqttApplicationMessage> NextAsync(ChannelReader<MqttApplicationMessage> states, AgentProcess agent, CancellationToken cancellationToken)
    {
        try
        {
            return await states.ReadAsync(cancellationToken).AsTask().WaitAsync(TestTimeouts.Operation, cancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no STATE within {TestTimeouts.Operation}; agent output:\n{agent.Output}");
            throw;
        }
    }

    /// <summary>Retain-as-published, so that a live message shows whether it was retained.</summary>
    private MqttClientSubscribeOptions StateFilter(string topic) =>
        mosquitto.Factory.CreateSubscribeOptionsBuilder()
            .WithTopicFilter(new MqttTopicFilterBuilder().WithTopic(topic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainAsPublished().Build())
            .Build();

    /// <summary>Asserts a retained QoS 1 STATE with exactly the Sparkplug payload and returns its timestamp.</summary>
    private static long AssertState(MqttApplicationMessage message, string topic, bool online, AgentProcess agent)
    {
        var payload = Encoding.UTF8.GetString(message.Payload);
        Assert.Equal(topic, message.Topic);
        Assert.True(message.Retain, $"STATE '{payload}' not retained");
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        var match = StatePayload().Match(payload);
        Assert.True(match.Success, $"STATE payload '{payload}'; agent output:\n{agent.Output}");
        Assert.Equal(online ? "true" : "false", match.Groups["online"].Value);
        return long.Parse(match.Groups["timestamp"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^\{""online"":(?<online>true|false),""timestamp"":(?<timestamp>[1-9][0-9]{12})\}$", RegexOptions.CultureInvariant)]
    private static partial Regex StatePayload();
}
