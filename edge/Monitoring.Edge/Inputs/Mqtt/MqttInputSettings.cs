namespace Monitoring.Edge.Inputs.Mqtt;

public enum MqttProtocol
{
    /// <summary>MQTT 3.1.1.</summary>
    V311,
    /// <summary>MQTT 5.</summary>
    V500,
}

public enum MqttPayloadFormat
{
    /// <summary>A JSON document; fields are picked by JSON path.</summary>
    Json,
    /// <summary>A plain number for one configured field.</summary>
    Number,
    /// <summary>InfluxDB line protocol in the reading vocabulary, validated and passed through.</summary>
    LineProtocol,
    /// <summary>Eclipse Sparkplug B (protobuf) births, data and deaths.</summary>
    SparkplugB,
}

public enum JsonTimestampFormat
{
    UnixSeconds,
    UnixMilliseconds,
    Iso8601,
}

/// <summary>One broker the agent subscribes to for meter readings (<c>mqtt_inputs</c>).</summary>
/// <param name="Url">As configured: <c>mqtt://host:port</c> or <c>mqtts://host:port</c> (TLS).</param>
/// <param name="Password">From <c>password_env</c> or <c>password_file</c>, never from the configuration file.</param>
/// <param name="Qos">0, 1 or 2: the subscriptions' maximum QoS. At 1 and 2 a message is acknowledged once its readings are durable.</param>
/// <param name="SessionExpiry">How long the broker keeps the session (subscriptions and unacknowledged messages) while the agent is away.</param>
/// <param name="PrimaryHostId">
/// Sparkplug B: the agent is this broker's primary host application and publishes <c>spBv1.0/STATE/{id}</c>
/// (edge nodes configured for a primary host publish only while it is online); null when it is not.
/// </param>
public sealed record MqttInputSettings(
    Uri Url,
    string Host,
    int Port,
    bool Tls,
    string? Username,
    string? Password,
    MqttProtocol Protocol,
    string ClientId,
    int Qos,
    TimeSpan SessionExpiry,
    IReadOnlyList<MqttSubscriptionSettings> Subscriptions,
    string? PrimaryHostId = null)
{
    public string Description => $"{Url.Scheme}://{Host}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>A topic pattern and how the messages on it become readings.</summary>
/// <param name="Site">A fixed site (it equals the agent's site); otherwise the <c>{site}</c> segment, otherwise the agent's site.</param>
/// <param name="Meter">A fixed meter id; otherwise the <c>{meter}</c> segment (or, for line protocol, the line's tag; for Sparkplug B the device or edge node id).</param>
/// <param name="Fields">json: one per path; number: exactly one (without source); sparkplug_b: one per metric name.</param>
/// <param name="Precision">line_protocol: the unit of the lines' timestamps.</param>
/// <param name="Meters">Renames meter ids found in messages (topic segment, line tag, Sparkplug B device or node id) to the registry's.</param>
public sealed record MqttSubscriptionSettings(
    TopicPattern Topic,
    MqttPayloadFormat Format,
    string? Site,
    string? Meter,
    IReadOnlyList<FieldMapping> Fields,
    JsonTimestampSettings? Timestamp,
    TimestampPrecision Precision,
    IReadOnlyDictionary<string, string> Meters)
{
    /// <summary>The meter id for an id found in a message: renamed by <see cref="Meters"/>, otherwise itself.</summary>
    public string MapMeter(string found) => Meters.TryGetValue(found, out var meter) ? meter : found;
}

/// <summary>Line protocol timestamp units accepted on MQTT (the writer declares them in the configuration).</summary>
public enum TimestampPrecision
{
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
}

/// <summary>Where a JSON message carries its acquisition time.</summary>
public sealed record JsonTimestampSettings(JsonPath Path, JsonTimestampFormat Format);

/// <summary>
/// One value of a message mapped to a vocabulary field: value = (raw × Scale + Offset) × UnitFactor, the unit
/// factor converting <see cref="Unit"/> to the field's unit (Wh → kWh divides by 1000).
/// </summary>
/// <param name="Source">The JSON path text or the Sparkplug B metric name; null for <c>number</c>.</param>
/// <param name="Path">The parsed JSON path (json only).</param>
public sealed record FieldMapping(string Field, string? Source, JsonPath? Path, double Scale, double Offset, string Unit, double UnitFactor)
{
    /// <summary>Applies scale, offset and unit; a factor like 0.001 divides (by 1000) so that decimals stay the ones the device meant.</summary>
    public double Convert(double raw)
    {
        var factor = Scale * UnitFactor;
        if (factor is > 0 and < 1)
        {
            var divisor = Math.Round(1 / factor);
            if (Math.Abs((divisor * factor) - 1) < 1e-12)
            {
                return (raw / divisor) + (Offset * UnitFactor);
            }
        }

        return (raw * factor) + (Offset * UnitFactor);
    }
}
