using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Monitoring.Modbus;

/// <summary>How a value is stored in consecutive 16-bit registers.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The data type names device manuals use.")]
public enum ModbusDataType
{
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
}

/// <summary>
/// Byte order of a multi-register value, named after how the bytes A (most significant) to D arrive:
/// ABCD big-endian, high word first; CDAB low word first; BADC bytes swapped in each word; DCBA little-endian.
/// For 64-bit values the same rule extends to four words.
/// </summary>
public enum RegisterOrder
{
    ABCD,
    CDAB,
    BADC,
    DCBA,
}

/// <summary>Turns raw registers into numbers. Invalid sentinels and non-finite floats are "no value", never a reading.</summary>
public static class RegisterDecoder
{
    public static int RegisterCount(this ModbusDataType type) => type switch
    {
        ModbusDataType.Int16 or ModbusDataType.UInt16 => 1,
        ModbusDataType.Int32 or ModbusDataType.UInt32 or ModbusDataType.Float32 => 2,
        ModbusDataType.Int64 or ModbusDataType.UInt64 or ModbusDataType.Float64 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// Decodes the value at the start of <paramref name="registers"/>. Returns false for NaN or infinity and,
    /// when <paramref name="rejectSentinels"/>, for the all-ones / extreme patterns devices send when they have no
    /// value (0xFFFF, 0x7FFF, 0x8000, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000 and their 64-bit forms).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<ushort> registers, ModbusDataType type, RegisterOrder order, bool rejectSentinels, out double value)
    {
        var count = type.RegisterCount();
        if (registers.Length < count)
        {
            throw new ArgumentException($"{type} needs {count} registers, got {registers.Length}.", nameof(registers));
        }

        var raw = Raw(registers[..count], order);
        value = type switch
        {
            ModbusDataType.Int16 => (short)raw,
            ModbusDataType.UInt16 => (ushort)raw,
            ModbusDataType.Int32 => (int)raw,
            ModbusDataType.UInt32 => (uint)raw,
            ModbusDataType.Int64 => (long)raw,
            ModbusDataType.UInt64 => raw,
            ModbusDataType.Float32 => ShortestDouble(BitConverter.UInt32BitsToSingle((uint)raw)),
            ModbusDataType.Float64 => BitConverter.UInt64BitsToDouble(raw),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
        if (!double.IsFinite(value))
        {
            return false;
        }

        return !rejectSentinels || !IsSentinel(raw, type);
    }

    /// <summary>The value's bits as an unsigned integer of the type's width, in logical (big-endian) order.</summary>
    public static ulong Raw(ReadOnlySpan<ushort> registers, RegisterOrder order)
    {
        var lowWordFirst = order is RegisterOrder.CDAB or RegisterOrder.DCBA;
        var swapBytes = order is RegisterOrder.BADC or RegisterOrder.DCBA;
        ulong raw = 0;
        for (var i = 0; i < registers.Length; i++)
        {
            var word = registers[lowWordFirst ? registers.Length - 1 - i : i];
            if (swapBytes)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            raw = (raw << 16) | word;
        }

        return raw;
    }

    /// <summary>Bits <paramref name="offset"/>..offset+count-1 of a register (bit 0 = least significant).</summary>
    public static uint Bits(ushort register, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, 16);
        return (uint)(register >> offset) & ((1u << count) - 1);
    }

    /// <summary>
    /// Schneider PowerLogic's four-quadrant power factor register: values in (-2, 2) where |x| &gt; 1 encodes
    /// quadrants 3 and 4. Returns the true power factor magnitude in [0, 1] and whether the load is leading.
    /// </summary>
    public static (double PowerFactor, bool Leading) SchneiderPowerFactor(double encoded) => encoded switch
    {
        > 1 => (2 - encoded, true),
        < -1 => (Math.Abs(-2 - encoded), true),
        _ => (Math.Abs(encoded), false),
    };

    /// <summary>
    /// The double a float32 register means: 0.92f widens to 0.92000001668930054, but the device meant 0.92,
    /// the shortest decimal that round-trips the float. Whole numbers (large energy totals) stay exact:
    /// 123456768f is 123456768, not its shortest form 123456770.
    /// </summary>
    private static double ShortestDouble(float value)
    {
        if (!float.IsFinite(value) || value == MathF.Truncate(value))
        {
            return value;
        }

        Span<char> text = stackalloc char[32];
        value.TryFormat(text, out var length, "R", System.Globalization.CultureInfo.InvariantCulture);
        return double.Parse(text[..length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsSentinel(ulong raw, ModbusDataType type) => type switch
    {
        ModbusDataType.UInt16 => raw == 0xFFFF,
        ModbusDataType.Int16 => raw is 0x7FFF or 0x8000,
        ModbusDataType.UInt32 or ModbusDataType.Float32 => raw == 0xFFFF_FFFF,
        ModbusDataType.Int32 => raw is 0x7FFF_FFFF or 0x8000_0000,
        ModbusDataType.UInt64 or ModbusDataType.Float64 => raw == ulong.MaxValue,
        ModbusDataType.Int64 => raw is 0x7FFF_FFFF_FFFF_FFFF or 0x8000_0000_0000_0000,
        _ => false,
    };
}
