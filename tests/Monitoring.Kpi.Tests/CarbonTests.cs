using Monitoring.Kpi.Carbon;
using Monitoring.Kpi.Electrical;

namespace Monitoring.Kpi.Tests;

public sealed class CarbonTests
{
    [Fact]
    public void Gasoil_vector_scope_1_with_ar5()
    {
        var e = Scope1.FromVolume(1000, 0.845, Fuel.Gasoil, GwpSet.Ar5);

        Approx.Decimals(36.335, e.EnergyGj, 3);
        Approx.Decimals(2692.42, e.Co2Kg, 2);
        Approx.Decimals(0.1090, e.Ch4Kg, 4);
        Approx.Decimals(0.0218, e.N2OKg, 4);
        Approx.Decimals(2701.25, e.Co2eKg, 2);
        Assert.Equal("AR5", e.GwpSet);
    }

    [Fact]
    public void Ar6_and_fossil_methane_sets_change_only_the_non_co2_part()
    {
        var ar5 = Scope1.FromMass(0.845, Fuel.Gasoil, GwpSet.Ar5);
        var ar6 = Scope1.FromMass(0.845, Fuel.Gasoil, GwpSet.Ar6);
        var fossil = Scope1.FromMass(0.845, Fuel.Gasoil, GwpSet.Ar5FossilMethane);

        Approx.Relative(ar5.Co2Kg + (ar5.Ch4Kg * 29.8) + (ar5.N2OKg * 273), ar6.Co2eKg, 1e-12);
        Approx.Relative(ar5.Co2eKg + (ar5.Ch4Kg * 2), fossil.Co2eKg, 1e-12);
        Assert.Equal("AR6", ar6.GwpSet);
    }

    [Fact]
    public void Scope_2_reports_location_and_market_based()
    {
        var ppa = new ContractualInstrument(40, new EmissionFactor(0.0, 2024, "solar PPA"));
        var s = Scope2.Compute(100, Scope2.MoroccoAverageGeneration, [ppa]);

        Approx.Decimals(57.8, s.LocationBasedTonnes, 10);
        Approx.Decimals(60 * 0.578, s.MarketBasedTonnes, 10);
        Assert.Same(Scope2.MoroccoAverageGeneration, s.ResidualFactor);
        Assert.Throws<ArgumentException>(() => Scope2.Compute(30, Scope2.MoroccoAverageGeneration, [ppa]));
    }

    [Fact]
    public void Water_scope_3_uses_supply_plus_treatment()
    {
        Approx.Decimals(362.18, WaterEmissions.Co2eKg(1000, WaterEmissionFactors.Desnz2025), 6);
    }

    [Fact]
    public void Power_factor_from_energies_and_block_demand()
    {
        Approx.Decimals(0.800, ElectricalKpis.PowerFactor(1000, 750), 3);
        Assert.Equal(248, ElectricalKpis.MaximumDemandKw([60, 60, 62, 3], TimeSpan.FromMinutes(15)));
        Assert.Throws<ArgumentException>(() => ElectricalKpis.PowerFactor(0, 0));
    }
}
