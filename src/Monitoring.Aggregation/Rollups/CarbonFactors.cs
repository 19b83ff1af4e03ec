using Monitoring.Domain.Registry;

using KpiCarbon = Monitoring.Kpi.Carbon;

namespace Monitoring.Aggregation.Rollups;

/// <summary>
/// Emission and energy factors per canonical unit, from the registry, computed once through the KPI engine's
/// carbon helpers (<see cref="KpiCarbon.Scope1"/>, <see cref="KpiCarbon.Scope2"/>, <see cref="KpiCarbon.WaterEmissions"/>).
/// All three are linear in the quantity, so a factor per unit times the interval's consumption is exactly what
/// the helpers give for that consumption. Per-year factors are cached: a lookup allocates only the first time a
/// year is seen. Not thread-safe (one engine owns it).
/// </summary>
internal sealed class CarbonFactors
{
    private const double KwhPerGj = 1000.0 / 3.6;

    private readonly SiteRegistry _registry;
    private readonly KpiCarbon.GwpSet _gwp;
    private readonly Dictionary<int, YearFactors> _electricity = [];
    private readonly Dictionary<int, YearFactors> _water = [];

    public CarbonFactors(SiteRegistry registry)
    {
        _registry = registry;
        _gwp = registry.Carbon.Gwp == GwpSet.Ar6 ? KpiCarbon.GwpSet.Ar6 : KpiCarbon.GwpSet.Ar5;
    }

    /// <summary>Factors of electricity or water for a (local) year; zeros with year 0 for other carriers or when the registry has none.</summary>
    public YearFactors ForYear(Carrier carrier, int year)
    {
        var cache = carrier switch
        {
            Carrier.Electricity => _electricity,
            Carrier.Water => _water,
            _ => null,
        };
        if (cache is null)
        {
            return default;
        }

        if (!cache.TryGetValue(year, out var factors))
        {
            factors = carrier == Carrier.Electricity ? Electricity(year) : Water(year);
            cache.Add(year, factors);
        }

        return factors;
    }

    /// <summary>
    /// The factor of a carrier and kind for a year: that year's, else the latest earlier one (the registry's rule),
    /// else the earliest later one, so a baseline year older than the first published factor still gets a figure.
    /// The factor's year travels with every result.
    /// </summary>
    public static EmissionFactor? Find(SiteRegistry registry, Carrier carrier, EmissionFactorKind kind, int year) =>
        registry.FindEmissionFactor(carrier, kind, year)
        ?? registry.EmissionFactors.Where(f => f.Carrier == carrier && f.Kind == kind).MinBy(f => f.Year);

    /// <summary>Canonical unit of a carrier: kWh, m3; fuels by volume (Nm3, L) when the registry gives a density, else by mass (kg).</summary>
    public string CanonicalUnit(Carrier carrier) => carrier switch
    {
        Carrier.Electricity => "kWh",
        Carrier.Water => "m3",
        Carrier.NaturalGas => FuelOf(carrier)?.Density is null ? "kg" : "Nm3",
        Carrier.Gasoil or Carrier.FuelOil or Carrier.Lpg => FuelOf(carrier)?.Density is null ? "kg" : "L",
        _ => string.Empty,
    };

    /// <summary>Multiplier from a counter field's unit to the carrier's canonical unit; null when the field cannot be converted.</summary>
    public double? ToCanonical(Carrier carrier, string field)
    {
        var density = FuelOf(carrier)?.Density;
        return (carrier, field) switch
        {
            (Carrier.Electricity, "energy_import_kwh") => 1,
            (Carrier.Water, "volume_m3") => 1,
            (Carrier.NaturalGas, "gas_volume_nm3") => density is null ? null : 1,
            (_, "fuel_volume_l") when carrier.IsFuel() => density is null ? null : 1,
            (_, "volume_m3") when carrier.IsFuel() => density is null ? null : 1000,
            (_, "fuel_mass_kg") when carrier.IsFuel() => density is { } d ? 1 / d : 1,
            _ => null,
        };
    }

    /// <summary>Scope 1 of a fuel per canonical unit (IPCC 2006 Tier 1 with the registry's GWP set), and its final energy in kWh (net calorific value).</summary>
    public FuelFactors ForFuel(Carrier carrier)
    {
        if (FuelOf(carrier) is not { } properties)
        {
            return default;
        }

        var fuel = new KpiCarbon.Fuel(carrier.ToName(), properties.NcvGjPerTonne, properties.Co2KgPerTj, properties.Ch4KgPerTj, properties.N2oKgPerTj);
        var perUnit = properties.Density is { } density
            ? KpiCarbon.Scope1.FromVolume(1, density, fuel, _gwp)
            : KpiCarbon.Scope1.FromMass(0.001, fuel, _gwp);
        return new FuelFactors(perUnit.EnergyGj * KwhPerGj, perUnit.Co2eKg, properties.Year);
    }

    private FuelProperties? FuelOf(Carrier carrier)
    {
        foreach (var fuel in _registry.Fuels)
        {
            if (fuel.Carrier == carrier)
            {
                return fuel;
            }
        }

        return null;
    }

    private YearFactors Electricity(int year)
    {
        if (Find(_registry, Carrier.Electricity, EmissionFactorKind.Location, year) is not { } grid)
        {
            return default;
        }

        // Market-based: no contractual instruments are known to the registry, so everything is at the residual mix,
        // or at the grid factor where no residual mix is published (Morocco). Per kWh: 1 MWh → t = kg per kWh.
        var residual = Find(_registry, Carrier.Electricity, EmissionFactorKind.ResidualMix, year);
        var scope2 = KpiCarbon.Scope2.Compute(
            1,
            new KpiCarbon.EmissionFactor(grid.KgPerUnit, grid.Year, grid.Source),
            null,
            residual is null ? null : new KpiCarbon.EmissionFactor(residual.KgPerUnit, residual.Year, residual.Source));
        return new YearFactors(scope2.LocationBasedTonnes, scope2.MarketBasedTonnes, grid.Year);
    }

    private YearFactors Water(int year)
    {
        var supply = Find(_registry, Carrier.Water, EmissionFactorKind.Supply, year);
        var treatment = Find(_registry, Carrier.Water, EmissionFactorKind.Treatment, year);
        if (supply is null && treatment is null)
        {
            return default;
        }

        var factorYear = Math.Max(supply?.Year ?? 0, treatment?.Year ?? 0);
        var factors = new KpiCarbon.WaterEmissionFactors(supply?.KgPerUnit ?? 0, treatment?.KgPerUnit ?? 0, factorYear, supply?.Source ?? treatment!.Source);
        var perM3 = KpiCarbon.WaterEmissions.Co2eKg(1, factors);
        return new YearFactors(perM3, perM3, factorYear);
    }
}

/// <summary>kg CO2e per canonical unit, location- and market-based, and the year of the factor used.</summary>
internal readonly record struct YearFactors(double LocationKgPerUnit, double MarketKgPerUnit, int Year);

/// <summary>Final energy (kWh, NCV) and kg CO2e per canonical unit of a fuel, and the year of its data.</summary>
internal readonly record struct FuelFactors(double KwhPerUnit, double Co2eKgPerUnit, int Year);
