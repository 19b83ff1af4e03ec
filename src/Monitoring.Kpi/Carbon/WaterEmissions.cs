namespace Monitoring.Kpi.Carbon;

/// <summary>Scope 3 factors of mains water in kg CO2e/m³: supply and wastewater treatment.</summary>
public sealed record WaterEmissionFactors(double SupplyKgPerM3, double TreatmentKgPerM3, int Year, string Source)
{
    /// <summary>UK DESNZ 2025, the only widely cited set.</summary>
    public static WaterEmissionFactors Desnz2025 { get; } = new(0.19130, 0.17088, 2025, "UK DESNZ conversion factors 2025");

    public double TotalKgPerM3 => SupplyKgPerM3 + TreatmentKgPerM3;
}

/// <summary>Scope 3 emissions of water use.</summary>
public static class WaterEmissions
{
    /// <summary>kg CO2e of <paramref name="cubicMetres"/> supplied and treated.</summary>
    public static double Co2eKg(double cubicMetres, WaterEmissionFactors factors)
    {
        ArgumentNullException.ThrowIfNull(factors);
        ArgumentOutOfRangeException.ThrowIfNegative(cubicMetres);
        return cubicMetres * factors.TotalKgPerM3;
    }
}
