using System.Buffers.Binary;

namespace Monitoring.Modbus;

/// <summary>Builds request PDUs and checks response PDUs, shared by every framing and by the server.</summary>
internal static class ModbusPdu
{
    /// <summary>FC01..04: function, start address, quantity.</summary>
    public static int WriteReadRequest(Span<byte> pdu, ModbusFunction function, ushort address, ushort count)
    {
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], count);
        return 5;
    }

    /// <summary>FC05/FC06: function, address, value (0xFF00 / 0x0000 for a coil).</summary>
    public static int WriteSingleRequest(Span<byte> pdu, ModbusFunction function, ushort address, ushort value)
    {
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], value);
        return 5;
    }

    public static int WriteMultipleRegistersRequest(Span<byte> pdu, ushort address, ReadOnlySpan<ushort> values)
    {
        pdu[0] = (byte)ModbusFunction.WriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)(values.Length * 2);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(pdu[(6 + (2 * i))..], values[i]);
        }

        return 6 + (values.Length * 2);
    }

    public static int WriteMultipleCoilsRequest(Span<byte> pdu, ushort address, ReadOnlySpan<bool> values)
    {
        var byteCount = (values.Length + 7) / 8;
        pdu[0] = (byte)ModbusFunction.WriteMultipleCoils;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)byteCount;
        PackBits(values, pdu.Slice(6, byteCount));
        return 6 + byteCount;
    }

    /// <summary>
    /// Checks a response PDU against the request it answers: an exception response becomes a
    /// <see cref="ModbusDeviceException"/>, anything else that does not fit a <see cref="ModbusProtocolException"/>.
    /// </summary>
    public static void CheckResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request)
    {
        var function = (ModbusFunction)request[0];
        if (response.Length == 0)
        {
            throw new ModbusProtocolException("empty response PDU");
        }

        if (response[0] == (request[0] | 0x80))
        {
            if (response.Length != 2)
            {
                throw new ModbusProtocolException($"exception response of {response.Length} bytes, expected 2");
            }

            throw new ModbusDeviceException(function, (ModbusExceptionCode)response[1]);
        }

        if (response[0] != request[0])
        {
            throw new ModbusProtocolException($"response function 0x{response[0]:X2} does not answer request function 0x{request[0]:X2}");
        }

        var expectedLength = ExpectedResponseLength(request);
        if (response.Length != expectedLength)
        {
            throw new ModbusProtocolException($"{function} response of {response.Length} bytes, expected {expectedLength}");
        }

        switch (function)
        {
            case ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs or ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters:
                if (response[1] != expectedLength - 2)
                {
                    throw new ModbusProtocolException($"{function} byte count {response[1]}, expected {expectedLength - 2}");
                }

                break;
            default:
                // Writes echo the address and quantity (or value) of the request.
                if (!response[1..5].SequenceEqual(request[1..5]))
                {
                    throw new ModbusProtocolException($"{function} response does not echo the request's address and quantity");
                }

                break;
        }
    }

    /// <summary>The length of a normal (non-exception) response PDU to <paramref name="request"/>.</summary>
    public static int ExpectedResponseLength(ReadOnlySpan<byte> request)
    {
        var count = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        return (ModbusFunction)request[0] switch
        {
            ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters => 2 + (2 * count),
            ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs => 2 + ((count + 7) / 8),
            _ => 5,
        };
    }

    public static void ReadRegisters(ReadOnlySpan<byte> response, Span<ushort> destination)
    {
        var data = response[2..];
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * i)..]);
        }
    }

    public static void ReadBits(ReadOnlySpan<byte> response, Span<bool> destination)
    {
        var data = response[2..];
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (data[i / 8] & (1 << (i % 8))) != 0;
        }
    }

    public static void PackBits(ReadOnlySpan<bool> values, Span<byte> destination)
    {
        destination.Clear();
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i])
            {
                destination[i / 8] |= (byte)(1 << (i % 8));
            }
        }
    }
}
