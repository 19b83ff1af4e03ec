using BenchmarkDotNet.Attributes;
using Monitoring.Edge.Polling;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Benchmarks;

/// <summary>The per-cycle CPU work of an agent with 1 000 devices (all seven profiles in turn): planning and decoding.</summary>
[MemoryDiagnoser]
public class DecodeAndPlanBenchmarks
{
    private const int Devices = 1000;

    private ProfilePoint[][] _points = [];
    private (ReadBlock Block, ushort[] Registers)[][] _answers = [];

    [GlobalSetup]
    public void Setup()
    {
        var profiles = BuiltInProfiles.All.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToArray();
        _points = [.. Enumerable.Range(0, Devices).Select(i => profiles[i % profiles.Length].Points.ToArray())];
        _answers = [.. _points.Select((points, i) => RequestPlanner.Plan(points, ModbusLimits.MaxReadRegisters, 16)
            .Select(block => (block, Answer(block, i)))
            .ToArray())];
    }

    /// <summary>Request plans for every device (done once at start and after a split; cheap either way).</summary>
    [Benchmark]
    public int PlanThousandDevices()
    {
        var requests = 0;
        foreach (var points in _points)
        {
            requests += RequestPlanner.Plan(points, ModbusLimits.MaxReadRegisters, 16).Count;
        }

        return requests;
    }

    /// <summary>Decoding every point of every device from its answered registers: one poll cycle's CPU work.</summary>
    [Benchmark]
    public double DecodeThousandDevices()
    {
        var sum = 0.0;
        foreach (var device in _answers)
        {
            foreach (var (block, registers) in device)
            {
                foreach (var planned in block.Points)
                {
                    if (planned.Point.TryDecode(registers.AsSpan(planned.Offset, planned.Point.RegisterCount), out var value))
                    {
                        sum += value;
                    }
                }
            }
        }

        return sum;
    }

    private static ushort[] Answer(ReadBlock block, int meter)
    {
        var registers = new ushort[block.Count];
        foreach (var planned in block.Points)
        {
            SimulatedDevices.Registers(planned.Point, SimulatedDevices.PlausibleValue(planned.Point.Field, meter)).CopyTo(registers.AsSpan(planned.Offset));
        }

        return registers;
    }
}
