namespace Monitoring.Modbus;

/// <summary>
/// An in-memory register store: per unit id, holding and input registers at the addresses that were defined.
/// Reading an undefined address answers exception 2, as real devices do for gaps in their map. Thread-safe.
/// </summary>
public sealed class ModbusRegisterBank : IModbusRegisterStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<byte, Unit> _units = [];

    /// <summary>Defines (or overwrites) registers of <paramref name="table"/> from <paramref name="address"/>.</summary>
    public void Set(byte unit, ModbusFunction table, ushort address, ReadOnlySpan<ushort> values)
    {
        lock (_lock)
        {
            var registers = Table(GetOrAddUnit(unit), table);
            values.CopyTo(registers.Values.AsSpan(address));
            registers.Defined.AsSpan(address, values.Length).Fill(true);
        }
    }

    /// <summary>Whether requests to <paramref name="unit"/> are answered at all.</summary>
    public bool HasUnit(byte unit)
    {
        lock (_lock)
        {
            return _units.ContainsKey(unit);
        }
    }

    public ModbusExceptionCode ReadRegisters(byte unit, ModbusFunction table, ushort address, Span<ushort> destination)
    {
        lock (_lock)
        {
            if (!_units.TryGetValue(unit, out var state))
            {
                return ModbusExceptionCode.GatewayTargetFailedToRespond;
            }

            var registers = Table(state, table);
            if (registers.Defined.AsSpan(address, destination.Length).Contains(false))
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            registers.Values.AsSpan(address, destination.Length).CopyTo(destination);
            return ModbusExceptionCode.None;
        }
    }

    public ModbusExceptionCode WriteRegisters(byte unit, ushort address, ReadOnlySpan<ushort> values)
    {
        lock (_lock)
        {
            if (!_units.TryGetValue(unit, out var state))
            {
                return ModbusExceptionCode.GatewayTargetFailedToRespond;
            }

            if (state.Holding.Defined.AsSpan(address, values.Length).Contains(false))
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            values.CopyTo(state.Holding.Values.AsSpan(address));
            return ModbusExceptionCode.None;
        }
    }

    private Unit GetOrAddUnit(byte unit)
    {
        if (!_units.TryGetValue(unit, out var state))
        {
            state = new Unit();
            _units.Add(unit, state);
        }

        return state;
    }

    private static Registers Table(Unit unit, ModbusFunction table) => table switch
    {
        ModbusFunction.ReadHoldingRegisters => unit.Holding,
        ModbusFunction.ReadInputRegisters => unit.Input,
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, "Holding (FC03) or input (FC04) registers."),
    };

    private sealed class Unit
    {
        public Registers Holding { get; } = new();

        public Registers Input { get; } = new();
    }

    private sealed class Registers
    {
        public ushort[] Values { get; } = new ushort[ushort.MaxValue + 1];

        public bool[] Defined { get; } = new bool[ushort.MaxValue + 1];
    }
}
