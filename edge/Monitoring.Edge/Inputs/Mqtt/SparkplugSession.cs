using System.Globalization;
using Google.Protobuf;
using Monitoring.Edge.Inputs.Mqtt.Sparkplug;
using Monitoring.Edge.Polling;

namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>
/// A Sparkplug B host's view of the edge nodes it hears: per edge node the alias table (from NBIRTH and DBIRTH),
/// the last <c>seq</c>, the <c>bdSeq</c> of its birth, and which devices are online. Data messages become
/// readings through the configured metric table; an unknown alias, a <c>seq</c> gap, data from a node not born
/// (e.g. after this agent restarted) or from a dead device asks the node for a rebirth (at most once per
/// <see cref="RebirthInterval"/> until its NBIRTH arrives).
/// </summary>
internal sealed class SparkplugSession(TimeProvider time)
{
    public const string RebirthMetric = "Node Control/Rebirth";

    /// <summary>Unanswered rebirth requests to one node are repeated at most this often.</summary>
    public static readonly TimeSpan RebirthInterval = TimeSpan.FromSeconds(5);

    private const uint DataTypeInt8 = 1, DataTypeInt16 = 2, DataTypeInt32 = 3, DataTypeInt64 = 4;
    private const uint DataTypeBoolean = 11;

    private readonly Dictionary<(string Group, string Node), NodeState> _nodes = [];
    private readonly Lock _lock = new();

    /// <summary>Devices known and marked offline (DDEATH, or NDEATH of their node).</summary>
    public int DevicesOffline
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Values.Sum(n => n.Devices.Values.Count(online => !online));
            }
        }
    }

    /// <summary>Null when the device was never seen; false after its DDEATH or its node's NDEATH.</summary>
    public bool? IsDeviceOnline(string group, string node, string device)
    {
        lock (_lock)
        {
            return _nodes.TryGetValue((group, node), out var state) && state.Devices.TryGetValue(device, out var online) ? online : null;
        }
    }

    /// <summary>Null when the node was never seen.</summary>
    public bool? IsNodeOnline(string group, string node)
    {
        lock (_lock)
        {
            return _nodes.TryGetValue((group, node), out var state) ? state.Online : null;
        }
    }

    /// <summary>The NCMD payload asking an edge node to publish its births again.</summary>
    public static byte[] RebirthCommand(DateTimeOffset now)
    {
        var command = new Payload { Timestamp = (ulong)now.ToUnixTimeMilliseconds() };
        command.Metrics.Add(new Payload.Types.Metric { Name = RebirthMetric, Datatype = DataTypeBoolean, BooleanValue = true, Timestamp = (ulong)now.ToUnixTimeMilliseconds() });
        return command.ToByteArray();
    }

    public static string CommandTopic(string group, string node) => $"{MqttInputReader.SparkplugNamespace}/{group}/NCMD/{node}";

    /// <summary>Sparkplug B 3.0: where a primary host application says whether it is online.</summary>
    public static string StateTopic(string hostId) => $"{MqttInputReader.SparkplugNamespace}/STATE/{hostId}";

    /// <summary>
    /// A primary host's STATE payload, <c>{"online":true,"timestamp":1764000000000}</c>: the death (the will, or the
    /// STATE a clean stop publishes) carries its birth's timestamp, so that an edge node can tell it from a later birth.
    /// </summary>
    public static byte[] StatePayload(bool online, long timestampMs) =>
        System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"online\":{(online ? "true" : "false")},\"timestamp\":{timestampMs}}}"));

    public void Decode(MqttSubscriptionSettings subscription, string topic, ReadOnlyMemory<byte> bytes, DateTimeOffset receivedAt, DecodedMessage message)
    {
        lock (_lock)
        {
            DecodeLocked(subscription, topic, bytes, receivedAt, message);
        }
    }

    private void DecodeLocked(MqttSubscriptionSettings subscription, string topic, ReadOnlyMemory<byte> bytes, DateTimeOffset receivedAt, DecodedMessage message)
    {
        // spBv1.0/{group}/{type}/{edge node}[/{device}]; spBv1.0/STATE/{host} is a host application's state.
        var levels = topic.Split('/');
        if (levels.Length is < 3 or > 5 || levels[1] == "STATE")
        {
            return;
        }

        if (levels.Length < 4)
        {
            message.Reject(RejectReason.Topic, "not a Sparkplug B topic (spBv1.0/group/type/edge-node[/device])");
            return;
        }

        var (group, type, node) = (levels[1], levels[2], levels[3]);
        var device = levels.Length == 5 ? levels[4] : null;
        if (type is "NCMD" or "DCMD")
        {
            return; // commands (ours included) are for edge nodes
        }

        var isDeviceMessage = type is "DBIRTH" or "DDATA" or "DDEATH";
        if (isDeviceMessage != (device is not null) || type is not ("NBIRTH" or "NDATA" or "NDEATH" or "DBIRTH" or "DDATA" or "DDEATH"))
        {
            message.Reject(RejectReason.Topic, $"'{type}' is not a Sparkplug B message type for this topic");
            return;
        }

        Payload payload;
        try
        {
            payload = Payload.Parser.ParseFrom(bytes.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            message.Reject(RejectReason.Payload, $"not a Sparkplug B payload: {ex.Message}");
            return;
        }

        var key = (group, node);
        if (!_nodes.TryGetValue(key, out var state))
        {
            state = new NodeState();
            _nodes.Add(key, state);
        }

        var now = time.GetUtcNow();
        switch (type)
        {
            case "NBIRTH":
                state.Birth(payload);
                break;
            case "NDEATH":
                // The will message of an older session (its bdSeq differs from the current birth's) is stale.
                var bdSeq = BdSeq(payload);
                if (state.Born && bdSeq is not null && state.BdSeq is not null && bdSeq != state.BdSeq)
                {
                    message.Warnings.Add($"NDEATH with bdSeq {bdSeq.Value.ToString(CultureInfo.InvariantCulture)} of an earlier session ignored (current {state.BdSeq.Value.ToString(CultureInfo.InvariantCulture)})");
                    return;
                }

                state.Die();
                return;
            default:
                if (!state.Born)
                {
                    message.Warnings.Add($"{type} from edge node '{group}/{node}' before its NBIRTH");
                    RequestRebirth(state, group, node, now, message);
                }
                else if (!CheckSeq(state, payload, out var expected))
                {
                    message.SeqGaps++;
                    message.Warnings.Add($"seq {payload.Seq.ToString(CultureInfo.InvariantCulture)} where {expected.ToString(CultureInfo.InvariantCulture)} was expected: messages were lost");
                    RequestRebirth(state, group, node, now, message);
                }

                break;
        }

        if (type == "DBIRTH")
        {
            state.Devices[device!] = true;
            state.Learn(payload);
        }
        else if (type == "DDEATH")
        {
            state.Devices[device!] = false;
            return;
        }
        else if (type == "DDATA" && (!state.Devices.TryGetValue(device!, out var online) || !online))
        {
            message.Warnings.Add($"DDATA from device '{device}' that is not born (no DBIRTH since its death or since this agent started)");
            RequestRebirth(state, group, node, now, message);
        }

        string? meter = subscription.Meter;
        if (meter is null && !MqttMessageDecoder.TryMeter(subscription, device ?? node, message, out meter))
        {
            return;
        }

        var fallback = payload.HasTimestamp ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(payload.Timestamp, long.MaxValue)) : (DateTimeOffset?)null;
        foreach (var metric in payload.Metrics)
        {
            Read(subscription, state, metric, meter!, fallback, receivedAt, message);
        }

        if (message.UnknownAliases > 0)
        {
            RequestRebirth(state, group, node, now, message);
        }
    }

    private static void Read(
        MqttSubscriptionSettings subscription, NodeState state, Payload.Types.Metric metric, string meter,
        DateTimeOffset? payloadTime, DateTimeOffset receivedAt, DecodedMessage message)
    {
        string? name = metric.HasName ? metric.Name : null;
        var datatype = metric.HasDatatype ? metric.Datatype : 0;
        if (metric.HasAlias && state.Aliases.TryGetValue(metric.Alias, out var known))
        {
            name ??= known.Name;
            datatype = metric.HasDatatype ? datatype : known.DataType;
        }
        else if (name is null)
        {
            message.UnknownAliases++;
            message.Warnings.Add($"unknown alias {metric.Alias.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        var mapping = subscription.Fields.FirstOrDefault(f => f.Source == name);
        if (mapping is null || (metric.HasIsNull && metric.IsNull))
        {
            return; // a metric the table does not map (bdSeq, Node Control/..., anything else), or no value
        }

        if (!TryValue(metric, datatype, out var raw))
        {
            message.Warnings.Add($"metric '{name}' ({mapping.Field}) has no numeric value ({metric.ValueCase}); skipped");
            return;
        }

        DateTimeOffset timestamp;
        if (metric.HasTimestamp)
        {
            timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(metric.Timestamp, 253_402_300_799_000));
        }
        else if (payloadTime is { } sent)
        {
            timestamp = sent;
        }
        else if (metric.IsHistorical)
        {
            message.Warnings.Add($"historical metric '{name}' without a timestamp; skipped");
            return;
        }
        else
        {
            timestamp = receivedAt;
        }

        if (!MqttMessageDecoder.CheckTimestamp(timestamp, receivedAt, out var problem))
        {
            message.Warnings.Add($"metric '{name}': timestamp {problem}; skipped");
            return;
        }

        if (metric.IsHistorical)
        {
            message.Backfilled++;
        }

        message.Readings.Add(new MeterReading(meter, new Reading(timestamp, mapping.Field, mapping.Convert(raw))));
    }

    /// <summary>The metric's number, signed integer types read as two's complement; floats as the decimal they print as.</summary>
    private static bool TryValue(Payload.Types.Metric metric, uint datatype, out double value)
    {
        value = metric.ValueCase switch
        {
            Payload.Types.Metric.ValueOneofCase.IntValue => datatype switch
            {
                DataTypeInt8 => (sbyte)(byte)metric.IntValue,
                DataTypeInt16 => (short)(ushort)metric.IntValue,
                DataTypeInt32 => (int)metric.IntValue,
                _ => metric.IntValue,
            },
            Payload.Types.Metric.ValueOneofCase.LongValue => datatype == DataTypeInt64 ? (long)metric.LongValue : metric.LongValue,
            Payload.Types.Metric.ValueOneofCase.FloatValue => double.Parse(metric.FloatValue.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            Payload.Types.Metric.ValueOneofCase.DoubleValue => metric.DoubleValue,
            _ => double.NaN,
        };
        return double.IsFinite(value);
    }

    /// <summary>Every message of a born node but NDEATH carries seq, one more than the last (mod 256).</summary>
    private static bool CheckSeq(NodeState state, Payload payload, out ulong expected)
    {
        expected = (state.LastSeq + 1) % 256;
        if (!payload.HasSeq)
        {
            return true;
        }

        var ok = payload.Seq == expected;
        state.LastSeq = payload.Seq;
        return ok;
    }

    private static void RequestRebirth(NodeState state, string group, string node, DateTimeOffset now, DecodedMessage message)
    {
        if (state.RebirthRequestedAt is { } last && now - last < RebirthInterval)
        {
            return;
        }

        if (!message.Rebirths.Contains((group, node)))
        {
            message.Rebirths.Add((group, node));
        }

        state.RebirthRequestedAt = now;
    }

    private static ulong? BdSeq(Payload payload)
    {
        var metric = payload.Metrics.FirstOrDefault(m => m.Name == "bdSeq");
        return metric?.ValueCase switch
        {
            Payload.Types.Metric.ValueOneofCase.LongValue => metric.LongValue,
            Payload.Types.Metric.ValueOneofCase.IntValue => metric.IntValue,
            _ => null,
        };
    }

    private sealed class NodeState
    {
        public bool Born { get; private set; }

        public bool Online { get; private set; }

        public ulong? BdSeq { get; private set; }

        public ulong LastSeq { get; set; }

        public DateTimeOffset? RebirthRequestedAt { get; set; }

        /// <summary>Aliases are unique per edge node, across its own and its devices' metrics.</summary>
        public Dictionary<ulong, (string Name, uint DataType)> Aliases { get; } = [];

        public Dictionary<string, bool> Devices { get; } = new(StringComparer.Ordinal);

        public void Birth(Payload payload)
        {
            Born = true;
            Online = true;
            BdSeq = SparkplugSession.BdSeq(payload);
            LastSeq = payload.HasSeq ? payload.Seq : 0;
            RebirthRequestedAt = null;
            Aliases.Clear();
            Devices.Clear();
            Learn(payload);
        }

        public void Learn(Payload payload)
        {
            foreach (var metric in payload.Metrics.Where(m => m.HasName && m.HasAlias))
            {
                Aliases[metric.Alias] = (metric.Name, metric.Datatype);
            }
        }

        public void Die()
        {
            Born = false;
            Online = false;
            foreach (var device in Devices.Keys.ToList())
            {
                Devices[device] = false;
            }
        }
    }
}
