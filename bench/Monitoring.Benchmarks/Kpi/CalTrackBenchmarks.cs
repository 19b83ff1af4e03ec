using BenchmarkDotNet.Attributes;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Benchmarks.Kpi;

/// <summary>
/// CalTRACK 2.0 daily grid search for one meter-year (365 days, cooling on: 2014 candidates). Target: &lt; 50 ms.
/// The data are a synthetic deterministic year with heating and cooling, so the result never depends on files.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class CalTrackBenchmarks
{
    private static readonly CalTrackOptions CalTrack10 = CalTrackOptions.Default with { MaximumSlopePValue = 0.1 };

    private DailyObservation[] _year = [];

    [GlobalSetup]
    public void Setup()
    {
        _year = SyntheticData.MeterYear(seed: 2024);
        var model = CalTrackDailyModel.Fit(_year);
        if (model.NCandidates != 2014 || model.ModelType != CalTrackModelType.CddHdd)
        {
            throw new InvalidOperationException($"The synthetic year should give a cdd_hdd model over 2014 candidates; got {model.ModelType} over {model.NCandidates}.");
        }
    }

    /// <summary>CalTRACK 2.0 (no slope test), as the <c>baseline fit</c> verb runs by default.</summary>
    [Benchmark(Baseline = true)]
    public double GridSearchOneMeterYear() => CalTrackDailyModel.Fit(_year).RSquaredAdj;

    /// <summary>With the CalTRACK 1.0 slope p-value test (one incomplete beta per slope of each candidate).</summary>
    [Benchmark]
    public double GridSearchOneMeterYearWithSlopeTest() => CalTrackDailyModel.Fit(_year, CalTrack10).RSquaredAdj;
}
