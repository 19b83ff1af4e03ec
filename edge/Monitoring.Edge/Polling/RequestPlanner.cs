using System.Collections.Immutable;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Polling;

/// <summary>A point inside a read block: its registers start <paramref name="Offset"/> registers into the block.</summary>
public sealed record PlannedPoint(ProfilePoint Point, int Offset);

/// <summary>One read request: a contiguous run of registers that covers one or more points.</summary>
/// <param name="Points">An immutable array, so that decoding loops over it without allocating an enumerator.</param>
public sealed record ReadBlock(ModbusFunction Table, ushort Address, ushort Count, ImmutableArray<PlannedPoint> Points)
{
    public override string ToString() =>
        $"FC{(int)Table:00} {Address}..{Address + Count - 1} ({Count} registers: {string.Join(", ", Points.Select(p => p.Point.Field))})";
}

/// <summary>
/// Coalesces the registers a device needs into as few reads as possible: points of one table, sorted by
/// address, share a read while the read stays within the register limit and bridges no gap wider than allowed.
/// </summary>
public static class RequestPlanner
{
    public static IReadOnlyList<ReadBlock> Plan(IEnumerable<ProfilePoint> points, int maxRegisters, int maxGap)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRegisters, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxGap);
        var blocks = new List<ReadBlock>();
        foreach (var table in points.GroupBy(p => p.Table).OrderBy(g => g.Key))
        {
            var current = new List<ProfilePoint>();
            int start = 0, end = 0; // end is exclusive
            foreach (var point in table.OrderBy(p => p.Address).ThenByDescending(p => p.RegisterCount))
            {
                var pointEnd = point.Address + point.RegisterCount;
                var fits = current.Count > 0
                    && point.Address - end <= maxGap
                    && Math.Max(end, pointEnd) - start <= maxRegisters;
                if (!fits && current.Count > 0)
                {
                    blocks.Add(Block(table.Key, start, end, current));
                    current = [];
                }

                if (current.Count == 0)
                {
                    start = point.Address;
                    end = pointEnd;
                }

                current.Add(point);
                end = Math.Max(end, pointEnd);
            }

            if (current.Count > 0)
            {
                blocks.Add(Block(table.Key, start, end, current));
            }
        }

        return blocks;
    }

    /// <summary>
    /// Splits a block a device refused with exception 2 (it has a hole in its map): first into gap-free runs,
    /// then, for a gap-free run, into one read per point. A single point cannot be split: returns it alone.
    /// </summary>
    public static IReadOnlyList<ReadBlock> Split(ReadBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var points = block.Points.Select(p => p.Point).ToList();
        var runs = Plan(points, ModbusLimits.MaxReadRegisters, maxGap: 0);
        return runs.Count > 1 ? runs : [.. points.Select(p => Block(p.Table, p.Address, p.Address + p.RegisterCount, [p]))];
    }

    private static ReadBlock Block(ModbusFunction table, int start, int end, List<ProfilePoint> points) =>
        new(table, (ushort)start, (ushort)(end - start), [.. points.Select(p => new PlannedPoint(p, p.Address - start))]);
}
