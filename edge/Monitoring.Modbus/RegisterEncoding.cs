using System.Buffers.Binary;

namespace Monitoring.Modbus;

/// <summary>Writes numbers into registers the way a device would: the inverse of <see cref="RegisterDecoder"/> (simulators, tests).</summary>
public static class RegisterEncoder
{
    /// <summary>Encodes <paramref name="value"/> as <paramref name="type"/> in <paramref name="order"/>; integers are rounded and must fit.</summary>
    public static void Encode(double value, ModbusDataType type, RegisterOrder order, Span<ushort> destination)
    {
        var count = type.RegisterCount();
        if (destination.Length < count)
        {
            throw new ArgumentException($"{type} needs {count} registers, got {destination.Length}.", nameof(destination));
        }

        var raw = type switch
        {
            ModbusDataType.Float32 => BitConverter.SingleToUInt32Bits((float)value),
            ModbusDataType.Float64 => BitConverter.DoubleToUInt64Bits(value),
            _ => Integer(value, type),
        };
        WriteRaw(raw, destination[..count], order);
    }

    /// <summary>Writes the low 16 × registers.Length bits of <paramref name="raw"/> in <paramref name="order"/>.</summary>
    public static void WriteRaw(ulong raw, Span<ushort> registers, RegisterOrder order)
    {
        var lowWordFirst = order is RegisterOrder.CDAB or RegisterOrder.DCBA;
        var swapBytes = order is RegisterOrder.BADC or RegisterOrder.DCBA;
        for (var i = registers.Length - 1; i >= 0; i--)
        {
            var word = (ushort)raw;
            raw >>= 16;
            registers[lowWordFirst ? registers.Length - 1 - i : i] = swapBytes ? BinaryPrimitives.ReverseEndianness(word) : word;
        }
    }

    private static ulong Integer(double value, ModbusDataType type)
    {
        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        (double Min, double Max) range = type switch
        {
            ModbusDataType.Int16 => (short.MinValue, short.MaxValue),
            ModbusDataType.UInt16 => (0, ushort.MaxValue),
            ModbusDataType.Int32 => (int.MinValue, int.MaxValue),
            ModbusDataType.UInt32 => (0, uint.MaxValue),
            ModbusDataType.Int64 => (long.MinValue, long.MaxValue),
            _ => (0, ulong.MaxValue),
        };
        if (!(rounded >= range.Min && rounded <= range.Max))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Does not fit in {type}.");
        }

        return type switch
        {
            ModbusDataType.Int16 => (ushort)(short)rounded,
            ModbusDataType.Int32 => (uint)(int)rounded,
            ModbusDataType.Int64 => (ulong)(long)rounded,
            _ => (ulong)rounded,
        };
    }
}
