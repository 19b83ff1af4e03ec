using Monitoring.Edge.Polling;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Tests;

public sealed class RequestPlannerTests
{
    private static ProfilePoint Point(string field, ushort address, ModbusDataType type = ModbusDataType.Float32, ModbusFunction table = ModbusFunction.ReadInputRegisters) =>
        new(field, table, address, type, RegisterOrder.ABCD, 1, 0, "1", 1, PointEncoding.Plain, "fast", true);

    private static string Describe(IEnumerable<ReadBlock> blocks) =>
        string.Join(" | ", blocks.Select(b => $"{(int)b.Table}:{b.Address}+{b.Count}[{string.Join(',', b.Points.Select(p => $"{p.Point.Field}@{p.Offset}"))}]"));

    [Fact]
    public void Contiguous_and_near_points_share_one_read_far_ones_do_not()
    {
        ProfilePoint[] points = [Point("c", 0x34), Point("a", 0), Point("b", 6), Point("d", 0x48)];

        Assert.Equal("4:0+8[a@0,b@6] | 4:52+22[c@0,d@20]", Describe(RequestPlanner.Plan(points, maxRegisters: 125, maxGap: 18)));
        Assert.Equal("4:0+8[a@0,b@6] | 4:52+2[c@0] | 4:72+2[d@0]", Describe(RequestPlanner.Plan(points, maxRegisters: 125, maxGap: 17)));
    }

    [Fact]
    public void Tables_are_never_mixed_and_the_register_limit_holds()
    {
        ProfilePoint[] points = [Point("h", 0, table: ModbusFunction.ReadHoldingRegisters), Point("i1", 0), Point("i2", 100), Point("i3", 124)];

        Assert.Equal("3:0+2[h@0] | 4:0+102[i1@0,i2@100] | 4:124+2[i3@0]", Describe(RequestPlanner.Plan(points, maxRegisters: 125, maxGap: 100)));
    }

    [Fact]
    public void Overlapping_points_are_read_once()
    {
        ProfilePoint[] points = [Point("whole", 10, ModbusDataType.Int64), Point("low", 12, ModbusDataType.UInt32)];

        Assert.Equal("4:10+4[whole@0,low@2]", Describe(RequestPlanner.Plan(points, 125, 0)));
    }

    [Fact]
    public void Split_goes_to_gap_free_runs_then_to_single_points()
    {
        var block = RequestPlanner.Plan([Point("a", 0), Point("b", 2), Point("c", 10)], 125, 16).Single();

        var runs = RequestPlanner.Split(block);
        var singles = RequestPlanner.Split(runs[0]);

        Assert.Equal("4:0+4[a@0,b@2] | 4:10+2[c@0]", Describe(runs));
        Assert.Equal("4:0+2[a@0] | 4:2+2[b@0]", Describe(singles));
        Assert.Single(RequestPlanner.Split(singles[0]));
    }
}
