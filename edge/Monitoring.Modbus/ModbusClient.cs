using System.Runtime.CompilerServices;

namespace Monitoring.Modbus;

/// <summary>
/// One connection to a Modbus endpoint: a TCP device or gateway, or a serial bus. Exactly one request is in flight at a
/// time (reads and writes share the queue); a TCP connection that times out or desynchronises is closed and reopened
/// on the next request, never reused, while a serial line is kept and resynchronised (its other units are fine);
/// failed connects back off exponentially. Several unit ids may share the client (gateways, RS-485 buses), each with
/// its own timeout.
/// The read path pools its async state machines: polling allocates nothing per request but the caller's buffer.
/// </summary>
public sealed class ModbusClient : IAsyncDisposable
{
    private readonly ModbusClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ModbusClientFraming _framing;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _request = new byte[ModbusLimits.MaxTcpFrameLength + 2];
    private readonly byte[] _response = new byte[ModbusLimits.MaxTcpFrameLength + 2];
    private readonly ModbusLink _link;
    private CancellationTokenSource _timeout;
    private Stream? _stream;
    private bool _resynchronise;
    private int _failedConnects;
    private long _reconnectNotBefore;
    private long _lastRequestEnded;
    private bool _disposed;

    public ModbusClient(ModbusClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _framing = ModbusClientFraming.Create(options.Transport);
        _link = ModbusLink.Create(options);
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
    }

    public ModbusClientOptions Options => _options;

    public ModbusStatistics Statistics { get; } = new();

    public bool IsConnected => _stream is not null;

    /// <summary>For messages and statistics: <c>host:port</c>, or the serial line and its format.</summary>
    public string EndpointName => _link.Name;

    /// <summary>FC03 or FC04: fills <paramref name="destination"/> with registers from <paramref name="address"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadRegistersAsync(byte unit, ModbusFunction function, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default)
    {
        if (function is not (ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters))
        {
            throw new ArgumentOutOfRangeException(nameof(function), function, "Use ReadHoldingRegisters or ReadInputRegisters.");
        }

        CheckCount(destination.Length, ModbusLimits.MaxReadRegisters, address);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteReadRequest(RequestPdu, function, address, (ushort)destination.Length);
            var response = await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
            ModbusPdu.ReadRegisters(_response.AsSpan(response), destination.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask ReadHoldingRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, ModbusFunction.ReadHoldingRegisters, address, destination, cancellationToken);

    public ValueTask ReadInputRegistersAsync(byte unit, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, ModbusFunction.ReadInputRegisters, address, destination, cancellationToken);

    /// <summary>FC01 or FC02: fills <paramref name="destination"/> with coils or discrete inputs.</summary>
    public async ValueTask ReadBitsAsync(byte unit, ModbusFunction function, ushort address, Memory<bool> destination, CancellationToken cancellationToken = default)
    {
        if (function is not (ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs))
        {
            throw new ArgumentOutOfRangeException(nameof(function), function, "Use ReadCoils or ReadDiscreteInputs.");
        }

        CheckCount(destination.Length, ModbusLimits.MaxReadBits, address);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteReadRequest(RequestPdu, function, address, (ushort)destination.Length);
            var response = await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
            ModbusPdu.ReadBits(_response.AsSpan(response), destination.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteSingleRequest(RequestPdu, ModbusFunction.WriteSingleCoil, address, value ? (ushort)0xFF00 : (ushort)0x0000);
            await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteSingleRequest(RequestPdu, ModbusFunction.WriteSingleRegister, address, value);
            await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckCount(values.Length, ModbusLimits.MaxWriteRegisters, address);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteMultipleRegistersRequest(RequestPdu, address, values.Span);
            await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckCount(values.Length, ModbusLimits.MaxWriteBits, address);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pdu = ModbusPdu.WriteMultipleCoilsRequest(RequestPdu, address, values.Span);
            await ExchangeAsync(unit, pdu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the connection (for devices that accept one connection: connect per poll cycle).</summary>
    public async ValueTask DisconnectAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await DisconnectAsync().ConfigureAwait(false);
        _disposed = true;
        _timeout.Dispose();
        _gate.Dispose();
    }

    private Span<byte> RequestPdu => _request.AsSpan(_framing.PduOffset);

    private static void CheckCount(int count, int max, ushort address)
    {
        if (count < 1 || count > max)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Between 1 and {max} items per request.");
        }

        if (address + count > ushort.MaxValue + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address, "The request runs past address 65535.");
        }
    }

    /// <summary>Sends the request PDU (already in the buffer) and returns the range of the checked response PDU. Caller holds the gate.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Range> ExchangeAsync(byte unit, int pduLength, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await PaceAsync(cancellationToken).ConfigureAwait(false);
        var stream = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        Statistics.RecordRequest();
        var frameLength = _framing.CompleteRequest(_request, unit, pduLength);
        var requestPdu = _request.AsMemory(_framing.PduOffset, pduLength);
        var expected = ModbusPdu.ExpectedResponseLength(requestPdu.Span);
        var timeout = RequestTimeout(unit) + _link.TransmissionTime(frameLength, expected + 3);
        var started = _time.GetTimestamp();
        var token = StartTimeout(timeout, cancellationToken, out var registration);
        try
        {
            await stream.WriteAsync(_request.AsMemory(0, frameLength), token).ConfigureAwait(false);
            var range = await _framing.ReadResponseAsync(stream, _response, unit, expected, token).ConfigureAwait(false);
            var latency = _time.GetElapsedTime(started);
            try
            {
                ModbusPdu.CheckResponse(_response.AsSpan(range), requestPdu.Span);
            }
            catch (ModbusDeviceException)
            {
                Statistics.RecordAnswer(latency, deviceException: true);
                throw;
            }

            Statistics.RecordAnswer(latency, deviceException: false);
            return range;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Fail(new ModbusTimeoutException(timeout));
        }
        catch (OperationCanceledException)
        {
            // The caller gave up mid-frame: the answer may still arrive, so the connection cannot be trusted.
            Discard();
            throw;
        }
        catch (ModbusException ex) when (ex is ModbusProtocolException or ModbusConnectionException)
        {
            throw Fail(ex);
        }
        catch (IOException ex)
        {
            // A lost port or socket is reopened, on a bus too (an unplugged USB adapter).
            var error = new ModbusConnectionException($"connection to {_link.Name} lost: {ex.Message}", ex);
            Statistics.RecordFailure(error);
            Close();
            throw error;
        }
        finally
        {
            // Disarm the timer: left running it would fire after every request and force a new source.
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            registration.Dispose();
            _lastRequestEnded = _time.GetTimestamp();
        }
    }

    private ModbusException Fail(ModbusException error)
    {
        Statistics.RecordFailure(error);
        Discard();
        return error;
    }

    /// <summary>After a failed exchange: a TCP connection is dropped, a serial line is resynchronised before its next request.</summary>
    private void Discard()
    {
        if (_link.KeptAfterFailure && _stream is not null)
        {
            _resynchronise = true;
        }
        else
        {
            Close();
        }
    }

    private TimeSpan RequestTimeout(byte unit) =>
        _options.UnitRequestTimeouts is { } perUnit && perUnit.TryGetValue(unit, out var timeout) ? timeout : _options.RequestTimeout;

    /// <summary>Arms the reusable timeout source and links the caller's token to it without allocating a linked source.</summary>
    private CancellationToken StartTimeout(TimeSpan timeout, CancellationToken cancellationToken, out CancellationTokenRegistration registration)
    {
        if (!_timeout.TryReset())
        {
            _timeout.Dispose();
            _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        }

        _timeout.CancelAfter(timeout);
        registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _timeout)
            : default;
        return _timeout.Token;
    }

    private async ValueTask PaceAsync(CancellationToken cancellationToken)
    {
        var gap = _options.PauseBetweenRequests > _link.MinimumGap ? _options.PauseBetweenRequests : _link.MinimumGap;
        if (gap <= TimeSpan.Zero || _lastRequestEnded == 0)
        {
            return;
        }

        var remaining = gap - _time.GetElapsedTime(_lastRequestEnded);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null)
        {
            if (_resynchronise)
            {
                await _link.ResynchroniseAsync(_time, cancellationToken).ConfigureAwait(false);
                _resynchronise = false;
            }

            return _stream;
        }

        if (_reconnectNotBefore != 0)
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), _reconnectNotBefore);
            if (wait > TimeSpan.Zero)
            {
                var error = new ModbusConnectionException($"{_link.Name} unreachable; next connect attempt in {wait.TotalMilliseconds:0} ms");
                Statistics.RecordFailure(error);
                throw error;
            }
        }

        Stream stream;
        try
        {
            stream = await _link.OpenAsync(_options.ConnectTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _link.IsOpenFailure(ex, out var reason))
        {
            _failedConnects++;
            var delay = TimeSpan.FromTicks(Math.Min(
                _options.MaxReconnectDelay.Ticks,
                _options.MinReconnectDelay.Ticks * (1L << Math.Min(_failedConnects - 1, 30))));
            _reconnectNotBefore = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            var error = new ModbusConnectionException($"cannot connect to {_link.Name} ({reason}); retrying in {delay.TotalMilliseconds:0} ms", ex);
            Statistics.RecordFailure(error);
            throw error;
        }

        _failedConnects = 0;
        _reconnectNotBefore = 0;
        _resynchronise = false;
        _stream = stream;
        Statistics.RecordConnect();
        return _stream;
    }

    private void Close()
    {
        _link.Close();
        _stream = null;
        _resynchronise = false;
    }
}
