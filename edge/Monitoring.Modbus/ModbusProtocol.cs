namespace Monitoring.Modbus;

/// <summary>The function codes this library speaks.</summary>
public enum ModbusFunction : byte
{
    ReadCoils = 0x01,
    ReadDiscreteInputs = 0x02,
    ReadHoldingRegisters = 0x03,
    ReadInputRegisters = 0x04,
    WriteSingleCoil = 0x05,
    WriteSingleRegister = 0x06,
    WriteMultipleCoils = 0x0F,
    WriteMultipleRegisters = 0x10,
}

/// <summary>Exception codes a device answers with (Modbus Application Protocol v1.1b3, §7).</summary>
public enum ModbusExceptionCode : byte
{
    None = 0,
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetFailedToRespond = 0x0B,
}

/// <summary>Limits of the protocol (Modbus Application Protocol v1.1b3, §6).</summary>
public static class ModbusLimits
{
    /// <summary>Registers in one FC03/FC04 read.</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>Registers in one FC16 write.</summary>
    public const int MaxWriteRegisters = 123;

    /// <summary>Coils or inputs in one FC01/FC02 read.</summary>
    public const int MaxReadBits = 2000;

    /// <summary>Coils in one FC15 write.</summary>
    public const int MaxWriteBits = 1968;

    /// <summary>Largest PDU: function code plus 252 bytes of data.</summary>
    public const int MaxPduLength = 253;

    /// <summary>MBAP header length (transaction id, protocol id, length, unit id).</summary>
    public const int MbapHeaderLength = 7;

    /// <summary>Largest TCP frame: MBAP header plus the PDU.</summary>
    public const int MaxTcpFrameLength = MbapHeaderLength + MaxPduLength;
}
