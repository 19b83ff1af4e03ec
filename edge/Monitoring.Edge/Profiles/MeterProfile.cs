using Monitoring.Modbus;

namespace Monitoring.Edge.Profiles;

/// <summary>How a point's registers turn into a number beyond plain type and order.</summary>
public enum PointEncoding
{
    Plain,
    /// <summary>Schneider PowerLogic four-quadrant power factor (float in -2..2); reported as |PF|.</summary>
    SchneiderPowerFactor,
    /// <summary>An integer part followed by a float32 fraction (TUF-2000M totalisers): four registers.</summary>
    IntegerPlusFraction,
}

/// <summary>
/// One value of a meter: where it is (table, PDU address), how it is encoded, and how it becomes a field of
/// the vocabulary (scale, offset, unit conversion). Value = (raw × Scale + Offset) × UnitFactor.
/// </summary>
/// <remarks>
/// Fixed-point scales and unit steps are decimal fractions (/10, /100, Wh → kWh): they are applied as a division
/// by the integer they stand for, which is correctly rounded, so 123456 × 0.0001 prints 12.3456, not 12.345600000000001.
/// </remarks>
public sealed record ProfilePoint(
    string Field,
    ModbusFunction Table,
    ushort Address,
    ModbusDataType Type,
    RegisterOrder Order,
    double Scale,
    double Offset,
    string DeviceUnit,
    double UnitFactor,
    PointEncoding Encoding,
    string Group,
    bool RejectSentinels)
{
    /// <summary>
    /// A register the meter has but that a device polls only when its <c>fields</c> (or an override) names it: adding
    /// a register to a profile never changes what an existing configuration reads, nor its request count.
    /// </summary>
    public bool Optional { get; init; }

    /// <summary>Registers the point occupies.</summary>
    public int RegisterCount => Encoding == PointEncoding.IntegerPlusFraction ? Type.RegisterCount() + 2 : Type.RegisterCount();

    /// <summary>Decodes the point from its registers; false when the device has no valid value.</summary>
    public bool TryDecode(ReadOnlySpan<ushort> registers, out double value)
    {
        if (!RegisterDecoder.TryDecode(registers, Type, Order, RejectSentinels, out var raw))
        {
            value = 0;
            return false;
        }

        switch (Encoding)
        {
            case PointEncoding.SchneiderPowerFactor:
                raw = RegisterDecoder.SchneiderPowerFactor(raw).PowerFactor;
                break;
            case PointEncoding.IntegerPlusFraction:
                if (!RegisterDecoder.TryDecode(registers[Type.RegisterCount()..], ModbusDataType.Float32, Order, RejectSentinels, out var fraction))
                {
                    value = 0;
                    return false;
                }

                raw += fraction;
                break;
            default:
                break;
        }

        // Computed here rather than stored, so that a copy made with 'with' can never carry a stale factor.
        var (multiplier, divisor) = SplitFactor(Scale * UnitFactor);
        value = (raw * multiplier / divisor) + (Offset * UnitFactor);
        return true;
    }

    private static (double Multiplier, double Divisor) SplitFactor(double factor)
    {
        if (factor is > 0 and < 1)
        {
            var divisor = Math.Round(1 / factor);
            if (Math.Abs((divisor * factor) - 1) < 1e-12)
            {
                return (1, divisor);
            }
        }

        return (factor, 1);
    }
}

/// <summary>A meter model's register map, versioned so a reading can say which map decoded it.</summary>
public sealed record MeterProfile(
    string Id,
    int Version,
    string Name,
    int MaxRegistersPerRead,
    IReadOnlyList<ProfilePoint> Points);
