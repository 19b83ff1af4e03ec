using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Configuration;

/// <summary>An edge agent's configuration: which site it serves, its poll groups and devices.</summary>
public sealed record EdgeConfiguration(
    string Site,
    string Agent,
    IReadOnlyDictionary<string, TimeSpan> PollGroups,
    IReadOnlyList<DeviceConfiguration> Devices);

/// <summary>One Modbus device (a unit id behind an endpoint) and the points it is polled for.</summary>
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
    /// <summary>Devices with the same endpoint share one connection (a gateway with several unit ids).</summary>
    public string Endpoint => $"{Host}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
