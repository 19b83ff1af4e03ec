using MathNet.Numerics.Distributions;
using Monitoring.Kpi.Statistics;

namespace Monitoring.Kpi.Tests;

public sealed class InferenceTests
{
    [Theory]
    [InlineData(0.5, 9)]
    [InlineData(2.1, 9)]
    [InlineData(4.0, 30)]
    public void Tail_p_values_agree_with_mathnet_cdfs_where_those_are_accurate(double statistic, int dof)
    {
        Approx.Relative(2 * (1 - StudentT.CDF(0, 1, dof, statistic)), Inference.TwoSidedTPValue(statistic, dof), 1e-10);
        Approx.Relative(1 - FisherSnedecor.CDF(2, dof, statistic), Inference.FisherUpperTail(statistic, 2, dof), 1e-10);
    }

    [Fact]
    public void Tail_p_values_stay_positive_where_one_minus_cdf_cancels_to_zero()
    {
        Assert.Equal(0.0, 1 - StudentT.CDF(0, 1, 9, 229.3116));
        Assert.InRange(Inference.TwoSidedTPValue(229.3116, 9), 1e-20, 1e-16);
    }

    [Fact]
    public void Autocorrelation_of_an_alternating_series_is_minus_one_and_needs_three_points()
    {
        Approx.Relative(-1, Inference.Lag1Autocorrelation([1, -1, 1, -1, 1, -1]), 1e-12);
        Assert.True(double.IsNaN(Inference.Lag1Autocorrelation([1, 2])));
        Approx.Relative(12 * 0.5 / 1.5, Inference.EffectiveSampleSize(12, 0.5), 1e-12);
    }
}
