using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Modbus;

/// <summary>The register tables a server exposes; the simulators implement it with meter register maps.</summary>
public interface IModbusRegisterStore
{
    /// <summary>FC03 (holding) or FC04 (input): fill <paramref name="destination"/>, or return the exception to answer.</summary>
    ModbusExceptionCode ReadRegisters(byte unit, ModbusFunction table, ushort address, Span<ushort> destination);

    /// <summary>FC06 and FC16: store <paramref name="values"/>, or return the exception to answer.</summary>
    ModbusExceptionCode WriteRegisters(byte unit, ushort address, ReadOnlySpan<ushort> values);
}

/// <summary>
/// Modbus TCP server framing: FC03, FC04, FC06 and FC16, exception replies for everything else.
/// Reads frames with a <see cref="PipeReader"/>; a malformed MBAP header closes the connection.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IModbusRegisterStore _store;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Task? _acceptLoop;

    public ModbusTcpServer(IPEndPoint endpoint, IModbusRegisterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _listener = new TcpListener(endpoint);
        _store = store;
    }

    /// <summary>The bound endpoint (useful with port 0).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            var connection = ServeAsync(socket, stopping);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        var response = new byte[ModbusLimits.MaxTcpFrameLength];
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(stopping).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, response, out var responseLength))
                {
                    if (responseLength < 0)
                    {
                        return; // malformed header: the peer is not speaking Modbus TCP
                    }

                    await stream.WriteAsync(response.AsMemory(0, responseLength), stopping).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            // Client went away or the server is stopping.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Takes one complete frame off <paramref name="buffer"/> and writes its answer; -1 for a frame to refuse.</summary>
    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, byte[] response, out int responseLength)
    {
        responseLength = 0;
        if (buffer.Length < ModbusLimits.MbapHeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[ModbusLimits.MbapHeaderLength];
        buffer.Slice(0, ModbusLimits.MbapHeaderLength).CopyTo(header);
        var protocolId = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        if (protocolId != 0 || length is < 2 or > ModbusLimits.MaxPduLength + 1)
        {
            responseLength = -1;
            return true;
        }

        if (buffer.Length < ModbusLimits.MbapHeaderLength - 1 + length)
        {
            return false;
        }

        Span<byte> request = stackalloc byte[ModbusLimits.MaxPduLength];
        var pdu = request[..(length - 1)];
        buffer.Slice(ModbusLimits.MbapHeaderLength, pdu.Length).CopyTo(pdu);
        buffer = buffer.Slice(ModbusLimits.MbapHeaderLength + pdu.Length);

        var unit = header[6];
        var pduLength = Handle(unit, pdu, response.AsSpan(ModbusLimits.MbapHeaderLength));
        header[..4].CopyTo(response);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), (ushort)(pduLength + 1));
        response[6] = unit;
        responseLength = ModbusLimits.MbapHeaderLength + pduLength;
        return true;
    }

    /// <summary>Answers one request PDU into <paramref name="answer"/>; returns the answer's length.</summary>
    private int Handle(byte unit, ReadOnlySpan<byte> request, Span<byte> answer)
    {
        var length = 0;
        var code = (ModbusFunction)request[0] switch
        {
            ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters => Read(unit, request, answer, out length),
            ModbusFunction.WriteSingleRegister => WriteSingle(unit, request, answer, out length),
            ModbusFunction.WriteMultipleRegisters => WriteMultiple(unit, request, answer, out length),
            _ => ModbusExceptionCode.IllegalFunction,
        };
        if (code == ModbusExceptionCode.None)
        {
            return length;
        }

        answer[0] = (byte)(request[0] | 0x80);
        answer[1] = (byte)code;
        return 2;
    }

    private ModbusExceptionCode Read(byte unit, ReadOnlySpan<byte> request, Span<byte> answer, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        var address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        var count = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        if (count is < 1 or > ModbusLimits.MaxReadRegisters)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (address + count > ushort.MaxValue + 1)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<ushort> registers = stackalloc ushort[count];
        var code = _store.ReadRegisters(unit, (ModbusFunction)request[0], address, registers);
        if (code != ModbusExceptionCode.None)
        {
            return code;
        }

        answer[0] = request[0];
        answer[1] = (byte)(count * 2);
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(answer[(2 + (2 * i))..], registers[i]);
        }

        length = 2 + (count * 2);
        return ModbusExceptionCode.None;
    }

    private ModbusExceptionCode WriteSingle(byte unit, ReadOnlySpan<byte> request, Span<byte> answer, out int length)
    {
        length = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        var address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        ReadOnlySpan<ushort> value = [BinaryPrimitives.ReadUInt16BigEndian(request[3..])];
        var code = _store.WriteRegisters(unit, address, value);
        if (code == ModbusExceptionCode.None)
        {
            request.CopyTo(answer);
            length = 5;
        }

        return code;
    }

    private ModbusExceptionCode WriteMultiple(byte unit, ReadOnlySpan<byte> request, Span<byte> answer, out int length)
    {
        length = 0;
        if (request.Length < 6)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        var address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        var count = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        if (count is < 1 or > ModbusLimits.MaxWriteRegisters || request[5] != count * 2 || request.Length != 6 + (count * 2))
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (address + count > ushort.MaxValue + 1)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        Span<ushort> values = stackalloc ushort[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(request[(6 + (2 * i))..]);
        }

        var code = _store.WriteRegisters(unit, address, values);
        if (code == ModbusExceptionCode.None)
        {
            request[..5].CopyTo(answer);
            length = 5;
        }

        return code;
    }
}
