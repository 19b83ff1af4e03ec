using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Options;
using Monitoring.LineProtocol;
using Monitoring.Server.Security;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Monitoring.Server.Hosting;

/// <summary>
/// The server's own MQTT broker for edge agents (MQTTnet). An agent connects with a writer token's name as user name
/// and the token as password; it may publish only on <c>{prefix}/{site}/{agent}/lp</c> for the sites of its token,
/// and subscribe to nothing; it must speak MQTT 5. A message is line protocol (the edge uplink's batch, user property <c>batch-id</c>);
/// its PUBACK is sent only after the write-ahead log holds it, and says why when it does not.
/// </summary>
internal sealed partial class EmbeddedBroker(
    WriteProcessor processor,
    TokenStore tokens,
    IOptions<MqttIntakeOptions> options,
    IOptions<HttpIntakeOptions> httpOptions,
    ServerMetrics metrics,
    ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private const string TokenItem = "monitoring.token";
    private readonly MqttIntakeOptions _options = options.Value;
    private MqttServer? _server;

    /// <summary>The port the broker listens on (resolved when the configuration says 0).</summary>
    public int Port { get; private set; }

    public bool IsRunning => _server?.IsStarted == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Mode != "embedded")
        {
            return;
        }

        Port = _options.Port == 0 ? FreePort() : _options.Port;
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Parse(_options.Address))
            .WithDefaultEndpointPort(Port)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += RefuseSubscriptionAsync;
        await _server.StartAsync().ConfigureAwait(false);
        LogStarted(logger, _options.Address, Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true })
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (e.ProtocolVersion != MqttProtocolVersion.V500)
        {
            // A 3.1.1 PUBACK has no reason code: a batch the log could not take would look stored to the writer.
            e.ReasonCode = MqttConnectReasonCode.UnsupportedProtocolVersion;
            LogRefusedConnection(logger, e.ClientId, e.UserName ?? "", $"MQTT {(e.ProtocolVersion == MqttProtocolVersion.V311 ? "3.1.1" : e.ProtocolVersion.ToString())}: the embedded broker speaks MQTT 5 only (it refuses a batch it could not store in the PUBACK); use protocol 5, or an external broker");
            return Task.CompletedTask;
        }

        var entry = tokens.Find(e.Password);
        if (entry is null || !string.Equals(entry.Name, e.UserName, StringComparison.Ordinal))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            LogRefusedConnection(logger, e.ClientId, e.UserName ?? "", "unknown user name or token");
            return Task.CompletedTask;
        }

        if (!entry.MayWrite)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            LogRefusedConnection(logger, e.ClientId, e.UserName ?? "", $"token role {entry.Role} may not write");
            return Task.CompletedTask;
        }

        e.SessionItems[TokenItem] = entry;
        return Task.CompletedTask;
    }

    private static Task RefuseSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Readings are stored, not relayed: nobody subscribes to this broker.
        e.ProcessPublish = false;
        if (e.SessionItems[TokenItem] is not TokenEntry entry)
        {
            Refuse(e, MqttPubAckReasonCode.NotAuthorized, "not authenticated");
            return;
        }

        var topic = e.ApplicationMessage.Topic;
        if (!TryParseTopic(topic, _options.TopicPrefix, out var site) || !entry.Covers(site))
        {
            Refuse(e, MqttPubAckReasonCode.NotAuthorized, $"token '{entry.Name}' may not publish on '{topic}' (expected {_options.TopicPrefix}/<one of its sites>/<agent>/lp)");
            metrics.Write("mqtt", "forbidden");
            return;
        }

        var batchId = e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == "batch-id")?.ValueBuffer ?? ReadOnlyMemory<byte>.Empty;
        var reader = PipeReader.Create(e.ApplicationMessage.Payload);
        WriteOutcome outcome;
        try
        {
            // A topic names one site: the lines must belong to it.
            outcome = await processor.ProcessAsync(reader, httpOptions.Value.MaxBodyBytes, LineProtocolPrecision.Nanoseconds, [site],
                $"mqtt '{entry.Name}' topic {topic}", WriteEndpoints.WriterOf(entry), batchId, e.CancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One message must never take the broker's intake down: it is refused (the agent retries) and logged.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogFailed(logger, topic, ex);
            metrics.Write("mqtt", "failed");
            Refuse(e, MqttPubAckReasonCode.UnspecifiedError, "the server could not process the message; it was not stored");
            return;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        metrics.Write("mqtt", outcome.Status.ToString().ToLowerInvariant());
        switch (outcome.Status)
        {
            case WriteStatus.Accepted:
                break;
            case WriteStatus.Partial:
                // Valid lines are stored, the rest quarantined: a resend would not help, so the agent must not retry.
                LogPartial(logger, topic, outcome.Message);
                e.Response.ReasonCode = MqttPubAckReasonCode.Success;
                e.Response.ReasonString = Truncate(outcome.Message);
                break;
            case WriteStatus.Forbidden:
                Refuse(e, MqttPubAckReasonCode.NotAuthorized, outcome.Message);
                break;
            case WriteStatus.TooLarge:
                Refuse(e, MqttPubAckReasonCode.PayloadFormatInvalid, outcome.Message);
                break;
            default:
                Refuse(e, MqttPubAckReasonCode.QuotaExceeded, outcome.Message);
                break;
        }
    }

    private void Refuse(InterceptingPublishEventArgs e, MqttPubAckReasonCode code, string reason)
    {
        e.Response.ReasonCode = code;
        e.Response.ReasonString = Truncate(reason);
        LogRefusedPublish(logger, e.ClientId, e.ApplicationMessage.Topic, reason);
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500];

    /// <summary><c>{prefix}/{site}/{agent}/lp</c>.</summary>
    internal static bool TryParseTopic(string topic, string prefix, out string site)
    {
        site = "";
        if (!topic.StartsWith(prefix + "/", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = topic[(prefix.Length + 1)..].Split('/');
        if (parts.Length != 3 || parts[2] != "lp" || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        site = parts[0];
        return true;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded MQTT broker listening on {Address}:{Port}")]
    private static partial void LogStarted(ILogger logger, string address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection of client '{ClientId}' (user '{UserName}') refused: {Reason}")]
    private static partial void LogRefusedConnection(ILogger logger, string clientId, string userName, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT publish of client '{ClientId}' on '{Topic}' refused: {Reason}")]
    private static partial void LogRefusedPublish(ILogger logger, string clientId, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on '{Topic}': {Message}")]
    private static partial void LogPartial(ILogger logger, string topic, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT message on '{Topic}' failed; refused, the agent sends it again")]
    private static partial void LogFailed(ILogger logger, string topic, Exception exception);
}
