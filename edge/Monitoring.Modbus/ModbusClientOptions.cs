namespace Monitoring.Modbus;

/// <summary>How to reach one Modbus endpoint: a device, a gateway with several unit ids behind it, or a serial bus.</summary>
public sealed record ModbusClientOptions
{
    /// <summary>The TCP endpoint's host; unused when <see cref="Serial"/> is set.</summary>
    public string Host { get; init; } = string.Empty;

    public int Port { get; init; } = 502;

    public ModbusTransport Transport { get; init; } = ModbusTransport.Tcp;

    /// <summary>The serial line of a <see cref="ModbusTransport.Rtu"/> client.</summary>
    public ModbusSerialLine? Serial { get; init; }

    /// <summary>
    /// Longest wait for a device's reaction: on a serial line the frames' time on the wire is added. A late answer
    /// closes a TCP connection; on a serial line it is discarded.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Units that take another timeout than <see cref="RequestTimeout"/> (slow meters on a shared bus).</summary>
    public IReadOnlyDictionary<byte, TimeSpan>? UnitRequestTimeouts { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Quiet time between the end of one request and the start of the next (slow devices, RS-485 gateways).</summary>
    public TimeSpan PauseBetweenRequests { get; init; } = TimeSpan.Zero;

    /// <summary>First wait after a failed connect; it doubles on each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws when the options cannot work; called by the client's constructor.</summary>
    public void Validate()
    {
        if ((Transport == ModbusTransport.Rtu) != (Serial is not null))
        {
            throw new ArgumentException("A serial line goes with the Rtu transport, and the Rtu transport needs a serial line.", nameof(Serial));
        }

        if (Serial is not null)
        {
            Serial.Validate();
        }
        else if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Host is required.", nameof(Host));
        }
        else if (Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 1..65535.");
        }

        Positive(RequestTimeout, nameof(RequestTimeout));
        foreach (var (_, timeout) in UnitRequestTimeouts ?? new Dictionary<byte, TimeSpan>())
        {
            Positive(timeout, nameof(UnitRequestTimeouts));
        }

        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(MinReconnectDelay, nameof(MinReconnectDelay));
        if (PauseBetweenRequests < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PauseBetweenRequests), PauseBetweenRequests, "Must not be negative.");
        }

        if (MaxReconnectDelay < MinReconnectDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReconnectDelay), MaxReconnectDelay, "Must be at least MinReconnectDelay.");
        }

        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }
    }
}
