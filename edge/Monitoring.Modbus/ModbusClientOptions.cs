namespace Monitoring.Modbus;

/// <summary>How to reach one Modbus endpoint (a device, or a gateway with several unit ids behind it).</summary>
public sealed record ModbusClientOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = 502;

    public ModbusTransport Transport { get; init; } = ModbusTransport.Tcp;

    /// <summary>Longest wait for a complete answer; a late answer closes the connection.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Quiet time between the end of one request and the start of the next (slow devices, RS-485 gateways).</summary>
    public TimeSpan PauseBetweenRequests { get; init; } = TimeSpan.Zero;

    /// <summary>First wait after a failed connect; it doubles on each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws when the options cannot work; called by the client's constructor.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Host is required.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 1..65535.");
        }

        Positive(RequestTimeout, nameof(RequestTimeout));
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
