using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Uplink;

/// <summary>
/// MQTT 5, QoS 1, topic <c>monitoring/v1/{site}/{agent}/lp</c>, line protocol payload, user property
/// <c>batch-id</c>: a batch counts as sent when the broker's PUBACK says so.
/// </summary>
public sealed class MqttUplink : IUplink
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly string _topic;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public MqttUplink(string host, int port, string site, string agent, string? username, string? password, TimeSpan timeout)
    {
        _topic = $"monitoring/v1/{site}/{agent}/lp";
        var factory = new MqttClientFactory();
        _client = factory.CreateMqttClient();
        var builder = factory.CreateClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId($"monitoring-edge-{site}-{agent}")
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(timeout);
        if (username is not null)
        {
            builder = builder.WithCredentials(username, password);
        }

        _options = builder.Build();
        Description = $"MQTT {host}:{port} topic {_topic}";
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

            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topic)
                .WithPayload(lineProtocol.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithContentType("text/plain; charset=utf-8")
                .WithUserProperty("batch-id", System.Text.Encoding.UTF8.GetBytes(batchId))
                .Build();
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
