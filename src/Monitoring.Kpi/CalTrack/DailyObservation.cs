namespace Monitoring.Kpi.CalTrack;

/// <summary>One day with both usage and mean outdoor temperature (°F or °C as set in <see cref="CalTrackOptions.Unit"/>).</summary>
public readonly record struct DailyObservation(DateOnly Date, double Usage, double Temperature);

/// <summary>Temperature scale of the observations; balance points and degree days are reported in the same scale.</summary>
public enum TemperatureUnit
{
    Fahrenheit,
    Celsius,
}

/// <summary>Change-point model forms of CalTRACK 2.0, in candidate order.</summary>
public enum CalTrackModelType
{
    InterceptOnly,
    HddOnly,
    CddOnly,
    CddHdd,
}
