using Monitoring.Modbus;

namespace Monitoring.Edge.Profiles;

/// <summary>
/// The inverse of <see cref="ProfilePoint.TryDecode"/>: the registers a device shows for a value in the field's
/// unit. Used by the simulators (monitoring-sim) and the edge benchmarks to serve a profile's register map.
/// </summary>
public static class ProfilePointEncoder
{
    /// <summary>The registers <paramref name="point"/> occupies, holding <paramref name="value"/> (in the field's unit).</summary>
    public static ushort[] Registers(ProfilePoint point, double value)
    {
        ArgumentNullException.ThrowIfNull(point);
        var registers = new ushort[point.RegisterCount];
        Encode(point, value, registers);
        return registers;
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="destination"/> (at least <see cref="ProfilePoint.RegisterCount"/> long).</summary>
    public static void Encode(ProfilePoint point, double value, Span<ushort> destination)
    {
        ArgumentNullException.ThrowIfNull(point);
        var raw = ((value / point.UnitFactor) - point.Offset) / point.Scale;
        switch (point.Encoding)
        {
            case PointEncoding.IntegerPlusFraction:
                var whole = Math.Floor(raw);
                RegisterEncoder.Encode(whole, point.Type, point.Order, destination);
                RegisterEncoder.Encode(raw - whole, ModbusDataType.Float32, point.Order, destination[point.Type.RegisterCount()..]);
                break;
            case PointEncoding.SchneiderPowerFactor:
                RegisterEncoder.Encode(Math.Min(raw, 1), point.Type, point.Order, destination);
                break;
            default:
                RegisterEncoder.Encode(raw, point.Type, point.Order, destination);
                break;
        }
    }
}
