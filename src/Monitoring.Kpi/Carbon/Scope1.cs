namespace Monitoring.Kpi.Carbon;

/// <summary>Scope 1 combustion emissions; <see cref="Co2eKg"/> = CO2 + CH4·GWP + N2O·GWP of <see cref="GwpSet"/>.</summary>
public sealed record CombustionEmissions(double EnergyGj, double Co2Kg, double Ch4Kg, double N2OKg, double Co2eKg, string GwpSet);

/// <summary>IPCC 2006 Tier 1: emissions = mass × NCV × emission factor.</summary>
public static class Scope1
{
    /// <summary>Fuel metered by volume (litres, Nm³) with its density in kg per the same volume unit (site configuration).</summary>
    public static CombustionEmissions FromVolume(double volume, double densityKgPerUnit, Fuel fuel, GwpSet gwp)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(densityKgPerUnit);
        return FromMass(volume * densityKgPerUnit / 1000.0, fuel, gwp);
    }

    public static CombustionEmissions FromMass(double tonnes, Fuel fuel, GwpSet gwp)
    {
        ArgumentNullException.ThrowIfNull(fuel);
        ArgumentNullException.ThrowIfNull(gwp);
        ArgumentOutOfRangeException.ThrowIfNegative(tonnes);
        var energyGj = tonnes * fuel.NcvGjPerTonne;
        var energyTj = energyGj / 1000.0;
        var co2 = energyTj * fuel.Co2KgPerTj;
        var ch4 = energyTj * fuel.Ch4KgPerTj;
        var n2o = energyTj * fuel.N2OKgPerTj;
        return new CombustionEmissions(energyGj, co2, ch4, n2o, co2 + (ch4 * gwp.Ch4) + (n2o * gwp.N2O), gwp.Name);
    }
}
