using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace Monitoring.Modbus.Tests;

/// <summary>Devices that misbehave the way real ones do: wrong transaction ids, silence, dropped connections.</summary>
public sealed class ClientResilienceTests
{
    [Fact]
    public async Task Wrong_transaction_id_closes_the_connection_and_the_next_request_reconnects()
    {
        var answers = 0;
        await using var device = new ScriptedDevice(request =>
        {
            var response = EchoRegisters(request, 42);
            if (Interlocked.Increment(ref answers) == 1)
            {
                BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)(BinaryPrimitives.ReadUInt16BigEndian(request) + 7));
            }

            return response;
        });
        await using var client = device.CreateClient();
        var registers = new ushort[1];

        var error = await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(1, 0, registers).AsTask());
        await client.ReadHoldingRegistersAsync(1, 0, registers);

        Assert.Equal("transaction id 8, expected 1", error.Message);
        Assert.Equal(42, registers[0]);
        Assert.Equal((1, 2, 2), (client.Statistics.ProtocolErrors, client.Statistics.Connects, device.Connections));
    }

    [Fact]
    public async Task Device_closing_mid_poll_is_a_connection_error_and_the_client_recovers()
    {
        var requests = 0;
        await using var device = new ScriptedDevice(request =>
            Interlocked.Increment(ref requests) == 2 ? null : EchoRegisters(request, 5));
        await using var client = device.CreateClient();
        var registers = new ushort[1];

        await client.ReadHoldingRegistersAsync(1, 0, registers);
        var error = await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(1, 0, registers).AsTask());
        await client.ReadHoldingRegistersAsync(1, 0, registers);

        Assert.Equal("the device closed the connection", error.Message);
        Assert.Equal((1, 2), (client.Statistics.ConnectionErrors, client.Statistics.Connects));
    }

    [Fact]
    public async Task A_device_that_answers_late_does_not_hold_up_another_device()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = new ScriptedDevice(request => { release.Task.Wait(TimeSpan.FromSeconds(10)); return EchoRegisters(request, 1); });
        await using var fast = new ScriptedDevice(request => EchoRegisters(request, 2));
        await using var slowClient = slow.CreateClient(TimeSpan.FromMilliseconds(300));
        await using var fastClient = fast.CreateClient();

        var slowRead = slowClient.ReadHoldingRegistersAsync(1, 0, new ushort[1]).AsTask();
        var fastReads = 0;
        var registers = new ushort[1];
        while (!slowRead.IsCompleted && fastReads < 1000)
        {
            await fastClient.ReadHoldingRegistersAsync(1, 0, registers);
            fastReads++;
        }

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => slowRead);
        release.SetResult();
        Assert.True(fastReads > 0, "the fast device was not polled while the slow one was pending");
        Assert.Equal(2, registers[0]);
        Assert.Equal((0, 1), (fastClient.Statistics.Errors, slowClient.Statistics.Timeouts));
    }

    [Fact]
    public async Task Failed_connects_back_off_exponentially_and_fail_fast_in_between()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var port = ClosedPort();
        await using var client = new ModbusClient(
            new ModbusClientOptions { Host = "127.0.0.1", Port = port, MinReconnectDelay = TimeSpan.FromMilliseconds(500), MaxReconnectDelay = TimeSpan.FromSeconds(2) },
            time);
        var registers = new ushort[1];

        async Task<string> Fail() => (await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(1, 0, registers).AsTask())).Message;

        Assert.Equal($"cannot connect to 127.0.0.1:{port} (ConnectionRefused); retrying in 500 ms", await Fail());
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal($"127.0.0.1:{port} unreachable; next connect attempt in 300 ms", await Fail());
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal($"cannot connect to 127.0.0.1:{port} (ConnectionRefused); retrying in 1000 ms", await Fail());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal($"cannot connect to 127.0.0.1:{port} (ConnectionRefused); retrying in 2000 ms", await Fail());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal($"cannot connect to 127.0.0.1:{port} (ConnectionRefused); retrying in 2000 ms", await Fail());
        Assert.Equal(5, client.Statistics.ConnectionErrors);
    }

    [Fact]
    public async Task Requests_from_many_callers_are_serialised_on_one_connection()
    {
        var inFlight = 0;
        var maxInFlight = 0;
        await using var device = new ScriptedDevice(request =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            Thread.Sleep(2);
            Interlocked.Decrement(ref inFlight);
            return EchoRegisters(request, BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(8)));
        });
        await using var client = device.CreateClient();

        var reads = Enumerable.Range(0, 40).Select(async i =>
        {
            var registers = new ushort[1];
            await client.ReadHoldingRegistersAsync(1, (ushort)i, registers);
            return registers[0];
        });
        var values = await Task.WhenAll(reads);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => (ushort)i), values);
        Assert.Equal(1, maxInFlight);
        Assert.Equal(1, device.Connections);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>A response to an FC03/FC04 request frame where every register holds <paramref name="value"/>.</summary>
    private static byte[] EchoRegisters(byte[] request, ushort value)
    {
        var count = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(10));
        var response = new byte[9 + (2 * count)];
        request.AsSpan(0, 4).CopyTo(response);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), (ushort)(3 + (2 * count)));
        response[6] = request[6];
        response[7] = request[7];
        response[8] = (byte)(2 * count);
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(9 + (2 * i)), value);
        }

        return response;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A TCP device on loopback whose answer to each request frame is scripted; null closes the connection.</summary>
    private sealed class ScriptedDevice : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Func<byte[], byte[]?> _answer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _connections;

        public ScriptedDevice(Func<byte[], byte[]?> answer)
        {
            _answer = answer;
            _listener.Start();
            _loop = Task.Run(AcceptAsync);
        }

        public int Connections => Volatile.Read(ref _connections);

        public ModbusClient CreateClient(TimeSpan? timeout = null) => new(new ModbusClientOptions
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(2),
        });

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            var sessions = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    sessions.Add(Task.Run(() => ServeAsync(socket)));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            await Task.WhenAll(sessions);
        }

        private async Task ServeAsync(Socket socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            try
            {
                while (true)
                {
                    var header = new byte[7];
                    await stream.ReadExactlyAsync(header, _stop.Token);
                    var frame = new byte[6 + BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4))];
                    header.CopyTo(frame, 0);
                    await stream.ReadExactlyAsync(frame.AsMemory(7), _stop.Token);
                    var response = _answer(frame);
                    if (response is null)
                    {
                        return;
                    }

                    await stream.WriteAsync(response, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException or SocketException)
            {
            }
        }
    }
}
