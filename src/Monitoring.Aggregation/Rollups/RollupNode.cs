using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Rollups;

/// <summary>Where a roll-up record sits in the hierarchy meter → asset → line → site → ecosystem → programme.</summary>
public enum RollupLevel
{
    /// <summary>One consumption meter, physical or virtual (its own figures in the canonical unit).</summary>
    Meter,
    Asset,
    /// <summary>A production line, or the pseudo line <see cref="RollupNode.CommonLineId"/> for leaves on no line.</summary>
    Line,
    Site,
    Ecosystem,
    Programme,
}

public static class RollupLevelNames
{
    /// <summary>The <c>level</c> tag: <c>meter</c>, <c>asset</c>, <c>line</c>, <c>site</c>, <c>ecosystem</c>, <c>programme</c>.</summary>
    public static string ToName(this RollupLevel level) => level switch
    {
        RollupLevel.Meter => "meter",
        RollupLevel.Asset => "asset",
        RollupLevel.Line => "line",
        RollupLevel.Site => "site",
        RollupLevel.Ecosystem => "ecosystem",
        RollupLevel.Programme => "programme",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };
}

/// <summary>
/// One output series of the roll-up engine: a consumption meter or a node, for one carrier (or for all carriers
/// together: <see cref="Carrier"/> null, energy in kWh and CO2e). Built once per registry; immutable.
/// </summary>
public sealed class RollupNode
{
    /// <summary>Line id of the pseudo line that gathers the leaf meters attached to no line (utilities, services, unmetered).</summary>
    public const string CommonLineId = "_common";

    /// <summary>The <c>carrier</c> tag of the all-carrier nodes.</summary>
    public const string AllCarriers = "all";

    internal RollupNode(int index, RollupLevel level, string id, Site? site, Carrier? carrier, string unit, Meter? meter, bool hasReactiveEnergy, IReadOnlyList<RollupNode> inputs)
    {
        Index = index;
        Level = level;
        Id = id;
        Site = site;
        Carrier = carrier;
        Unit = unit;
        Meter = meter;
        HasReactiveEnergy = hasReactiveEnergy;
        Inputs = inputs;
    }

    /// <summary>Dense index among the topology's nodes.</summary>
    public int Index { get; }
    public RollupLevel Level { get; }
    /// <summary>Meter, asset, line, site, ecosystem or programme id (the <c>node</c> or <c>meter</c> tag).</summary>
    public string Id { get; }
    /// <summary>The site; null for ecosystem and programme nodes.</summary>
    public Site? Site { get; }
    public string? SiteId => Site?.Id;
    /// <summary>The carrier; null for the all-carrier node (energy kWh and CO2e of every carrier).</summary>
    public Carrier? Carrier { get; }
    public string CarrierName => Carrier?.ToName() ?? AllCarriers;
    /// <summary>Canonical unit of <see cref="RollupInterval.Consumption"/>: kWh, m3, Nm3, L, or kg; kWh for all carriers.</summary>
    public string Unit { get; }
    /// <summary>The meter of a <see cref="RollupLevel.Meter"/> node.</summary>
    public Meter? Meter { get; }
    public bool IsVirtual => Meter?.IsVirtual ?? false;
    /// <summary>Every physical meter under it reports reactive energy: the power factor over a period is defined.</summary>
    public bool HasReactiveEnergy { get; }
    /// <summary>The nodes summed into this one (virtual meter terms: see <see cref="Meter"/>'s formula); empty for physical meters.</summary>
    public IReadOnlyList<RollupNode> Inputs { get; }

    public override string ToString() => $"{Level.ToName()}:{(SiteId is null ? string.Empty : SiteId + "/")}{Id}/{CarrierName}";
}

/// <summary>An intensity series: the consumption of a line or site node per unit counted by one production counter.</summary>
public sealed class IntensityDefinition
{
    internal IntensityDefinition(int index, RollupNode node, ProductionCounter counter)
    {
        Index = index;
        Node = node;
        Counter = counter;
    }

    public int Index { get; }
    /// <summary>The line or site node (any carrier, or all carriers).</summary>
    public RollupNode Node { get; }
    public ProductionCounter Counter { get; }

    public override string ToString() => $"{Node}/per:{Counter.Id}";
}
