using Monitoring.Testing;

namespace Monitoring.Modbus.Tests;

/// <summary>RTU framing (unit, PDU, CRC-16) over TCP against pymodbus's RTU framer, an independent implementation.</summary>
[Collection(ModbusPeerDefinition.Name)]
public sealed class RtuOverTcpPeerTests(ModbusPeerFixture peer) : IAsyncDisposable
{
    private readonly ModbusClient _client = new(new ModbusClientOptions
    {
        Host = peer.RtuEndpoint.Host,
        Port = peer.RtuEndpoint.Port,
        Transport = ModbusTransport.RtuOverTcp,
        RequestTimeout = TimeSpan.FromSeconds(3), // pymodbus is one Python thread; under a full test run it can answer slowly

        // RTU frames are delimited by silence (3.5 character times); pymodbus's RTU framer, like serial
        // gateways, can drop a frame that follows the previous answer too closely.
        PauseBetweenRequests = TimeSpan.FromMilliseconds(10),
    });

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task Reads_registers_of_several_units()
    {
        var holding = new ushort[10];
        var input = new ushort[2];
        var gateway = new ushort[2];

        await _client.ReadHoldingRegistersAsync(1, 0, holding);
        await _client.ReadInputRegistersAsync(1, 0, input);
        await _client.ReadHoldingRegistersAsync(2, 0, gateway);

        Assert.Equal([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], holding.Select(r => (int)r));
        Assert.True(RegisterDecoder.TryDecode(input, ModbusDataType.Float32, RegisterOrder.ABCD, true, out var volts));
        Assert.Equal(230.5, volts);
        Assert.True(RegisterDecoder.TryDecode(gateway, ModbusDataType.UInt32, RegisterOrder.CDAB, true, out var pulses));
        Assert.Equal(1234567890, pulses);
    }

    [Fact]
    public async Task Exception_responses_and_writes_work_over_rtu_framing()
    {
        var error = await Assert.ThrowsAsync<ModbusDeviceException>(() => _client.ReadHoldingRegistersAsync(1, 0x00FF, new ushort[2]).AsTask());
        await _client.WriteSingleRegisterAsync(2, 0x60, 4242);
        var back = new ushort[1];
        await _client.ReadHoldingRegistersAsync(2, 0x60, back);
        await _client.WriteSingleRegisterAsync(2, 0x60, 0);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal(4242, back[0]);
        Assert.Equal(1, _client.Statistics.Connects);
    }
}
