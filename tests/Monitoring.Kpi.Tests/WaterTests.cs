using Monitoring.Kpi.Water;

namespace Monitoring.Kpi.Tests;

public sealed class WaterTests
{
    [Fact]
    public void Night_flow_vector_raises_an_alert_and_estimates_the_daily_leak()
    {
        var assessment = LeakDetection.NightFlow(0.35, new NightFlowBaseline(Mnf0: 0.05, Sigma0: 0.02));

        Assert.True(assessment.IsAlert);
        Approx.Decimals(0.11, assessment.Threshold, 10);
        Approx.Decimals(7.2, assessment.EstimatedLeakPerDay, 10);
    }

    [Fact]
    public void Night_flow_within_three_sigma_is_quiet()
    {
        var assessment = LeakDetection.NightFlow(0.10, new NightFlowBaseline(0.05, 0.02));

        Assert.False(assessment.IsAlert);
        Assert.Equal(0.0, assessment.EstimatedLeakPerDay);
    }

    [Fact]
    public void Minimum_night_flow_uses_only_the_configured_window_including_past_midnight()
    {
        var hourly = Enumerable.Range(0, 24).Select(h => h is >= 1 and < 5 ? 0.4 : 2.0).ToArray();
        hourly[23] = 0.3;
        hourly[12] = 0.0;

        Assert.Equal(0.4, LeakDetection.MinimumNightFlow(hourly, NightWindow.Default));
        Assert.Equal(0.3, LeakDetection.MinimumNightFlow(hourly, new NightWindow(23, 5)));
        Assert.Throws<ArgumentException>(() => LeakDetection.MinimumNightFlow(hourly.AsSpan(0, 23), NightWindow.Default));
    }

    [Fact]
    public void Night_flow_baseline_from_leak_free_nights()
    {
        var baseline = NightFlowBaseline.FromHistory([0.03, 0.05, 0.07]);

        Approx.Decimals(0.05, baseline.Mnf0, 12);
        Approx.Decimals(0.02, baseline.Sigma0, 12);
        Approx.Decimals(0.11, baseline.AlertThreshold, 12);
    }

    [Fact]
    public void A_day_without_a_zero_hour_is_suspected_continuous_flow_at_the_minimum_hourly_volume()
    {
        var hourly = Enumerable.Range(0, 24).Select(h => 0.25 + h).ToArray();

        Assert.Equal(new ContinuousFlowAssessment(true, 0.25), LeakDetection.ContinuousFlow(hourly));
        hourly[3] = 0;
        Assert.Equal(new ContinuousFlowAssessment(false, 0), LeakDetection.ContinuousFlow(hourly));
    }

    [Fact]
    public void Unaccounted_water_and_intensity()
    {
        Approx.Decimals(0.15, WaterBalance.UnaccountedFraction(1000, [500, 250, 100]), 12);
        Assert.True(WaterBalance.UnaccountedFraction(1000, [800, 300]) < 0);
        Approx.Decimals(2.5, Intensity.Ratio([600, 400], [300, 100]), 12);
    }
}
