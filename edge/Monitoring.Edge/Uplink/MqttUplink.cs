using Monitoring.Edge.Inputs.Mqtt;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Uplink;

/// <summary>
/// QoS 1 on topic <c>monitoring/v1/{site}/{agent}/lp</c>, line protocol payload: a batch counts as sent when the
/// broker's PUBACK says so. MQTT 5 (the default) names the batch in the user property <c>batch-id</c> and learns from
/// the PUBACK's reason code why a server refused it. MQTT 3.1.1 has neither: the batch goes without its id (the server
/// recognises one sent again by its content) and any PUBACK counts as stored, which is why the server's embedded
/// broker refuses 3.1.1 agents; an external broker acknowledges for itself and holds the batch for the server.
/// </summary>
public sealed class MqttUplink : IUplink
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly string _topic;
    private readonly bool _mqtt5;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public MqttUplink(string host, int port, string site, string agent, string? username, string? password, TimeSpan timeout, MqttProtocol protocol = MqttProtocol.V500)
    {
        _topic = $"monitoring/v1/{site}/{agent}/lp";
        _mqtt5 = protocol == MqttProtocol.V500;
        var factory = new MqttClientFactory();
        _client = factory.CreateMqttClient();
        var builder = factory.CreateClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId($"monitoring-edge-{site}-{agent}")
            // A persistent session (3.1.1: clean session off): a PUBACK lost with the connection is not a lost batch either way.
            .WithCleanStart(false)
            .WithTimeout(timeout);
        builder = _mqtt5
            ? builder.WithProtocolVersion(MqttProtocolVersion.V500).WithSessionExpiryInterval(3600)
            : builder.WithProtocolVersion(MqttProtocolVersion.V311);
        if (username is not null)
        {
            builder = builder.WithCredentials(username, password);
        }

        _options = builder.Build();
        Description = $"MQTT {(_mqtt5 ? "5" : "3.1.1")} {host}:{port} topic {_topic}";
    }

    public string Description { get; }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> lineProtocol, string batchId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_client.IsConnected)
            {
                var connected = await _client.ConnectAsync(_options, cancellationToken).ConfigureAwait(false);
                if (connected.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new UplinkException($"{Description}: connect refused: {connected.ResultCode} {connected.ReasonString}");
                }
            }

            var builder = new MqttApplicationMessageBuilder()
                .WithTopic(_topic)
                .WithPayload(lineProtocol.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            if (_mqtt5)
            {
                // MQTT 5 properties: a 3.1.1 client cannot send them at all.
                builder = builder
                    .WithContentType("text/plain; charset=utf-8")
                    .WithUserProperty("batch-id", System.Text.Encoding.UTF8.GetBytes(batchId));
            }

            var message = builder.Build();
            var result = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                throw new UplinkException($"{Description}: publish refused: {result.ReasonCode} {result.ReasonString}",
                    permanent: result.ReasonCode is MqttClientPublishReasonCode.PayloadFormatInvalid or MqttClientPublishReasonCode.TopicNameInvalid);
            }
        }
        catch (Exception ex) when (ex is not UplinkException and not OperationCanceledException)
        {
            throw new UplinkException($"{Description}: {ex.Message}", inner: ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }

        _client.Dispose();
        _gate.Dispose();
    }
}
