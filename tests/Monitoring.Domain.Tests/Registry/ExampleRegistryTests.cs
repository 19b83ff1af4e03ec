using Monitoring.Domain.Registry;


namespace Monitoring.Domain.Tests.Registry;

/// <summary>The example registry shipped in config/ is what the demo, the simulators and the docs rely on.</summary>
public sealed class ExampleRegistryTests
{
    private static readonly string ConfigFolder = Path.Combine(AppContext.BaseDirectory, "config");

    private static SiteRegistry Load()
    {
        var result = SiteRegistryLoader.LoadDirectory(ConfigFolder);
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors));
        return result.Registry!;
    }

    [Fact]
    public void Both_plants_load_with_their_meters_lines_and_production()
    {
        var registry = Load();

        Assert.Equal(["casa-aero", "tanger-mach"], registry.Sites.Select(s => s.Id));
        var casa = registry.FindSite("casa-aero")!;
        Assert.Equal("aeronautics", casa.Ecosystem);
        Assert.Equal("Africa/Casablanca", casa.TimeZone.Id);
        Assert.Equal(1600, casa.ContractDemandKw);
        Assert.Equal(["machining", "surface-treatment", "assembly"], casa.Lines.Select(l => l.Id));
        Assert.Equal(new TemperatureSource("casa-weather", "temperature_c"), casa.Temperature);
        Assert.Equal(3, casa.ProductionCounters.Count);
        Assert.Equal("machine-manufacturing", registry.FindSite("tanger-mach")!.Ecosystem);
    }

    [Fact]
    public void Meters_carry_kind_unit_multiplier_and_rollover_from_the_vocabulary_and_overrides()
    {
        var registry = Load();
        var casa = registry.FindSite("casa-aero")!;
        var tanger = registry.FindSite("tanger-mach")!;

        var compressorEnergy = casa.FindMeter("compressors")!.FindField("energy_import_kwh")!;
        Assert.Equal(new MeterField("energy_import_kwh", FieldKind.Counter, "kWh", 1, 1_000_000), compressorEnergy);

        // CT ratio 800/5 applies to energy, power and current, not to voltage-like quantities.
        var fabrication = tanger.FindMeter("fabrication")!;
        Assert.Equal([160.0, 160.0, 160.0], fabrication.Fields.Select(f => f.Multiplier));
        Assert.Equal(1, tanger.FindMeter("main-incomer")!.FindField("pf")!.Multiplier);

        // The pulse weight is a field override on a meter without a meter-level multiplier.
        Assert.Equal(0.1, tanger.FindMeter("paint-oven-gas")!.FindField("gas_volume_nm3")!.Multiplier);

        // A meter on an asset belongs to the asset's line.
        Assert.Equal("machining", casa.FindMeter("cnc-line-1")!.LineId);
        Assert.Equal("surface-treatment", casa.FindMeter("water-process")!.LineId);
    }

    [Fact]
    public void Virtual_meters_keep_their_parsed_formula()
    {
        var casa = Load().FindSite("casa-aero")!;

        var unmetered = casa.FindMeter("elec-unmetered")!;

        Assert.True(unmetered.IsVirtual);
        Assert.Empty(unmetered.Fields);
        Assert.Equal(
            [new FormulaTerm(1, "main-incomer", false, null), new FormulaTerm(-1, null, true, null)],
            unmetered.Formula!.Terms);
        Assert.Equal(
            ["compressors", "cnc-line-1", "cnc-line-2", "furnace-aux", "chillers", "lighting-hvac"],
            casa.ChildrenOf("main-incomer").Where(m => !m.IsVirtual).Select(m => m.Id));
    }

    [Fact]
    public void Emission_factors_are_normalised_to_kg_per_kwh_and_m3_and_found_by_year()
    {
        var registry = Load();

        var grid = registry.FindEmissionFactor(Carrier.Electricity, EmissionFactorKind.Location, 2026)!;
        Assert.Equal(2024, grid.Year);
        Assert.Equal(0.578, grid.KgPerUnit, 12);
        Assert.Equal("CO2e", grid.Gas);
        Assert.Null(registry.FindEmissionFactor(Carrier.Electricity, EmissionFactorKind.Location, 2023));

        var margin = registry.FindEmissionFactor(Carrier.Electricity, EmissionFactorKind.CombinedMargin, 2025)!;
        Assert.Equal(("CO2", 0.547), (margin.Gas, margin.KgPerUnit));

        var supply = registry.FindEmissionFactor(Carrier.Water, EmissionFactorKind.Supply, 2025)!;
        var treatment = registry.FindEmissionFactor(Carrier.Water, EmissionFactorKind.Treatment, 2025)!;
        Assert.Equal(0.36218, supply.KgPerUnit + treatment.KgPerUnit, 10);

        var gasoil = Assert.Single(registry.Fuels, f => f.Carrier == Carrier.Gasoil);
        Assert.Equal((43.0, 74100.0, 3.0, 0.6, 0.845), (gasoil.NcvGjPerTonne, gasoil.Co2KgPerTj, gasoil.Ch4KgPerTj, gasoil.N2oKgPerTj, gasoil.Density));
        Assert.Equal(GwpSet.Ar5, registry.Carbon.Gwp);
    }

    [Fact]
    public void Programme_and_project_bank_are_complete()
    {
        var registry = Load();

        var programme = Assert.Single(registry.Programmes);
        Assert.Equal(["casa-aero", "tanger-mach"], programme.SiteIds);
        Assert.Equal((2023, 2030), (programme.BaselineYear, programme.TargetYear));
        Assert.Equal(new ProgrammeTargets(20, 45, 15), programme.Targets);

        var burners = registry.FindProject("casa-furnace-burners")!;
        Assert.Equal((1_200_000.0, 350_000.0, 8, 0.08), (burners.Capex, burners.ExpectedSavings.Cost, burners.LifetimeYears, burners.DiscountRate));
        Assert.Equal(0.25 * 150_000 + 0.3 * 200_000, burners.Risks.Sum(r => r.ExpectedLoss));
        Assert.Equal(new DateOnly(2025, 3, 1), registry.FindProject("casa-air-leaks")!.ImplementedOn);
        Assert.All(registry.Projects, p => Assert.All(p.MeterIds, m => Assert.NotNull(registry.FindSite(p.SiteId)!.FindMeter(m))));
    }
}
