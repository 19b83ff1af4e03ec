namespace Monitoring.Kpi.Water;

/// <summary>Site water balance: how much of the main meter's volume the sub-meters do not account for.</summary>
public static class WaterBalance
{
    /// <summary>
    /// (main − Σ sub-meters) / main as a fraction. Positive = losses or unmetered uses; negative = sub-meters read
    /// more than the main, a metering fault. Water intensity is <see cref="Intensity.Ratio"/> (m³ per unit).
    /// </summary>
    public static double UnaccountedFraction(double mainVolume, IEnumerable<double> subMeterVolumes)
    {
        ArgumentNullException.ThrowIfNull(subMeterVolumes);
        if (!(mainVolume > 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(mainVolume), mainVolume, "The main meter volume must be positive.");
        }

        return (mainVolume - subMeterVolumes.Sum()) / mainVolume;
    }
}
