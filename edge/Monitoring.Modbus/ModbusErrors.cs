namespace Monitoring.Modbus;

/// <summary>Base of every error this library raises while talking to a device.</summary>
public abstract class ModbusException : Exception
{
    protected ModbusException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>A short, stable name for statistics and health series ("exception", "timeout"...).</summary>
    public abstract string Kind { get; }
}

/// <summary>The device answered with an exception response; the connection stays usable.</summary>
public sealed class ModbusDeviceException(ModbusFunction function, ModbusExceptionCode code)
    : ModbusException($"device answered {function} with exception {(byte)code} ({code})")
{
    public ModbusFunction Function { get; } = function;

    public ModbusExceptionCode Code { get; } = code;

    public override string Kind => "exception";
}

/// <summary>
/// No (complete) answer within the request timeout; a TCP connection was closed, since a late answer would
/// desynchronise it, and a serial line is resynchronised before its next request.
/// </summary>
public sealed class ModbusTimeoutException(TimeSpan timeout)
    : ModbusException($"no answer within {timeout.TotalMilliseconds:0} ms")
{
    public override string Kind => "timeout";
}

/// <summary>A malformed or mismatched frame (wrong transaction id, protocol id, unit, length or CRC); handled as a timeout.</summary>
public sealed class ModbusProtocolException(string message, bool crcMismatch = false)
    : ModbusException(message)
{
    /// <summary>The RTU frame's CRC did not match: noise or a collision on the wire, counted apart.</summary>
    public bool CrcMismatch { get; } = crcMismatch;

    public override string Kind => "protocol";
}

/// <summary>The connection could not be opened, was lost, or is waiting out its reconnect backoff.</summary>
public sealed class ModbusConnectionException(string message, Exception? inner = null)
    : ModbusException(message, inner)
{
    public override string Kind => "connection";
}
