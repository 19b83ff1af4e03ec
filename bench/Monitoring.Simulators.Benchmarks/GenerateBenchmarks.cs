using BenchmarkDotNet.Attributes;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Benchmarks;

/// <summary>
/// <c>generate</c> for the Casablanca plant (17 devices): one month at 1-minute readings (about 760 000 lines)
/// into <see cref="Stream.Null"/>, model calibration and the run-up from the scenario start included.
/// </summary>
[MemoryDiagnoser]
public class GenerateBenchmarks
{
    private Scenario _scenario = null!;

    [GlobalSetup]
    public void Setup() => _scenario = Throughput.LoadCasa();

    [Benchmark]
    public long GenerateOneMonthAtOneMinute() =>
        Generator.Run(_scenario, new GenerateOptions(_scenario.LocalMidnight(new DateOnly(2023, 3, 1)), _scenario.LocalMidnight(new DateOnly(2023, 4, 1)), TimeSpan.FromMinutes(1)), Stream.Null).Lines;
}
