using System.Globalization;
using System.Net;
using Monitoring.Testing;

namespace Monitoring.Modbus.Tests;

/// <summary>Our server framing, checked by mbpoll (an independent client) and by our own client.</summary>
[Collection(ModbusPeerDefinition.Name)]
public sealed class ModbusServerTests : IAsyncDisposable
{
    private readonly ModbusPeerFixture _peer;
    private readonly ModbusRegisterBank _bank = new();
    private readonly ModbusTcpServer _server;

    public ModbusServerTests(ModbusPeerFixture peer)
    {
        _peer = peer;

        // 230.5 V as float32 ABCD at input 0; a small holding table at 100..104.
        _bank.Set(1, ModbusFunction.ReadInputRegisters, 0, [0x4366, 0x8000]);
        _bank.Set(1, ModbusFunction.ReadHoldingRegisters, 100, [11, 22, 33, 44, 55]);
        _server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), _bank);
        _server.Start();
    }

    private string Port => _server.LocalEndpoint.Port.ToString(CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Mbpoll_reads_holding_registers()
    {
        var result = await _peer.RunMbpollAsync("-m", "tcp", "-p", Port, "-a", "1", "-t", "4", "-0", "-r", "100", "-c", "5", "-1", "-o", "2", "127.0.0.1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            new Dictionary<int, string> { [100] = "11", [101] = "22", [102] = "33", [103] = "44", [104] = "55" },
            ModbusPeerFixture.ParseValues(result.StandardOutput));
    }

    [Fact]
    public async Task Mbpoll_reads_a_big_endian_float_from_input_registers()
    {
        var result = await _peer.RunMbpollAsync("-m", "tcp", "-p", Port, "-a", "1", "-t", "3:float", "-B", "-0", "-r", "0", "-c", "1", "-1", "-o", "2", "127.0.0.1");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("230.5", ModbusPeerFixture.ParseValues(result.StandardOutput)[0]);
    }

    [Fact]
    public async Task Mbpoll_writes_registers_with_fc16_and_fc06()
    {
        var multiple = await _peer.RunMbpollAsync("-m", "tcp", "-p", Port, "-a", "1", "-t", "4", "-0", "-r", "101", "-o", "2", "127.0.0.1", "7", "8");
        var single = await _peer.RunMbpollAsync("-m", "tcp", "-p", Port, "-a", "1", "-t", "4", "-0", "-r", "104", "-o", "2", "127.0.0.1", "9");

        Assert.True(multiple.ExitCode == 0, multiple.ToString());
        Assert.True(single.ExitCode == 0, single.ToString());
        var registers = new ushort[5];
        Assert.Equal(ModbusExceptionCode.None, _bank.ReadRegisters(1, ModbusFunction.ReadHoldingRegisters, 100, registers));
        Assert.Equal([11, 7, 8, 44, 9], registers.Select(r => (int)r));
    }

    [Fact]
    public async Task Mbpoll_sees_exception_2_for_a_gap_in_the_map()
    {
        var result = await _peer.RunMbpollAsync("-m", "tcp", "-p", Port, "-a", "1", "-t", "4", "-0", "-r", "103", "-c", "4", "-1", "-o", "2", "127.0.0.1");

        Assert.Contains("Illegal data address", result.StandardOutput + result.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Our_client_gets_registers_and_exception_replies()
    {
        await using var client = new ModbusClient(new ModbusClientOptions { Host = "127.0.0.1", Port = _server.LocalEndpoint.Port });
        var registers = new ushort[5];

        await client.ReadHoldingRegistersAsync(1, 100, registers);
        var gap = await Assert.ThrowsAsync<ModbusDeviceException>(() => client.ReadInputRegistersAsync(1, 1, new ushort[2]).AsTask());
        var unsupported = await Assert.ThrowsAsync<ModbusDeviceException>(() => client.ReadBitsAsync(1, ModbusFunction.ReadCoils, 0, new bool[1]).AsTask());

        Assert.Equal([11, 22, 33, 44, 55], registers.Select(r => (int)r));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, gap.Code);
        Assert.Equal(ModbusExceptionCode.IllegalFunction, unsupported.Code);
    }
}
