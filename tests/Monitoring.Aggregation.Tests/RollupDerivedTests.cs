using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.RollupRegistries;
using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>CO2e, power factor, demand and intensities: the methods.md vectors through the whole pipeline.</summary>
public sealed class RollupDerivedTests
{
    private const IntervalResolution Quarter = IntervalResolution.FifteenMinutes;

    /// <summary>Reads a counter at the start and end of one quarter hour.</summary>
    private static void Quarterly(RollupHarness h, string site, string meter, string field, string startUtc, double amount, double from = 0)
    {
        h.Read(site, meter, field, Utc(startUtc), from);
        h.Read(site, meter, field, Utc(startUtc).AddMinutes(15), from + amount);
    }

    [Fact]
    public void Gasoil_1000_litres_at_0_845_kg_per_litre_is_2701_25_kg_co2e_with_ar5()
    {
        var h = new RollupHarness(RollupHarness.Example());
        Quarterly(h, "tanger-mach", "genset-fuel", "fuel_volume_l", "2024-06-10T08:00:00Z", 1000);
        h.Close();
        var meter = h.At(h.Node(RollupLevel.Meter, "genset-fuel", Carrier.Gasoil, "tanger-mach"), Quarter, "2024-06-10T08:00:00Z");
        Assert.Equal(1000, meter.Consumption);
        Assert.Equal(2701.25, meter.Co2eKg, 2);
        Assert.Equal(meter.Co2eKg, meter.Co2eMarketKg);
        Assert.Equal(36.335 * 1000 / 3.6, meter.EnergyKwh, 6);   // 36.335 GJ (NCV)
        Assert.Equal(2006, meter.FactorYear);
        var site = h.At(h.Node(RollupLevel.Site, "tanger-mach", Carrier.Gasoil, "tanger-mach"), Quarter, "2024-06-10T08:00:00Z");
        Assert.Equal(2701.25, site.Co2eKg, 2);
        var all = h.At(h.Node(RollupLevel.Site, "tanger-mach", null, "tanger-mach"), Quarter, "2024-06-10T08:00:00Z");
        Assert.Equal(2701.25, all.Co2eKg, 2);
        Assert.Equal(meter.EnergyKwh, all.Consumption, 9);
    }

    [Fact]
    public void Natural_gas_gets_energy_through_density_and_ncv()
    {
        var h = new RollupHarness(RollupHarness.Example());
        Quarterly(h, "casa-aero", "gas-main", "gas_volume_nm3", "2024-06-10T08:00:00Z", 100, 5000);
        h.Close();
        var site = h.At(h.Node(RollupLevel.Site, "casa-aero", Carrier.NaturalGas, "casa-aero"), Quarter, "2024-06-10T08:00:00Z");
        Assert.Equal(100, site.Consumption, 9);
        Assert.Equal(1040, site.EnergyKwh, 6);          // 0.78 kg/Nm³ × 48 GJ/t = 37.44 MJ/Nm³ = 10.4 kWh/Nm³
        Assert.Equal(210.242448, site.Co2eKg, 6);       // 3.744 GJ: CO2 210.0384 + CH4 0.003744 × 28 + N2O 0.0003744 × 265
    }

    [Theory]
    [InlineData("2024-06-10T08:00:00Z", 578, 2024)]
    [InlineData("2025-03-01T08:00:00Z", 578, 2024)]   // no 2025 factor: the latest earlier
    [InlineData("2023-03-01T08:00:00Z", 578, 2024)]   // before the first factor: the earliest one (baseline years)
    public void Electricity_uses_the_morocco_grid_factor_of_the_interval_year(string quarter, double kg, int year)
    {
        var h = new RollupHarness(RollupHarness.Example());
        Quarterly(h, "casa-aero", "main-incomer", "energy_import_kwh", quarter, 1000);
        h.Close();
        foreach (var node in new[] { h.Node(RollupLevel.Meter, "main-incomer", Carrier.Electricity, "casa-aero"), h.Node(RollupLevel.Site, "casa-aero", Carrier.Electricity, "casa-aero") })
        {
            var record = h.At(node, Quarter, quarter);
            Assert.Equal(kg, record.Co2eKg, 9);
            Assert.Equal(kg, record.Co2eMarketKg, 9);   // no residual mix in Morocco: market-based = grid
            Assert.Equal(year, record.FactorYear);
        }
    }

    [Theory]
    [InlineData("2023-06-10T08:00:00Z", 0.6, 0.7, 2022)]
    [InlineData("2024-12-31T22:45:00Z", 0.578, 0.7, 2024)]
    [InlineData("2024-12-31T23:00:00Z", 0.5, 0.7, 2025)]   // 00:00 on 1 January local time (UTC+1): next year's factor
    public void Factors_are_picked_by_local_year_and_market_based_uses_the_residual_mix(string quarter, double location, double market, int year)
    {
        var registry = Registry(
            [Meter("m1", Carrier.Electricity, fields: Counter("energy_import_kwh", "kWh"))],
            factors:
            [
                Factor(Carrier.Electricity, EmissionFactorKind.Location, 2022, 0.6),
                Factor(Carrier.Electricity, EmissionFactorKind.Location, 2024, 0.578),
                Factor(Carrier.Electricity, EmissionFactorKind.Location, 2025, 0.5),
                Factor(Carrier.Electricity, EmissionFactorKind.ResidualMix, 2024, 0.7),
            ]);
        var h = new RollupHarness(registry);
        Quarterly(h, "site-a", "m1", "energy_import_kwh", quarter, 1000);
        h.Close();
        var record = h.At(h.Node(RollupLevel.Meter, "m1", Carrier.Electricity), Quarter, quarter);
        Assert.Equal(1000 * location, record.Co2eKg, 9);
        Assert.Equal(1000 * market, record.Co2eMarketKg, 9);
        Assert.Equal(year, record.FactorYear);
    }

    [Fact]
    public void Water_carries_supply_and_treatment_factors()
    {
        var h = new RollupHarness(RollupHarness.Example());
        Quarterly(h, "casa-aero", "water-main", "volume_m3", "2025-06-10T08:00:00Z", 100, 1234);
        h.Close();
        var site = h.At(h.Node(RollupLevel.Site, "casa-aero", Carrier.Water, "casa-aero"), Quarter, "2025-06-10T08:00:00Z");
        Assert.Equal(100 * (0.19130 + 0.17088), site.Co2eKg, 9);
        Assert.Equal(0, site.EnergyKwh);
        Assert.Equal(2025, site.FactorYear);
    }

    [Fact]
    public void Power_factor_over_a_period_comes_from_the_energy_registers()
    {
        var h = new RollupHarness(RollupHarness.Example());
        var start = Utc("2024-06-10T08:00:00Z");
        for (var q = 0; q <= 4; q++)
        {
            h.Read("casa-aero", "main-incomer", "energy_import_kwh", start.AddMinutes(15 * q), 250 * q);
            h.Read("casa-aero", "main-incomer", "reactive_energy_kvarh", start.AddMinutes(15 * q), 187.5 * q);
        }

        h.Close();
        foreach (var node in new[] { h.Node(RollupLevel.Meter, "main-incomer", Carrier.Electricity, "casa-aero"), h.Node(RollupLevel.Site, "casa-aero", Carrier.Electricity, "casa-aero") })
        {
            var hour = h.At(node, IntervalResolution.Hour, "2024-06-10T08:00:00Z");
            Assert.Equal(1000, hour.Consumption, 9);
            Assert.Equal(750, hour.ReactiveKvarh, 9);
            Assert.Equal(0.800, hour.PowerFactor, 9);
        }

        Assert.False(h.Node(RollupLevel.Line, "machining", Carrier.Electricity, "casa-aero").HasReactiveEnergy);
    }

    [Fact]
    public void Node_demand_is_four_times_the_largest_quarter_of_the_node_not_the_sum_of_meter_peaks()
    {
        var h = new RollupHarness(RollupHarness.Example());
        var start = Utc("2024-06-10T08:00:00Z");
        double[] cnc1 = [10, 30, 20, 0];
        double[] cnc2 = [40, 5, 20, 0];
        double r1 = 0, r2 = 0;
        h.Read("casa-aero", "cnc-line-1", "energy_import_kwh", start, 0);
        h.Read("casa-aero", "cnc-line-2", "energy_import_kwh", start, 0);
        for (var q = 0; q < 4; q++)
        {
            h.Read("casa-aero", "cnc-line-1", "energy_import_kwh", start.AddMinutes(15 * (q + 1)), r1 += cnc1[q]);
            h.Read("casa-aero", "cnc-line-2", "energy_import_kwh", start.AddMinutes(15 * (q + 1)), r2 += cnc2[q]);
        }

        h.Close();
        var line = h.Node(RollupLevel.Line, "machining", Carrier.Electricity, "casa-aero");
        Assert.Equal([200, 140, 160, 0], h.Merged(line, Quarter).Values.Select(r => r.PeakDemand));   // block demand = kWh × 4
        Assert.Equal(200, h.At(line, IntervalResolution.Hour, "2024-06-10T08:00:00Z").PeakDemand);   // 4 × 50, not 4 × (30 + 40)
        Assert.Equal(200, h.Merged(line, IntervalResolution.Day).Values.Single().PeakDemand);
        Assert.Equal(200, h.Merged(line, IntervalResolution.Month).Values.Single().PeakDemand);
        // Meters: the aggregator's own peak quarter, reused.
        var meter = h.At(h.Node(RollupLevel.Meter, "cnc-line-1", Carrier.Electricity, "casa-aero"), IntervalResolution.Hour, "2024-06-10T08:00:00Z");
        Assert.Equal(120, meter.PeakDemand);
        var asset = h.At(h.Node(RollupLevel.Asset, "cnc-cell-2", Carrier.Electricity, "casa-aero"), IntervalResolution.Hour, "2024-06-10T08:00:00Z");
        Assert.Equal(160, asset.PeakDemand);
    }

    [Fact]
    public void Intensities_divide_line_and_site_consumption_by_the_production_counted()
    {
        var registry = Registry(
            [
                Meter("m1", Carrier.Electricity, line: "line-1", fields: Counter("energy_import_kwh", "kWh")),
                Meter("m2", Carrier.Electricity, line: "line-1", fields: Counter("energy_import_kwh", "kWh")),
                Meter("m3", Carrier.Electricity, line: "line-2", fields: Counter("energy_import_kwh", "kWh")),
                Meter("w1", Carrier.Water, line: "line-1", fields: Counter("volume_m3", "m3")),
            ],
            counters: [new ProductionCounter("p1", "Parts", "line-1", "units", "parts", 1, null)],
            factors:
            [
                Factor(Carrier.Electricity, EmissionFactorKind.Location, 2024, 0.5),
                Factor(Carrier.Water, EmissionFactorKind.Supply, 2024, 0.2),
                Factor(Carrier.Water, EmissionFactorKind.Treatment, 2024, 0.1),
            ]);
        var h = new RollupHarness(registry);
        var start = Utc("2024-06-10T08:00:00Z");
        for (var q = 0; q <= 4; q++)
        {
            var t = start.AddMinutes(15 * q);
            h.Read("site-a", "m1", "energy_import_kwh", t, 15 * q);
            h.Read("site-a", "m2", "energy_import_kwh", t, 10 * q);
            h.Read("site-a", "m3", "energy_import_kwh", t, 100 * q);
            h.Read("site-a", "w1", "volume_m3", t, 1.25 * q);
            h.Read("site-a", "p1", "units", t, 12.5 * q);
        }

        h.Close();
        IntensityInterval Hour(RollupLevel level, string id, Carrier? carrier) => h.Sink.Intensities.Single(i =>
            i.Resolution == IntervalResolution.Hour && i.Node.Level == level && i.Node.Id == id && i.Node.Carrier == carrier);

        var electricity = Hour(RollupLevel.Line, "line-1", Carrier.Electricity);
        Assert.Equal((100, 50), (electricity.Consumption, electricity.Output));
        Assert.Equal(2, electricity.ConsumptionPerUnit, 9);          // kWh/part
        Assert.Equal(1, electricity.Co2eKgPerUnit, 9);               // 50 kg / 50 parts
        Assert.Equal(0.1, Hour(RollupLevel.Line, "line-1", Carrier.Water).ConsumptionPerUnit, 9);   // m³/part
        var all = Hour(RollupLevel.Line, "line-1", null);
        Assert.Equal(2, all.EnergyKwhPerUnit, 9);
        Assert.Equal((50 + 1.5) / 50, all.Co2eKgPerUnit, 9);
        // The site holds line-2 as well: 500 kWh per 50 parts of line-1's counter.
        Assert.Equal(10, Hour(RollupLevel.Site, "site-a", Carrier.Electricity).ConsumptionPerUnit, 9);
        Assert.DoesNotContain(h.Sink.Intensities, i => i.Node.Id == "line-2");
    }
}
