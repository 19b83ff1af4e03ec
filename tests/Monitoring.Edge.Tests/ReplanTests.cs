using System.Net;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Modbus;

namespace Monitoring.Edge.Tests;

/// <summary>
/// A read split after an exception 2 goes back to one coalesced read after <c>replan_after</c> (a meter that refused
/// it while booting answers it later), and splits again when the device still refuses: against our Modbus TCP server
/// whose register store refuses long reads while told to.
/// </summary>
public sealed class ReplanTests
{
    [Fact]
    public async Task A_read_split_after_a_transient_exception_2_is_coalesced_again_after_replan_after()
    {
        var store = new RefusingStore();
        store.Bank.Set(1, ModbusFunction.ReadHoldingRegisters, 0, [.. Enumerable.Range(0, 12).Select(i => (ushort)i)]);
        await using var server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), store);
        server.Start();
        var result = EdgeConfigurationLoader.Load("edge.yaml", $$"""
            site: s
            agent: a
            profiles:
              - id: two-counters
                table: holding
                type: uint16
                points:
                  - { field: energy_import_kwh, address: 0 }
                  - { field: energy_export_kwh, address: 10 }
            devices:
              - { id: m1, host: 127.0.0.1, port: {{server.LocalEndpoint.Port}}, profile: two-counters, replan_after: 10m }
            """);
        Assert.True(result.Configuration is not null, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal(TimeSpan.FromMinutes(10), result.Configuration!.Devices[0].ReplanAfter);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2025-11-05T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var poller = new EdgePoller(result.Configuration, time);
        var device = poller.Devices[0];
        var group = Assert.Single(device.Groups);
        Assert.Single(device.PlanOf(group));

        // Booting: the long read is refused, split into two, both fields read.
        store.RefuseLongerThan = 1;
        await AssertBothReadAsync(poller);
        Assert.Equal((1, 2, 0), (device.Splits, device.PlanOf(group).Count, device.Replans));

        // Booted: the plan stays split until replan_after has passed, then one read again.
        store.RefuseLongerThan = int.MaxValue;
        time.Advance(TimeSpan.FromMinutes(9));
        await AssertBothReadAsync(poller);
        Assert.Equal((2, 0), (device.PlanOf(group).Count, device.Replans));
        time.Advance(TimeSpan.FromMinutes(1));
        var requests = store.Reads;
        await AssertBothReadAsync(poller);
        Assert.Equal((1, 1, 1), (device.PlanOf(group).Count, device.Replans, store.Reads - requests));

        // Refusing again: split again at once. Still refusing, it costs one refused read per replan_after; every
        // field is still read.
        store.RefuseLongerThan = 1;
        await AssertBothReadAsync(poller);
        Assert.Equal((2, 2, 1), (device.Splits, device.PlanOf(group).Count, device.Replans));
        time.Advance(TimeSpan.FromMinutes(10));
        requests = store.Reads;
        await AssertBothReadAsync(poller);
        Assert.Equal((3, 2, 2, 3), (device.Splits, device.PlanOf(group).Count, device.Replans, store.Reads - requests));
        requests = store.Reads;
        await AssertBothReadAsync(poller);
        Assert.Equal((3, 2, 2), (device.Splits, device.Replans, store.Reads - requests));
    }

    private static async Task AssertBothReadAsync(EdgePoller poller)
    {
        var poll = Assert.Single(await poller.PollOnceAsync(CancellationToken.None));
        Assert.Empty(poll.Errors);
        Assert.Equal(["energy_export_kwh", "energy_import_kwh"], poll.Readings.Select(r => r.Field).Order(StringComparer.Ordinal));
        Assert.Equal([10.0, 0.0], poll.Readings.OrderBy(r => r.Field, StringComparer.Ordinal).Select(r => r.Value));
    }

    /// <summary>A register bank that answers exception 2 to reads longer than <see cref="RefuseLongerThan"/> registers.</summary>
    private sealed class RefusingStore : IModbusRegisterStore
    {
        private int _reads;
        private int _refuseLongerThan = int.MaxValue;

        public ModbusRegisterBank Bank { get; } = new();

        /// <summary>Set from the test, read on the server's connection task.</summary>
        public int RefuseLongerThan
        {
            get => Volatile.Read(ref _refuseLongerThan);
            set => Volatile.Write(ref _refuseLongerThan, value);
        }

        public int Reads => Volatile.Read(ref _reads);

        public ModbusExceptionCode ReadRegisters(byte unit, ModbusFunction table, ushort address, Span<ushort> destination)
        {
            Interlocked.Increment(ref _reads);
            return destination.Length > RefuseLongerThan
                ? ModbusExceptionCode.IllegalDataAddress
                : Bank.ReadRegisters(unit, table, address, destination);
        }

        public ModbusExceptionCode WriteRegisters(byte unit, ushort address, ReadOnlySpan<ushort> values) => Bank.WriteRegisters(unit, address, values);
    }
}
