namespace Monitoring.Modbus;

/// <summary>What one connection has seen; read by the health series and by <c>check</c>. Thread-safe.</summary>
public sealed class ModbusStatistics
{
    private long _requests;
    private long _successes;
    private long _deviceExceptions;
    private long _timeouts;
    private long _protocolErrors;
    private long _crcErrors;
    private long _connectionErrors;
    private long _connects;
    private long _latencyTicksTotal;
    private long _latencyTicksMax;

    public long Requests => Interlocked.Read(ref _requests);

    public long Successes => Interlocked.Read(ref _successes);

    public long DeviceExceptions => Interlocked.Read(ref _deviceExceptions);

    public long Timeouts => Interlocked.Read(ref _timeouts);

    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>RTU frames whose CRC did not match; part of <see cref="ProtocolErrors"/>.</summary>
    public long CrcErrors => Interlocked.Read(ref _crcErrors);

    public long ConnectionErrors => Interlocked.Read(ref _connectionErrors);

    /// <summary>Successful connects (TCP) or port openings (serial), the first included.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    public long Errors => DeviceExceptions + Timeouts + ProtocolErrors + ConnectionErrors;

    /// <summary>Mean round trip of the answered requests (exception answers included).</summary>
    public TimeSpan MeanLatency
    {
        get
        {
            var answered = Successes + DeviceExceptions;
            return answered == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicksTotal) / answered);
        }
    }

    public TimeSpan MaxLatency => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicksMax));

    internal void RecordRequest() => Interlocked.Increment(ref _requests);

    internal void RecordConnect() => Interlocked.Increment(ref _connects);

    internal void RecordAnswer(TimeSpan latency, bool deviceException)
    {
        Interlocked.Increment(ref deviceException ? ref _deviceExceptions : ref _successes);
        Interlocked.Add(ref _latencyTicksTotal, latency.Ticks);
        var max = Interlocked.Read(ref _latencyTicksMax);
        while (latency.Ticks > max)
        {
            var seen = Interlocked.CompareExchange(ref _latencyTicksMax, latency.Ticks, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    internal void RecordFailure(ModbusException error)
    {
        switch (error)
        {
            case ModbusTimeoutException: Interlocked.Increment(ref _timeouts); break;
            case ModbusProtocolException protocolError:
                Interlocked.Increment(ref _protocolErrors);
                if (protocolError.CrcMismatch)
                {
                    Interlocked.Increment(ref _crcErrors);
                }

                break;
            case ModbusConnectionException: Interlocked.Increment(ref _connectionErrors); break;
            default: break;
        }
    }
}
