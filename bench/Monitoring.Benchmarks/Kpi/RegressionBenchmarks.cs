using BenchmarkDotNet.Attributes;
using Monitoring.Kpi.Baselines;

namespace Monitoring.Benchmarks.Kpi;

/// <summary>
/// Monthly regression baselines of 1 000 meters (12 months, production and HDD each), as a nightly refit of a
/// large programme would run them. Target: &lt; 1 s for all 1 000.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class RegressionBenchmarks
{
    public const int Meters = 1000;

    private static readonly string[] Drivers = ["production", "hdd"];

    private BaselinePeriod[][] _meters = [];

    [GlobalSetup]
    public void Setup() => _meters = SyntheticData.MonthlyMeters(Meters, seed: 50006);

    /// <summary>One OLS fit (QR, coefficients with t and p, R², CV(RMSE), NMBE, ρ, F-test) per meter.</summary>
    [Benchmark(Baseline = true)]
    public double MonthlyRegressions1000Meters()
    {
        var sum = 0.0;
        foreach (var periods in _meters)
        {
            sum += LinearRegression.Fit(Drivers, periods).Statistics.AdjustedRSquared;
        }

        return sum;
    }

    /// <summary>Candidate selection per meter: the 3 driver subsets fitted and checked (ISO 50006 validity rules).</summary>
    [Benchmark]
    public double CandidateSelection1000Meters()
    {
        var sum = 0.0;
        foreach (var periods in _meters)
        {
            sum += CandidateSelection.SelectBest(Drivers, periods, ValidityCriteria.Default).Best?.Model?.Statistics.AdjustedRSquared ?? 0.0;
        }

        return sum;
    }
}
