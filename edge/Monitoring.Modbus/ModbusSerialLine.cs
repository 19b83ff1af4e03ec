using System.Globalization;

namespace Monitoring.Modbus;

public enum ModbusParity
{
    None,
    Even,
    Odd,
}

/// <summary>
/// One RS-485 (or RS-232) line: the port and its character format. Devices on one line share it: one request on the
/// wire at a time. The Modbus serial line specification (Modbus over Serial Line v1.02, §2.5.1.1) fixes the
/// inter-frame silence at 3.5 character times and the inter-character limit at 1.5, with fixed 1.75 ms and 0.75 ms
/// above 19 200 baud.
/// </summary>
public sealed record ModbusSerialLine
{
    /// <summary>The serial device, e.g. <c>/dev/ttyUSB0</c> or a <c>/dev/serial/by-id/…</c> link.</summary>
    public required string Port { get; init; }

    public int BaudRate { get; init; } = 9600;

    public ModbusParity Parity { get; init; } = ModbusParity.None;

    /// <summary>RTU frames carry 8-bit bytes: 8 is the only size that works (7 is Modbus ASCII's).</summary>
    public int DataBits { get; init; } = 8;

    public int StopBits { get; init; } = 1;

    /// <summary>Start bit, data bits, parity bit and stop bits of one character on the wire.</summary>
    public int BitsPerCharacter => 1 + DataBits + (Parity == ModbusParity.None ? 0 : 1) + StopBits;

    public TimeSpan CharacterTime => TimeSpan.FromSeconds((double)BitsPerCharacter / BaudRate);

    /// <summary>t3.5: the silence that ends a frame, kept before every request.</summary>
    public TimeSpan InterFrameSilence => BaudRate > 19_200 ? TimeSpan.FromMilliseconds(1.75) : CharacterTime * 3.5;

    /// <summary>t1.5: the longest gap between two characters of one frame.</summary>
    public TimeSpan InterCharacterLimit => BaudRate > 19_200 ? TimeSpan.FromMilliseconds(0.75) : CharacterTime * 1.5;

    /// <summary>How long <paramref name="bytes"/> characters take on the wire.</summary>
    public TimeSpan WireTime(int bytes) => CharacterTime * bytes;

    /// <summary>For messages: <c>/dev/ttyUSB0 9600 8N1</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Port} {BaudRate} {DataBits}{Parity switch { ModbusParity.Even => 'E', ModbusParity.Odd => 'O', _ => 'N' }}{StopBits}");

    /// <summary>Throws when the line cannot carry RTU frames.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Port))
        {
            throw new ArgumentException("Port is required.", nameof(Port));
        }

        if (BaudRate is < 300 or > 4_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, "Baud rate must be 300..4000000.");
        }

        if (DataBits != 8)
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, "Modbus RTU frames are 8-bit: data bits must be 8.");
        }

        if (StopBits is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(StopBits), StopBits, "Stop bits must be 1 or 2.");
        }
    }
}
