using Monitoring.Kpi.Programmes;

namespace Monitoring.Kpi.Tests;

public sealed class ProgrammeTests
{
    private static readonly LinearTrajectory Trajectory = new(Baseline: 10_000, BaselineYear: 2019, Reduction: 0.45, TargetYear: 2030);

    [Fact]
    public void Trajectory_vector()
    {
        Approx.Decimals(10_000, Trajectory.Target(2019), 4);
        Approx.Decimals(7954.5455, Trajectory.Target(2024), 4);
        Approx.Decimals(5500, Trajectory.Target(2030), 4);
        Approx.Decimals(-5.2898, Trajectory.EquivalentAnnualRate * 100, 4);
        Approx.Decimals(8000 - 7954.5455, Trajectory.Gap(2024, 8000), 4);
    }

    [Fact]
    public void Reduction_vs_baseline_and_renewable_share()
    {
        Assert.Equal(new ReductionVsBaseline(1200, 0.12), ProgrammeKpis.Reduction(10_000, 8800));
        Assert.Equal(0.25, ProgrammeKpis.RenewableShare(250, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProgrammeKpis.RenewableShare(2, 1));
    }
}
