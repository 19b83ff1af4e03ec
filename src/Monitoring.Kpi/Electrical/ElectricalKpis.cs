namespace Monitoring.Kpi.Electrical;

/// <summary>Power factor and block demand from interval energies, as tariffs compute them.</summary>
public static class ElectricalKpis
{
    /// <summary>cos φ below this is penalised in common Moroccan MV tariffs (check the site's contract).</summary>
    public const double DefaultPowerFactorThreshold = 0.80;

    /// <summary>PF over a period from energies: kWh / sqrt(kWh² + kvarh²).</summary>
    public static double PowerFactor(double activeKwh, double reactiveKvarh)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(activeKwh);
        var apparent = Math.Sqrt((activeKwh * activeKwh) + (reactiveKvarh * reactiveKvarh));
        return apparent > 0.0 ? activeKwh / apparent : throw new ArgumentException("Power factor is undefined without energy.", nameof(activeKwh));
    }

    /// <summary>Mean demand of a block in kW: energy / duration (kWh in 15 min × 4).</summary>
    public static double BlockDemandKw(double energyKwh, TimeSpan block)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(block, TimeSpan.Zero);
        return energyKwh / block.TotalHours;
    }

    /// <summary>Maximum block demand over a period of consecutive equal blocks.</summary>
    public static double MaximumDemandKw(ReadOnlySpan<double> blockEnergiesKwh, TimeSpan block)
    {
        if (blockEnergiesKwh.IsEmpty)
        {
            throw new ArgumentException("No blocks to take a maximum demand from.", nameof(blockEnergiesKwh));
        }

        var maximum = double.NegativeInfinity;
        foreach (var e in blockEnergiesKwh)
        {
            maximum = Math.Max(maximum, e);
        }

        return BlockDemandKw(maximum, block);
    }
}
