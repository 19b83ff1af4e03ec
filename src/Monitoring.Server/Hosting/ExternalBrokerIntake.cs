using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Monitoring.LineProtocol;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Mode <c>external</c>: the agents publish to a broker of the site's choosing (mosquitto, EMQX...), which
/// authenticates them and enforces the topic ACL; the server subscribes with an MQTT 5 shared subscription
/// (<c>$share/{group}/{prefix}/+/+/lp</c>) so that several servers split the load, in a persistent session so that
/// nothing published while it is down is lost. A message is acknowledged only after the write-ahead log holds it:
/// while the log refuses (busy, full) the handler retries, and the broker keeps the message.
/// </summary>
internal sealed partial class ExternalBrokerIntake(
    WriteProcessor processor,
    IOptions<MqttIntakeOptions> options,
    IOptions<HttpIntakeOptions> httpOptions,
    ServerMetrics metrics,
    ILogger<ExternalBrokerIntake> logger) : BackgroundService
{
    private readonly MqttIntakeOptions _options = options.Value;
    private IMqttClient? _client;

    public bool IsConnected => _client?.IsConnected == true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Mode != "external")
        {
            return;
        }

        var host = _options.BrokerHost ?? throw new InvalidOperationException("Mqtt:BrokerHost is required in mode external");
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e => HandleAsync(e, stoppingToken);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, _options.BrokerPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"monitoring-serve-{Environment.MachineName}-{_options.SharedGroup}")
            .WithCleanStart(false)
            .WithSessionExpiryInterval(7 * 24 * 3600)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (_options.BrokerUsername is { } user)
        {
            builder = builder.WithCredentials(user, Environment.GetEnvironmentVariable(_options.BrokerPasswordVariable));
        }

        var clientOptions = builder.Build();
        var filter = $"$share/{_options.SharedGroup}/{_options.TopicPrefix}/+/+/lp";
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    var connected = await _client.ConnectAsync(clientOptions, stoppingToken).ConfigureAwait(false);
                    if (connected.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        throw new InvalidOperationException($"connect refused: {connected.ResultCode} {connected.ReasonString}");
                    }

                    if (!connected.IsSessionPresent)
                    {
                        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                            .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), stoppingToken).ConfigureAwait(false);
                    }

                    LogConnected(logger, host, _options.BrokerPort, filter);
                    backoff = TimeSpan.FromMilliseconds(500);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException or System.Net.Sockets.SocketException)
            {
                LogConnectFailed(logger, host, _options.BrokerPort, backoff.TotalSeconds, ex.Message);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
        }

        _client.Dispose();
    }

    private async Task HandleAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken stoppingToken)
    {
        var topic = e.ApplicationMessage.Topic;
        if (!EmbeddedBroker.TryParseTopic(topic, _options.TopicPrefix, out var site))
        {
            LogIgnored(logger, topic);
            return;
        }

        var batchId = e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == "batch-id")?.ValueBuffer ?? ReadOnlyMemory<byte>.Empty;
        var delay = TimeSpan.FromMilliseconds(100);
        var failures = 0;
        while (true)
        {
            var reader = PipeReader.Create(e.ApplicationMessage.Payload);
            WriteOutcome outcome;
            try
            {
                outcome = await processor.ProcessAsync(reader, httpOptions.Value.MaxBodyBytes, LineProtocolPrecision.Nanoseconds, [site],
                    $"mqtt topic {topic}", "site:" + site, batchId, stoppingToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // One message must never take the intake down: it is held (not acknowledged) and retried.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogFailed(logger, topic, ex);
                if (++failures >= 5)
                {
                    // A message that fails every time (a bug it meets) must not hold the subscription for ever.
                    metrics.Write("mqtt_external", "failed");
                    LogGaveUp(logger, topic, failures);
                    return;
                }

                outcome = new WriteOutcome(WriteStatus.Unavailable, ex.Message);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }

            metrics.Write("mqtt_external", outcome.Status.ToString().ToLowerInvariant());
            if (outcome.Status != WriteStatus.Unavailable)
            {
                if (outcome.Status != WriteStatus.Accepted)
                {
                    LogNotTaken(logger, topic, outcome.Message);
                }

                return;
            }

            // Not stored yet: hold the acknowledgement (the broker keeps the message) and retry.
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed on MQTT broker {Host}:{Port} to {Filter}")]
    private static partial void LogConnected(ILogger logger, string host, int port, string filter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port} unreachable, retrying in {Seconds} s: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on '{Topic}' ignored: not {{prefix}}/{{site}}/{{agent}}/lp")]
    private static partial void LogIgnored(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on '{Topic}': {Message}")]
    private static partial void LogNotTaken(ILogger logger, string topic, string message);

    [LoggerMessage(Level = LogLevel.Critical, Message = "MQTT message on '{Topic}' failed {Failures} times: acknowledged without being stored")]
    private static partial void LogGaveUp(ILogger logger, string topic, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT message on '{Topic}' failed; held and retried")]
    private static partial void LogFailed(ILogger logger, string topic, Exception exception);
}
