namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>An MQTT input's counters, read by the <c>edge_status</c> health line.</summary>
public sealed class MqttInputStatistics
{
    private long _messages;
    private long _readings;
    private long _rejectedPayload;
    private long _rejectedSite;
    private long _rejectedMeter;
    private long _rejectedTopic;
    private long _rebirths;
    private long _seqGaps;
    private long _unknownAliases;
    private long _backfilled;
    private long _redeliveredDuplicates;
    private long _connects;
    private long _connectFailures;
    private long _appendFailures;
    private long _acknowledged;
    private long _states;
    private int _connected;

    /// <summary>Messages received (every format, accepted or not).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Field values written to the buffer.</summary>
    public long Readings => Interlocked.Read(ref _readings);

    public long RejectedPayload => Interlocked.Read(ref _rejectedPayload);

    public long RejectedSite => Interlocked.Read(ref _rejectedSite);

    public long RejectedMeter => Interlocked.Read(ref _rejectedMeter);

    public long RejectedTopic => Interlocked.Read(ref _rejectedTopic);

    public long Rejected => RejectedPayload + RejectedSite + RejectedMeter + RejectedTopic;

    /// <summary>Sparkplug B <c>Node Control/Rebirth</c> commands published.</summary>
    public long Rebirths => Interlocked.Read(ref _rebirths);

    public long SeqGaps => Interlocked.Read(ref _seqGaps);

    /// <summary>Sparkplug B metrics dropped because their alias was not known.</summary>
    public long UnknownAliases => Interlocked.Read(ref _unknownAliases);

    /// <summary>Sparkplug B historical (<c>is_historical</c>) values written with their own timestamps.</summary>
    public long Backfilled => Interlocked.Read(ref _backfilled);

    /// <summary>Redelivered messages whose records were already in the buffer: acknowledged, not buffered twice.</summary>
    public long RedeliveredDuplicates => Interlocked.Read(ref _redeliveredDuplicates);

    /// <summary>Successful connections, the first included: more than one means reconnects.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Messages left unacknowledged because the buffer could not take them (the broker sends them again).</summary>
    public long AppendFailures => Interlocked.Read(ref _appendFailures);

    /// <summary>QoS 1 and 2 messages acknowledged to the broker (after their readings were durable, or after they were rejected).</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Sparkplug B primary host STATE messages published (online on each connect, offline on a clean stop).</summary>
    public long StatesPublished => Interlocked.Read(ref _states);

    public bool Connected => Volatile.Read(ref _connected) == 1;

    internal void Received() => Interlocked.Increment(ref _messages);

    internal void Wrote(int readings) => Interlocked.Add(ref _readings, readings);

    internal void Reject(RejectReason reason)
    {
        switch (reason)
        {
            case RejectReason.Site:
                Interlocked.Increment(ref _rejectedSite);
                break;
            case RejectReason.Meter:
                Interlocked.Increment(ref _rejectedMeter);
                break;
            case RejectReason.Topic:
                Interlocked.Increment(ref _rejectedTopic);
                break;
            default:
                Interlocked.Increment(ref _rejectedPayload);
                break;
        }
    }

    internal void RedeliveredDuplicate() => Interlocked.Increment(ref _redeliveredDuplicates);

    internal void Sparkplug(int seqGaps, int unknownAliases, int backfilled)
    {
        Interlocked.Add(ref _seqGaps, seqGaps);
        Interlocked.Add(ref _unknownAliases, unknownAliases);
        Interlocked.Add(ref _backfilled, backfilled);
    }

    internal void RebirthSent() => Interlocked.Increment(ref _rebirths);

    internal void StatePublished() => Interlocked.Increment(ref _states);

    internal void Acknowledge() => Interlocked.Increment(ref _acknowledged);

    internal void AppendFailed() => Interlocked.Increment(ref _appendFailures);

    internal void SetConnected(bool connected)
    {
        if (connected)
        {
            Interlocked.Increment(ref _connects);
        }

        Volatile.Write(ref _connected, connected ? 1 : 0);
    }

    internal void ConnectFailed() => Interlocked.Increment(ref _connectFailures);
}
