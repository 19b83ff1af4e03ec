using Monitoring.Domain.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Configuration;

/// <summary>An edge agent's configuration: which site it serves, its poll groups and devices, buffer and uplink.</summary>
/// <param name="Buffer">Required by <c>run</c>; <c>check</c> and <c>poll</c> do without.</param>
/// <param name="Uplink">Required by <c>run</c>.</param>
/// <param name="MqttInputs">Brokers whose meter messages <c>run</c> subscribes to (<c>mqtt_inputs</c>); none when null.</param>
public sealed record EdgeConfiguration(
    string Site,
    string Agent,
    IReadOnlyDictionary<string, TimeSpan> PollGroups,
    IReadOnlyList<DeviceConfiguration> Devices,
    BufferSettings? Buffer = null,
    UplinkSettings? Uplink = null,
    TimeSpan? HealthInterval = null,
    IReadOnlyList<MqttInputSettings>? MqttInputs = null);

/// <summary>The store-and-forward buffer's place and bounds.</summary>
/// <param name="CommitInterval">Group commit: the longest an append waits for the fsync it shares with others.</param>
public sealed record BufferSettings(string Directory, long MaxBytes, TimeSpan MaxAge, bool Fsync, TimeSpan CommitInterval);

public enum UplinkKind
{
    /// <summary>InfluxDB v2 write API over HTTP(S).</summary>
    Http,
    /// <summary>MQTT (5 or 3.1.1), QoS 1.</summary>
    Mqtt,
}

/// <summary>Where the buffer's batches go. Secrets come from environment variables or files, never from this file.</summary>
public sealed record UplinkSettings(
    UplinkKind Kind,
    Uri Url,
    string Organization,
    string Bucket,
    string? Token,
    string? Username,
    string? Password,
    int BatchRecords,
    int BatchBytes,
    TimeSpan BatchAge,
    TimeSpan Timeout)
{
    /// <summary>
    /// The MQTT version of an <c>mqtt://</c> uplink. 3.1.1 carries neither the batch id (a user property) nor a refusal
    /// (a PUBACK reason code): the server then recognises a batch sent again by its content.
    /// </summary>
    public MqttProtocol Protocol { get; init; } = MqttProtocol.V500;
}

/// <summary>One Modbus device (a unit id behind an endpoint or on a serial bus) and the points it is polled for.</summary>
/// <param name="Id">The device's meter id: the <c>meter</c> tag of its readings.</param>
/// <param name="ConnectPerCycle">Close the connection after each poll cycle (devices that accept one connection).</param>
/// <param name="MaxGap">Largest run of unused registers a single read may bridge.</param>
public sealed record DeviceConfiguration(
    string Id,
    string Host,
    int Port,
    byte Unit,
    ModbusTransport Transport,
    TimeSpan Timeout,
    TimeSpan ConnectTimeout,
    TimeSpan Pause,
    bool ConnectPerCycle,
    int MaxRegistersPerRead,
    int MaxGap,
    MeterProfile Profile,
    IReadOnlyList<ProfilePoint> Points)
{
    /// <summary>
    /// How long reads split after an exception 2 stay split before the coalesced plan is tried again: the refusal may
    /// have been transient (a meter booting, a gateway's cache), and split reads cost a round trip each for ever.
    /// </summary>
    public TimeSpan ReplanAfter { get; init; } = EdgeConfigurationDefaults.ReplanAfter;

    /// <summary>The RS-485 line of a device on a serial bus (<see cref="Host"/> is then empty).</summary>
    public ModbusSerialLine? Serial { get; init; }

    /// <summary>Where the device is written, for checks that point back at the file (<c>monitoring config check --edge</c>).</summary>
    public SourceLocation Location { get; init; }

    /// <summary>
    /// Devices with the same endpoint share one connection and one request slot: a gateway with several unit ids, or
    /// every device naming one serial port.
    /// </summary>
    public string Endpoint => Serial?.Port ?? $"{Host}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>Defaults of device keys that the loader and the poller both need.</summary>
public static class EdgeConfigurationDefaults
{
    /// <summary><c>replan_after</c>: one hour.</summary>
    public static readonly TimeSpan ReplanAfter = TimeSpan.FromHours(1);
}
