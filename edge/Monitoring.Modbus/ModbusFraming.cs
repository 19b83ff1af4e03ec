using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Monitoring.Modbus;

/// <summary>How PDUs travel on the wire.</summary>
public enum ModbusTransport
{
    /// <summary>Modbus TCP: MBAP header with transaction id; the normal case.</summary>
    Tcp,
    /// <summary>RTU frames (unit, PDU, CRC-16) over a TCP socket, as cheap serial gateways do.</summary>
    RtuOverTcp,
    /// <summary>RTU frames on a serial line (RS-485), with the inter-frame silence kept between requests.</summary>
    Rtu,
}

/// <summary>Wraps request PDUs and unwraps response PDUs for one transport. The client owns one per connection.</summary>
internal abstract class ModbusClientFraming
{
    /// <summary>Where the request PDU goes in the frame buffer.</summary>
    public abstract int PduOffset { get; }

    public static ModbusClientFraming Create(ModbusTransport transport) => transport switch
    {
        ModbusTransport.Tcp => new TcpFraming(),
        ModbusTransport.RtuOverTcp or ModbusTransport.Rtu => new RtuFraming(),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    /// <summary>Completes the frame around the PDU already written at <see cref="PduOffset"/>; returns the frame length.</summary>
    public abstract int CompleteRequest(Span<byte> frame, byte unit, int pduLength);

    /// <summary>Reads one response into <paramref name="frame"/> and returns where its PDU lies.</summary>
    public abstract ValueTask<Range> ReadResponseAsync(Stream stream, Memory<byte> frame, byte unit, int expectedPduLength, CancellationToken cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected static async ValueTask<int> ReadAtLeastAsync(Stream stream, Memory<byte> buffer, int minimum, CancellationToken cancellationToken)
    {
        var received = await stream.ReadAtLeastAsync(buffer, minimum, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return received >= minimum ? received : throw new ModbusConnectionException("the device closed the connection");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected static async ValueTask ReadExactAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new ModbusConnectionException("the device closed the connection", ex);
        }
    }

    private sealed class TcpFraming : ModbusClientFraming
    {
        private ushort _transactionId;

        public override int PduOffset => ModbusLimits.MbapHeaderLength;

        public override int CompleteRequest(Span<byte> frame, byte unit, int pduLength)
        {
            _transactionId++;
            BinaryPrimitives.WriteUInt16BigEndian(frame, _transactionId);
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(frame[4..], (ushort)(pduLength + 1));
            frame[6] = unit;
            return ModbusLimits.MbapHeaderLength + pduLength;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<Range> ReadResponseAsync(Stream stream, Memory<byte> frame, byte unit, int expectedPduLength, CancellationToken cancellationToken)
        {
            // One receive usually brings the whole answer (header and PDU): ask for up to the expected frame, at least
            // its header. That halves the receives per request, the agent's main cost with many devices (bench/README.md).
            var received = await ReadAtLeastAsync(stream, frame[..(ModbusLimits.MbapHeaderLength + expectedPduLength)], ModbusLimits.MbapHeaderLength, cancellationToken).ConfigureAwait(false);
            var (transactionId, protocolId, length, responseUnit) = ParseHeader(frame.Span);
            if (protocolId != 0)
            {
                throw new ModbusProtocolException($"protocol id {protocolId}, expected 0");
            }

            if (length is < 2 or > ModbusLimits.MaxPduLength + 1)
            {
                throw new ModbusProtocolException($"MBAP length {length} out of range");
            }

            if (transactionId != _transactionId)
            {
                throw new ModbusProtocolException($"transaction id {transactionId}, expected {_transactionId}");
            }

            if (responseUnit != unit)
            {
                throw new ModbusProtocolException($"unit id {responseUnit}, expected {unit}");
            }

            var pduLength = length - 1;
            var frameLength = ModbusLimits.MbapHeaderLength + pduLength;
            if (received > frameLength)
            {
                throw new ModbusProtocolException($"{received - frameLength} byte(s) after the answer's {frameLength}");
            }

            if (received < frameLength)
            {
                await ReadExactAsync(stream, frame[received..frameLength], cancellationToken).ConfigureAwait(false);
            }

            return new Range(ModbusLimits.MbapHeaderLength, frameLength);
        }

        private static (ushort TransactionId, ushort ProtocolId, ushort Length, byte Unit) ParseHeader(ReadOnlySpan<byte> header) => (
            BinaryPrimitives.ReadUInt16BigEndian(header),
            BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(header[4..]),
            header[6]);
    }

    /// <summary>RTU framing, the same over a serial line and over a TCP socket.</summary>
    private sealed class RtuFraming : ModbusClientFraming
    {
        public override int PduOffset => 1;

        public override int CompleteRequest(Span<byte> frame, byte unit, int pduLength)
        {
            frame[0] = unit;
            var crc = Crc16.Compute(frame[..(1 + pduLength)]);
            BinaryPrimitives.WriteUInt16LittleEndian(frame[(1 + pduLength)..], crc);
            return 1 + pduLength + 2;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<Range> ReadResponseAsync(Stream stream, Memory<byte> frame, byte unit, int expectedPduLength, CancellationToken cancellationToken)
        {
            // RTU has no length field: read unit and function, then as much as that answer must hold.
            await ReadExactAsync(stream, frame[..2], cancellationToken).ConfigureAwait(false);
            var isException = (frame.Span[1] & 0x80) != 0;
            var pduLength = isException ? 2 : expectedPduLength;
            await ReadExactAsync(stream, frame.Slice(2, pduLength - 1 + 2), cancellationToken).ConfigureAwait(false);
            var span = frame.Span;
            var crc = BinaryPrimitives.ReadUInt16LittleEndian(span[(1 + pduLength)..]);
            if (crc != Crc16.Compute(span[..(1 + pduLength)]))
            {
                throw new ModbusProtocolException("RTU frame CRC mismatch", crcMismatch: true);
            }

            if (span[0] != unit)
            {
                throw new ModbusProtocolException($"unit id {span[0]}, expected {unit}");
            }

            return new Range(1, 1 + pduLength);
        }
    }
}
