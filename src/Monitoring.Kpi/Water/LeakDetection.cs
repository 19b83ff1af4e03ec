namespace Monitoring.Kpi.Water;

/// <summary>
/// The site's non-production night window in local hours, [StartHour, EndHour), wrapping past midnight when
/// StartHour &gt; EndHour (e.g. 23 → 5 covers 23:00–05:00).
/// </summary>
public sealed record NightWindow(int StartHour, int EndHour)
{
    public static NightWindow Default { get; } = new(1, 5);

    public bool Contains(int hour) => StartHour <= EndHour ? hour >= StartHour && hour < EndHour : hour >= StartHour || hour < EndHour;
}

/// <summary>Baseline minimum night flow MNF0 (m³/h) and its spread σ0, with the alert multiplier k (default 3).</summary>
public sealed record NightFlowBaseline(double Mnf0, double Sigma0, double SigmaMultiplier = 3.0)
{
    public double AlertThreshold => Mnf0 + (SigmaMultiplier * Sigma0);

    /// <summary>MNF0 and σ0 as mean and sample standard deviation of leak-free nights' minimum flows.</summary>
    public static NightFlowBaseline FromHistory(IReadOnlyCollection<double> nightlyMinima, double sigmaMultiplier = 3.0)
    {
        ArgumentNullException.ThrowIfNull(nightlyMinima);
        if (nightlyMinima.Count < 2)
        {
            throw new ArgumentException("At least two leak-free nights are needed to estimate MNF0 and σ0.", nameof(nightlyMinima));
        }

        var mean = nightlyMinima.Average();
        var variance = nightlyMinima.Sum(v => (v - mean) * (v - mean)) / (nightlyMinima.Count - 1);
        return new NightFlowBaseline(mean, Math.Sqrt(variance), sigmaMultiplier);
    }
}

/// <summary>Night-flow test result; the leak estimate assumes the excess flow runs all day.</summary>
public sealed record NightFlowAssessment(double MinimumNightFlow, double Threshold, bool IsAlert, double EstimatedLeakPerDay);

/// <summary>Continuous-flow test result over one day of hourly volumes.</summary>
/// <param name="ContinuousFlowRate">Minimum hourly volume (m³/h), the suspected leak rate; 0 when some hour had no flow.</param>
public sealed record ContinuousFlowAssessment(bool IsSuspected, double ContinuousFlowRate);

/// <summary>Water leak screening from hourly volumes (the two tests utilities use on district meters).</summary>
public static class LeakDetection
{
    /// <summary>
    /// No-zero-hour rule: a site that never stops drawing water for a whole day has a continuous flow somewhere;
    /// its rate is the minimum hourly volume.
    /// </summary>
    public static ContinuousFlowAssessment ContinuousFlow(ReadOnlySpan<double> hourlyVolumes)
    {
        if (hourlyVolumes.Length != 24)
        {
            throw new ArgumentException($"The continuous-flow rule needs the 24 hourly volumes of one day; got {hourlyVolumes.Length}.", nameof(hourlyVolumes));
        }

        var minimum = double.PositiveInfinity;
        foreach (var v in hourlyVolumes)
        {
            minimum = Math.Min(minimum, v);
        }

        return new ContinuousFlowAssessment(minimum > 0.0, Math.Max(minimum, 0.0));
    }

    /// <summary>Minimum hourly volume (m³/h) over the hours of <paramref name="window"/>; index = local hour 0…23.</summary>
    public static double MinimumNightFlow(ReadOnlySpan<double> hourlyVolumes, NightWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (hourlyVolumes.Length != 24)
        {
            throw new ArgumentException($"Expected the 24 hourly volumes of one day; got {hourlyVolumes.Length}.", nameof(hourlyVolumes));
        }

        var minimum = double.PositiveInfinity;
        for (var hour = 0; hour < 24; hour++)
        {
            if (window.Contains(hour))
            {
                minimum = Math.Min(minimum, hourlyVolumes[hour]);
            }
        }

        return double.IsPositiveInfinity(minimum) ? throw new ArgumentException("The night window contains no hour.", nameof(window)) : minimum;
    }

    /// <summary>Alert when MNF &gt; MNF0 + k·σ0; the leak is then about (MNF − MNF0) × 24 m³ per day.</summary>
    public static NightFlowAssessment NightFlow(double minimumNightFlow, NightFlowBaseline baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var alert = minimumNightFlow > baseline.AlertThreshold;
        return new NightFlowAssessment(minimumNightFlow, baseline.AlertThreshold, alert, alert ? (minimumNightFlow - baseline.Mnf0) * 24.0 : 0.0);
    }
}
