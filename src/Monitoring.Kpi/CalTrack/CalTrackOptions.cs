namespace Monitoring.Kpi.CalTrack;

/// <summary>
/// Settings of the CalTRACK 2.0 daily method. Defaults are CalTRACK's: integer balance points 30…90 °F,
/// ≥ 10 days with degree days and ≥ 20 degree days per term, 90 % savings band.
/// </summary>
public sealed record CalTrackOptions
{
    public static CalTrackOptions Default { get; } = new();

    /// <summary>False for fuels that only heat (gas, heating oil): no cooling candidates (eemeter's <c>--no-cooling</c>).</summary>
    public bool FitCooling { get; init; } = true;

    /// <summary>
    /// Scale of <see cref="DailyObservation.Temperature"/>. In °C the same grid is used, converted from °F, and the
    /// minimum total degree days is scaled by 5/9, so a site gets the same model whichever unit its sensor reports.
    /// </summary>
    public TemperatureUnit Unit { get; init; } = TemperatureUnit.Fahrenheit;

    public int MinimumBalancePointF { get; init; } = 30;

    public int MaximumBalancePointF { get; init; } = 90;

    public int MinimumNonZeroDays { get; init; } = 10;

    /// <summary>Minimum Σ degree days of a term, in °F·day (converted for °C).</summary>
    public double MinimumTotalDegreeDaysF { get; init; } = 20.0;

    /// <summary>
    /// Largest p-value a degree-day slope may have. CalTRACK 2.0 (and eemeter's default) is 1, i.e. no test;
    /// 0.1 reproduces CalTRACK 1.0, which keeps weather-independent meters on the intercept-only model.
    /// </summary>
    public double MaximumSlopePValue { get; init; } = 1.0;

    /// <summary>Two-sided confidence level of the savings band.</summary>
    public double ConfidenceLevel { get; init; } = 0.90;

    /// <summary>Balance point grid in the observation unit, ascending.</summary>
    internal double[] BalancePoints()
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinimumBalancePointF, MaximumBalancePointF, nameof(MinimumBalancePointF));
        var grid = new double[MaximumBalancePointF - MinimumBalancePointF + 1];
        for (var i = 0; i < grid.Length; i++)
        {
            grid[i] = FromFahrenheitPoint(MinimumBalancePointF + i);
        }

        return grid;
    }

    internal double MinimumTotalDegreeDays => Unit == TemperatureUnit.Celsius ? MinimumTotalDegreeDaysF * 5.0 / 9.0 : MinimumTotalDegreeDaysF;

    private double FromFahrenheitPoint(int fahrenheit) => Unit == TemperatureUnit.Celsius ? (fahrenheit - 32) * 5.0 / 9.0 : fahrenheit;
}
