using System.Globalization;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Testing;

/// <summary>The mosquitto broker ./test.sh starts (<c>MONITORING_TEST_MQTT=127.0.0.1:PORT</c>).</summary>
public sealed class MosquittoFixture
{
    /// <summary>The mosquitto command-line publisher (package mosquitto-clients), an independent peer.</summary>
    public const string MosquittoPubPath = "/usr/bin/mosquitto_pub";

    public MosquittoFixture()
    {
        Endpoint = ServiceEnvironment.RequireEndpoint(ServiceEnvironment.MqttVariable, "mosquitto");
    }

    public ServiceEndpoint Endpoint { get; }

    public MqttClientFactory Factory { get; } = new();

    /// <summary>Options for an MQTT 5 (or <paramref name="protocol"/>) client with a clean start, connecting to the broker.</summary>
    public MqttClientOptions CreateClientOptions(string clientId, MqttProtocolVersion protocol = MqttProtocolVersion.V500) =>
        Factory.CreateClientOptionsBuilder()
            .WithTcpServer(Endpoint.Host, Endpoint.Port)
            .WithClientId(clientId)
            .WithProtocolVersion(protocol)
            .WithCleanStart()
            .WithTimeout(TestTimeouts.Operation)
            .Build();

    /// <summary>A connected MQTT 5 (or <paramref name="protocol"/>) client; the caller disposes it.</summary>
    public async Task<IMqttClient> ConnectClientAsync(string clientId, CancellationToken cancellationToken, MqttProtocolVersion protocol = MqttProtocolVersion.V500)
    {
        var client = Factory.CreateMqttClient();
        try
        {
            using var budget = TestTimeouts.Link(cancellationToken);
            var result = await client.ConnectAsync(CreateClientOptions(clientId, protocol), budget.Token).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException(
                    $"mosquitto at {Endpoint} refused client '{clientId}': {result.ResultCode} {result.ReasonString}");
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Publishes the bytes of <paramref name="payloadFile"/> with <c>mosquitto_pub -f</c> (binary payloads: Sparkplug B).</summary>
    public Task<ProcessResult> PublishFileWithCliAsync(
        string topic,
        string payloadFile,
        MqttQualityOfServiceLevel qos,
        CancellationToken cancellationToken,
        MqttProtocolVersion protocol = MqttProtocolVersion.V500) =>
        RunMosquittoPubAsync(topic, ["-f", payloadFile], qos, protocol, cancellationToken);

    /// <summary>Publishes one message with <c>mosquitto_pub</c> (MQTT 5, or <paramref name="protocol"/>), not with our own client.</summary>
    public Task<ProcessResult> PublishWithCliAsync(
        string topic,
        string payload,
        MqttQualityOfServiceLevel qos,
        CancellationToken cancellationToken,
        MqttProtocolVersion protocol = MqttProtocolVersion.V500) =>
        RunMosquittoPubAsync(topic, ["-m", payload], qos, protocol, cancellationToken);

    private Task<ProcessResult> RunMosquittoPubAsync(string topic, string[] payloadArguments, MqttQualityOfServiceLevel qos, MqttProtocolVersion protocol, CancellationToken cancellationToken)
    {
        if (!File.Exists(MosquittoPubPath))
        {
            throw new InvalidOperationException(
                $"{MosquittoPubPath} is missing: run the tests with ./test.sh, which installs mosquitto-clients.");
        }

        string[] arguments =
        [
            "-h", Endpoint.Host,
            "-p", Endpoint.Port.ToString(CultureInfo.InvariantCulture),
            "-V", protocol switch
            {
                MqttProtocolVersion.V500 => "mqttv5",
                MqttProtocolVersion.V311 => "mqttv311",
                _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "mosquitto_pub speaks MQTT 5 and 3.1.1 here"),
            },
            "-i", "mosquitto-pub-" + Guid.NewGuid().ToString("N")[..8],
            "-q", ((int)qos).ToString(CultureInfo.InvariantCulture),
            "-t", topic,
            .. payloadArguments,
        ];
        return ProcessRunner.RunAsync(MosquittoPubPath, arguments, TestTimeouts.Operation, cancellationToken);
    }
}
