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

/// <summary>No (complete) answer within the request timeout; the connection was closed, since a late answer would desynchronise it.</summary>
public sealed class ModbusTimeoutException(TimeSpan timeout)
    : ModbusException($"no answer within {timeout.TotalMilliseconds:0} ms")
{
    public override string Kind => "timeout";
}

/// <summary>A malformed or mismatched frame (wrong transaction id, protocol id, unit, length or CRC); the connection was closed.</summary>
public sealed class ModbusProtocolException(string message)
    : ModbusException(message)
{
    public override string Kind => "protocol";
}

/// <summary>The connection could not be opened, was lost, or is waiting out its reconnect backoff.</summary>
public sealed class ModbusConnectionException(string message, Exception? inner = null)
    : ModbusException(message, inner)
{
    public override string Kind => "connection";
}
