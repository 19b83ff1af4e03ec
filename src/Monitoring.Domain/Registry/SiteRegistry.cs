using System.Collections.Frozen;


namespace Monitoring.Domain.Registry;

/// <summary>
/// Everything the system knows about the plants it monitors: sites and their meters, emission factors,
/// programmes and the project bank. Loaded from YAML by <see cref="SiteRegistryLoader"/>; immutable.
/// </summary>
public sealed class SiteRegistry
{
    private readonly FrozenDictionary<string, Site> _sites;
    private readonly FrozenDictionary<string, Programme> _programmes;
    private readonly FrozenDictionary<string, Project> _projects;

    public SiteRegistry(
        IReadOnlyList<Site> sites,
        CarbonSettings carbon,
        IReadOnlyList<EmissionFactor> emissionFactors,
        IReadOnlyList<FuelProperties> fuels,
        IReadOnlyList<Programme> programmes,
        IReadOnlyList<Project> projects)
    {
        Sites = sites;
        Carbon = carbon;
        EmissionFactors = emissionFactors;
        Fuels = fuels;
        Programmes = programmes;
        Projects = projects;
        _sites = sites.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        _programmes = programmes.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
        _projects = projects.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<Site> Sites { get; }
    public CarbonSettings Carbon { get; }
    public IReadOnlyList<EmissionFactor> EmissionFactors { get; }
    public IReadOnlyList<FuelProperties> Fuels { get; }
    public IReadOnlyList<Programme> Programmes { get; }
    public IReadOnlyList<Project> Projects { get; }

    public Site? FindSite(string id) => _sites.GetValueOrDefault(id);
    public Programme? FindProgramme(string id) => _programmes.GetValueOrDefault(id);
    public Project? FindProject(string id) => _projects.GetValueOrDefault(id);

    /// <summary>The factor of a carrier and kind for a year: that year's, else the latest earlier one.</summary>
    public EmissionFactor? FindEmissionFactor(Carrier carrier, EmissionFactorKind kind, int year) =>
        EmissionFactors
            .Where(f => f.Carrier == carrier && f.Kind == kind && f.Year <= year)
            .MaxBy(f => f.Year);
}

/// <summary>A plant. Days and months are local to its time zone.</summary>
public sealed class Site
{
    private readonly FrozenDictionary<string, Meter> _meters;
    private readonly FrozenDictionary<string, ProductionCounter> _counters;

    public Site(
        string id,
        string name,
        string ecosystem,
        string? region,
        TimeZoneInfo timeZone,
        double? contractDemandKw,
        TemperatureSource? temperature,
        IReadOnlyList<Line> lines,
        IReadOnlyList<Asset> assets,
        IReadOnlyList<Meter> meters,
        IReadOnlyList<ProductionCounter> productionCounters)
    {
        Id = id;
        Name = name;
        Ecosystem = ecosystem;
        Region = region;
        TimeZone = timeZone;
        ContractDemandKw = contractDemandKw;
        Temperature = temperature;
        Lines = lines;
        Assets = assets;
        Meters = meters;
        ProductionCounters = productionCounters;
        _meters = meters.ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
        _counters = productionCounters.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
    }

    public string Id { get; }
    public string Name { get; }
    public string Ecosystem { get; }
    public string? Region { get; }
    public TimeZoneInfo TimeZone { get; }
    /// <summary>Subscribed (contract) demand of the grid connection, for demand-vs-contract panels.</summary>
    public double? ContractDemandKw { get; }
    public TemperatureSource? Temperature { get; }
    public IReadOnlyList<Line> Lines { get; }
    public IReadOnlyList<Asset> Assets { get; }
    public IReadOnlyList<Meter> Meters { get; }
    public IReadOnlyList<ProductionCounter> ProductionCounters { get; }

    public Meter? FindMeter(string id) => _meters.GetValueOrDefault(id);
    public ProductionCounter? FindProductionCounter(string id) => _counters.GetValueOrDefault(id);

    /// <summary>Meters whose roll-up parent is <paramref name="meterId"/>.</summary>
    public IEnumerable<Meter> ChildrenOf(string meterId) =>
        Meters.Where(m => string.Equals(m.ParentId, meterId, StringComparison.Ordinal));
}

/// <summary>A production line; production counters and meters may belong to it.</summary>
public sealed record Line(string Id, string Name);

/// <summary>A consumer (compressor room, CNC cell, furnace, chiller...) on a line or on the site.</summary>
public sealed record Asset(string Id, string Name, string Type, string? LineId);

/// <summary>A physical meter, or a virtual one computed from others by <see cref="Formula"/>.</summary>
/// <param name="ParentId">The meter upstream of this one in the metering tree (main incomer → sub-meters).</param>
/// <param name="Multiplier">CT/VT ratio or pulse weight applied to the fields that scale.</param>
/// <param name="RatedRate">Largest plausible consumption per hour in the counter's unit (kW for kWh), for spike checks.</param>
/// <param name="Renewable">On-site renewable generation (e.g. a PV inverter meter), for the renewable share.</param>
public sealed record Meter(
    string Id,
    string Name,
    Carrier Carrier,
    string? AssetId,
    string? LineId,
    string? ParentId,
    double Multiplier,
    double? RatedRate,
    bool Renewable,
    IReadOnlyList<MeterField> Fields,
    VirtualMeterFormula? Formula)
{
    public bool IsVirtual => Formula is not null;

    /// <summary>
    /// When a change of this meter's settings (a multiplier: a new CT ratio) takes effect, in event time: readings
    /// before it keep the settings they had. Null: from the moment the changed registry is loaded.
    /// </summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>The meter's replacements (a swapped device, a register reset by hand), oldest first.</summary>
    public IReadOnlyList<RegisteredReplacement> Replacements { get; init; } = [];

    public MeterField? FindField(string name) =>
        Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));
}

/// <summary>
/// A counter of a meter replaced at <paramref name="At"/>: the old register ended at <paramref name="OldFinal"/>, the
/// new one started at <paramref name="NewInitial"/> (docs/data-model.md, REPLACEMENT).
/// </summary>
public sealed record RegisteredReplacement(string Field, DateTimeOffset At, double OldFinal, double NewInitial);

/// <summary>A field a meter reports on the wire.</summary>
/// <param name="Multiplier">The factor applied to raw values (1 when the field does not scale).</param>
/// <param name="RolloverModulus">The value at which a counter register wraps to zero (10^digits, 2^16, 2^32).</param>
public sealed record MeterField(string Name, FieldKind Kind, string Unit, double Multiplier, double? RolloverModulus);

/// <summary>A production counter of a line (parts made, tonnes processed); on the wire it is a meter id.</summary>
public sealed record ProductionCounter(string Id, string Name, string LineId, string Field, string Unit, double Multiplier, double? RolloverModulus);

/// <summary>The weather meter whose <c>temperature_c</c> gives the site's degree days.</summary>
public sealed record TemperatureSource(string MeterId, string Field);

public enum GwpSet
{
    /// <summary>IPCC AR5 GWP100: CH4 28, N2O 265.</summary>
    Ar5,
    /// <summary>IPCC AR6 GWP100: CH4 (fossil) 29.8, N2O 273.</summary>
    Ar6,
}

/// <summary>Carbon accounting choices that apply to the whole registry.</summary>
public sealed record CarbonSettings(GwpSet Gwp);

public enum EmissionFactorKind
{
    /// <summary>Grid average (location-based scope 2, inventories).</summary>
    Location,
    /// <summary>Residual mix for market-based scope 2.</summary>
    ResidualMix,
    /// <summary>Harmonised combined margin: avoided emissions of efficiency projects.</summary>
    CombinedMargin,
    /// <summary>Operating margin.</summary>
    OperatingMargin,
    /// <summary>Water supply (scope 3).</summary>
    Supply,
    /// <summary>Waste-water treatment (scope 3).</summary>
    Treatment,
}

/// <summary>An emission factor for a carrier and year, normalised to kg per canonical unit (kWh, m³).</summary>
/// <param name="Gas">"CO2" or "CO2e", as the source states it.</param>
/// <param name="Unit">The unit as written in the registry, kept for reports.</param>
public sealed record EmissionFactor(
    Carrier Carrier,
    EmissionFactorKind Kind,
    int Year,
    double KgPerUnit,
    string Gas,
    string Unit,
    double Value,
    string Source);

/// <summary>IPCC Tier 1 properties of a fuel burnt on site (scope 1).</summary>
/// <param name="Density">kg per litre for liquids, kg per Nm³ for gases; converts volume counters to mass.</param>
public sealed record FuelProperties(
    Carrier Carrier,
    double NcvGjPerTonne,
    double Co2KgPerTj,
    double Ch4KgPerTj,
    double N2oKgPerTj,
    double? Density,
    int Year,
    string Source);

/// <summary>A decarbonisation and water-efficiency programme over several sites.</summary>
public sealed record Programme(
    string Id,
    string Name,
    IReadOnlyList<string> Ecosystems,
    IReadOnlyList<string> SiteIds,
    int BaselineYear,
    int TargetYear,
    ProgrammeTargets Targets);

/// <summary>Reductions to reach by the target year, in percent of the baseline year.</summary>
public sealed record ProgrammeTargets(double? EnergyPercent, double? Co2ePercent, double? WaterPercent);

public enum ProjectStatus
{
    Proposed,
    Approved,
    Implemented,
    Verified,
    Cancelled,
}

/// <summary>An efficiency project in the programme's bank, with what its business case needs.</summary>
/// <param name="ImplementedOn">The date the measure took effect; required once implemented.</param>
public sealed record Project(
    string Id,
    string Name,
    string SiteId,
    IReadOnlyList<string> MeterIds,
    ProjectStatus Status,
    DateOnly? ImplementedOn,
    double Capex,
    string Currency,
    ExpectedSavings ExpectedSavings,
    int LifetimeYears,
    double DiscountRate,
    IReadOnlyList<ProjectRisk> Risks);

/// <summary>What the project is expected to save per year.</summary>
public sealed record ExpectedSavings(double? EnergyKwh, double? WaterM3, double? GasNm3, double Cost);

/// <summary>A named risk: probability in [0, 1] and impact in the project's currency.</summary>
public sealed record ProjectRisk(string Name, double Probability, double Impact, string? Mitigation)
{
    public double ExpectedLoss => Probability * Impact;
}
