using Monitoring.Testing;

namespace Monitoring.Modbus.Tests;

[CollectionDefinition(Name)]
public sealed class ModbusPeerDefinition : ICollectionFixture<ModbusPeerFixture>
{
    public const string Name = "pymodbus peer";
}

/// <summary>Our client against pymodbus, an independent server (map: tests/peers/modbus_server.py).</summary>
[Collection(ModbusPeerDefinition.Name)]
public sealed class PymodbusPeerTests(ModbusPeerFixture peer) : IAsyncDisposable
{
    private static readonly bool[] CoilPattern = [true, false, true, true, false, false, false, false, true];

    private readonly ModbusClient _client = new(new ModbusClientOptions
    {
        Host = peer.Host,
        Port = peer.Port,
        RequestTimeout = TimeSpan.FromSeconds(3), // pymodbus is one Python thread; under a full test run it can answer slowly
    });

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task Reads_float32_input_registers_of_an_sdm630_layout()
    {
        var registers = new ushort[76];

        await _client.ReadInputRegistersAsync(1, 0, registers);

        Assert.Equal(230.5, Decode(registers.AsSpan(0x00), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(12.25, Decode(registers.AsSpan(0x06), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(2845.0, Decode(registers.AsSpan(0x34), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(0.92, Decode(registers.AsSpan(0x3E), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(50.0, Decode(registers.AsSpan(0x46), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(123456.5, Decode(registers.AsSpan(0x48), ModbusDataType.Float32, RegisterOrder.ABCD));
        Assert.Equal(10.25, Decode(registers.AsSpan(0x4A), ModbusDataType.Float32, RegisterOrder.ABCD));
    }

    [Fact]
    public async Task Reads_holding_registers_and_other_unit_ids_behind_the_same_connection()
    {
        var unit1 = new ushort[10];
        var unit2 = new ushort[18];

        await _client.ReadHoldingRegistersAsync(1, 0, unit1);
        await _client.ReadHoldingRegistersAsync(2, 0, unit2);

        Assert.Equal([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], unit1.Select(r => (int)r));
        Assert.Equal(1234567890, Decode(unit2.AsSpan(0), ModbusDataType.UInt32, RegisterOrder.CDAB));
        Assert.Equal(-1234, Decode(unit2.AsSpan(2), ModbusDataType.Int16, RegisterOrder.ABCD));
        Assert.Equal(1, unit2[3]);
        Assert.Equal(1234.5, Decode(unit2.AsSpan(16), ModbusDataType.Float32, RegisterOrder.CDAB));
        Assert.Equal(1, _client.Statistics.Connects);
    }

    [Fact]
    public async Task Exception_2_is_a_typed_error_and_the_connection_stays_usable()
    {
        var registers = new ushort[4];

        var error = await Assert.ThrowsAsync<ModbusDeviceException>(() => _client.ReadHoldingRegistersAsync(1, 0x00FE, registers).AsTask());
        await _client.ReadHoldingRegistersAsync(1, 0, registers);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal(100, registers[0]);
        Assert.Equal((1, 1, 1), (_client.Statistics.DeviceExceptions, _client.Statistics.Successes, _client.Statistics.Connects));
    }

    [Fact]
    public async Task Silent_unit_times_out_then_a_fresh_connection_serves_the_next_request()
    {
        var registers = new ushort[2];

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => _client.ReadHoldingRegistersAsync(9, 0, registers).AsTask());
        Assert.False(_client.IsConnected);
        await _client.ReadHoldingRegistersAsync(1, 0, registers);

        Assert.Equal([100, 200], registers.Select(r => (int)r));
        Assert.Equal((1, 2), (_client.Statistics.Timeouts, _client.Statistics.Connects));
    }

    [Fact]
    public async Task Writes_single_and_multiple_registers_and_reads_them_back()
    {
        var before = new ushort[3];
        await _client.ReadHoldingRegistersAsync(2, 0x40, before);
        try
        {
            await _client.WriteSingleRegisterAsync(2, 0x40, 0xBEEF);
            await _client.WriteMultipleRegistersAsync(2, 0x41, new ushort[] { 7, 8 });
            var after = new ushort[3];
            await _client.ReadHoldingRegistersAsync(2, 0x40, after);

            Assert.Equal([0xBEEF, 7, 8], after.Select(r => (int)r));
        }
        finally
        {
            await _client.WriteMultipleRegistersAsync(2, 0x40, before);
        }
    }

    [Fact]
    public async Task Reads_and_writes_coils()
    {
        await _client.WriteMultipleCoilsAsync(2, 0x20, CoilPattern);
        await _client.WriteSingleCoilAsync(2, 0x21, true);
        var coils = new bool[9];
        await _client.ReadBitsAsync(2, ModbusFunction.ReadCoils, 0x20, coils);

        Assert.Equal([true, true, true, true, false, false, false, false, true], coils);
        await _client.WriteMultipleCoilsAsync(2, 0x20, new bool[9]);
    }

    public static TheoryData<ModbusDataType, double> TypeMatrix => new()
    {
        { ModbusDataType.Int16, -12345 },
        { ModbusDataType.UInt16, 54321 },
        { ModbusDataType.Int32, -123456789 },
        { ModbusDataType.UInt32, 3123456789 },
        { ModbusDataType.Int64, -1234567890123456 },
        { ModbusDataType.UInt64, 12345678901234567 },
        { ModbusDataType.Float32, -1234.5 },
        { ModbusDataType.Float64, 98765.4321 },
    };

    [Theory]
    [MemberData(nameof(TypeMatrix))]
    public async Task Every_data_type_in_every_word_order_as_pymodbus_encodes_it(ModbusDataType type, double expected)
    {
        // Unit 3 holds each type in the orders ABCD, CDAB, BADC, DCBA at PDU 4 × (type × 4 + order).
        var registers = new ushort[128];
        await _client.ReadHoldingRegistersAsync(3, 0, registers.AsMemory(0, 64));
        await _client.ReadHoldingRegistersAsync(3, 64, registers.AsMemory(64, 64));

        foreach (var order in Enum.GetValues<RegisterOrder>())
        {
            var at = 4 * (((int)type * 4) + (int)order);
            Assert.True(RegisterDecoder.TryDecode(registers.AsSpan(at), type, order, rejectSentinels: true, out var value), $"{type} {order}");
            Assert.Equal(expected, value);
        }
    }

    private static double Decode(ReadOnlySpan<ushort> registers, ModbusDataType type, RegisterOrder order)
    {
        Assert.True(RegisterDecoder.TryDecode(registers, type, order, rejectSentinels: true, out var value));
        return value;
    }
}
