using Monitoring.Edge.Configuration;
using Monitoring.Modbus;

namespace Monitoring.Edge.Polling;

/// <summary>A decoded value, stamped with the time its request was sent.</summary>
public readonly record struct Reading(DateTimeOffset Timestamp, string Field, double Value);

/// <summary>A request that failed, with what it was for.</summary>
public sealed record PollError(ReadBlock Block, ModbusException Error);

/// <summary>What one poll of one device's group produced. Values that could not be read are absent, never repeated.</summary>
/// <param name="Invalid">Fields whose registers held an invalid sentinel or a non-finite float.</param>
/// <param name="Raw">The registers of every answered request (for <c>check</c>).</param>
public sealed record DevicePoll(
    DeviceConfiguration Device,
    string Group,
    IReadOnlyList<Reading> Readings,
    IReadOnlyList<string> Invalid,
    IReadOnlyList<PollError> Errors,
    IReadOnlyList<(ReadBlock Block, ushort[] Registers)> Raw)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Polls one device over a (possibly shared) client. Keeps the request plan per poll group and remembers
/// splits made after exception 2, so a device with holes in its map costs the extra requests only once; after
/// <see cref="DeviceConfiguration.ReplanAfter"/> a split group tries its coalesced plan again (the refusal may have
/// been transient), and splits again if the device still refuses.
/// </summary>
public sealed class DevicePoller
{
    private readonly ModbusClient _client;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, List<ReadBlock>> _plans;
    private readonly Dictionary<string, IReadOnlyList<ReadBlock>> _coalesced;
    private readonly Dictionary<string, DateTimeOffset> _splitAt = new(StringComparer.Ordinal);

    public DevicePoller(DeviceConfiguration device, ModbusClient client, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        _client = client;
        _time = time;
        _coalesced = device.Points
            .GroupBy(p => p.Group)
            .ToDictionary(g => g.Key, g => RequestPlanner.Plan(g, device.MaxRegistersPerRead, device.MaxGap), StringComparer.Ordinal);
        _plans = _coalesced.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal);
    }

    public DeviceConfiguration Device { get; }

    /// <summary>The poll groups this device has points in.</summary>
    public IEnumerable<string> Groups => _plans.Keys;

    /// <summary>How many times a read was split after the device refused it with exception 2.</summary>
    public int Splits { get; private set; }

    /// <summary>How many times a split group went back to its coalesced plan after <see cref="DeviceConfiguration.ReplanAfter"/>.</summary>
    public int Replans { get; private set; }

    public IReadOnlyList<ReadBlock> PlanOf(string group) => _plans.TryGetValue(group, out var plan) ? plan : [];

    /// <summary>
    /// A poll not sent because the device just failed to answer in this cycle: a dead unit behind a gateway
    /// costs one timeout per cycle, not one per poll group.
    /// </summary>
    public DevicePoll Skipped(string group, ModbusException cause) =>
        new(Device, group, [], [], [.. _plans[group].Select(block => new PollError(block, cause))], []);

    public async Task<DevicePoll> PollAsync(string group, CancellationToken cancellationToken)
    {
        if (_splitAt.TryGetValue(group, out var splitAt) && _time.GetUtcNow() - splitAt >= Device.ReplanAfter)
        {
            _plans[group] = [.. _coalesced[group]];
            _splitAt.Remove(group);
            Replans++;
        }

        var plan = _plans[group];
        var readings = new List<Reading>();
        var invalid = new List<string>();
        var errors = new List<PollError>();
        var raw = new List<(ReadBlock, ushort[])>();
        for (var i = 0; i < plan.Count; i++)
        {
            var block = plan[i];
            var registers = new ushort[block.Count];
            var sentAt = _time.GetUtcNow();
            try
            {
                await _client.ReadRegistersAsync(Device.Unit, block.Table, block.Address, registers, cancellationToken).ConfigureAwait(false);
            }
            catch (ModbusDeviceException ex) when (ex.Code == ModbusExceptionCode.IllegalDataAddress && RequestPlanner.Split(block) is { Count: > 1 } parts)
            {
                plan.RemoveAt(i);
                plan.InsertRange(i, parts);
                Splits++;
                _splitAt.TryAdd(group, _time.GetUtcNow());
                i--;
                continue;
            }
            catch (ModbusException ex)
            {
                errors.Add(new PollError(block, ex));
                if (ex is ModbusTimeoutException or ModbusConnectionException)
                {
                    // The connection is gone; the rest of this cycle would only wait for the same answer.
                    errors.AddRange(plan.Skip(i + 1).Select(b => new PollError(b, ex)));
                    break;
                }

                continue;
            }

            raw.Add((block, registers));
            foreach (var planned in block.Points)
            {
                if (planned.Point.TryDecode(registers.AsSpan(planned.Offset, planned.Point.RegisterCount), out var value))
                {
                    readings.Add(new Reading(sentAt, planned.Point.Field, value));
                }
                else
                {
                    invalid.Add(planned.Point.Field);
                }
            }
        }

        return new DevicePoll(Device, group, readings, invalid, errors, raw);
    }
}
