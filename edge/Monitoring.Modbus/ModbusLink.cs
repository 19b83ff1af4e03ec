using System.IO.Ports;
using System.Net.Sockets;

namespace Monitoring.Modbus;

/// <summary>
/// What carries a client's frames: a TCP connection or a serial line. The client owns the request slot, pacing,
/// timeouts and reconnect backoff; the link only opens, closes and, after a failed exchange, makes the wire usable.
/// </summary>
internal abstract class ModbusLink : IDisposable
{
    /// <summary>For messages: <c>host:port</c> or <c>/dev/ttyUSB0 9600 8N1</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Whether the link stays open after a timeout or a bad frame. A TCP connection cannot: a late answer would be
    /// taken for the next one. A bus can, once the late bytes are discarded, and must: the other units on it are fine.
    /// </summary>
    public abstract bool KeptAfterFailure { get; }

    /// <summary>The shortest quiet time between two requests on the wire.</summary>
    public abstract TimeSpan MinimumGap { get; }

    public static ModbusLink Create(ModbusClientOptions options) =>
        options.Serial is { } line ? new SerialLink(line) : new TcpLink(options.Host, options.Port);

    /// <summary>Opens the link; throws what the platform throws (the client turns it into a connection error).</summary>
    public abstract ValueTask<Stream> OpenAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="error"/> from <see cref="OpenAsync"/> means "cannot open now" (retried with backoff).</summary>
    public abstract bool IsOpenFailure(Exception error, out string reason);

    /// <summary>How long a request and its answer take on the wire, on top of the device's own reaction time.</summary>
    public abstract TimeSpan TransmissionTime(int requestBytes, int responseBytes);

    /// <summary>Called before a request when the previous exchange failed but the link was kept.</summary>
    public virtual ValueTask ResynchroniseAsync(TimeProvider time, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public abstract void Close();

    public void Dispose() => Close();

    private sealed class TcpLink(string host, int port) : ModbusLink
    {
        private NetworkStream? _stream;

        public override string Name { get; } = $"{host}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

        public override bool KeptAfterFailure => false;

        public override TimeSpan MinimumGap => TimeSpan.Zero;

        public override async ValueTask<Stream> OpenAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var connectTimeout = new CancellationTokenSource(timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
            try
            {
                await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _stream = new NetworkStream(socket, ownsSocket: true);
            return _stream;
        }

        public override bool IsOpenFailure(Exception error, out string reason)
        {
            reason = error is SocketException socketError ? socketError.SocketErrorCode.ToString() : "connect timeout";
            return error is SocketException or OperationCanceledException;
        }

        public override TimeSpan TransmissionTime(int requestBytes, int responseBytes) => TimeSpan.Zero;

        public override void Close()
        {
            _stream?.Dispose();
            _stream = null;
        }
    }

    /// <summary>
    /// RTU on a serial port. Frames are delimited by the length the request implies and checked by their CRC; the
    /// 1.5-character limit is not timed, since USB adapters deliver bytes in bursts milliseconds apart (docs/edge.md).
    /// </summary>
    private sealed class SerialLink(ModbusSerialLine line) : ModbusLink
    {
        /// <summary>Quiet time that lets a late answer finish arriving before it is discarded.</summary>
        private static readonly TimeSpan LateAnswerAllowance = TimeSpan.FromMilliseconds(20);

        private SerialPort? _port;

        public override string Name { get; } = line.ToString();

        public override bool KeptAfterFailure => true;

        public override TimeSpan MinimumGap => line.InterFrameSilence;

        public override ValueTask<Stream> OpenAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            var port = new SerialPort(line.Port, line.BaudRate, ToPortParity(line.Parity), line.DataBits, line.StopBits == 2 ? StopBits.Two : StopBits.One)
            {
                Handshake = Handshake.None,
            };
            try
            {
                port.Open();
                port.DiscardInBuffer();
            }
            catch
            {
                port.Dispose();
                throw;
            }

            _port = port;
            return ValueTask.FromResult(port.BaseStream);
        }

        public override bool IsOpenFailure(Exception error, out string reason)
        {
            reason = error.Message;
            return error is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException;
        }

        public override TimeSpan TransmissionTime(int requestBytes, int responseBytes) =>
            line.WireTime(requestBytes + responseBytes) + line.InterFrameSilence;

        /// <summary>Waits for the rest of a late or broken answer, then drops whatever arrived.</summary>
        public override async ValueTask ResynchroniseAsync(TimeProvider time, CancellationToken cancellationToken)
        {
            await Task.Delay(LateAnswerAllowance + line.InterFrameSilence, time, cancellationToken).ConfigureAwait(false);
            _port?.DiscardInBuffer();
        }

        public override void Close()
        {
            _port?.Dispose();
            _port = null;
        }

        private static Parity ToPortParity(ModbusParity parity) => parity switch
        {
            ModbusParity.Even => Parity.Even,
            ModbusParity.Odd => Parity.Odd,
            _ => Parity.None,
        };
    }
}
