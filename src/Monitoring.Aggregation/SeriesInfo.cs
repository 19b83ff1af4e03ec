using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation;

/// <summary>One series: a field of a meter (or production counter) declared in the site registry, with a dense id.</summary>
public sealed class SeriesInfo
{
    internal SeriesInfo(
        int id,
        Site site,
        string meterId,
        string field,
        FieldKind kind,
        string unit,
        double multiplier,
        double? rolloverModulus,
        double? ratedRate,
        Meter? meter,
        ProductionCounter? productionCounter,
        int siteIndex)
    {
        Id = id;
        Site = site;
        MeterId = meterId;
        Field = field;
        Kind = kind;
        Unit = unit;
        Multiplier = multiplier;
        RolloverModulus = rolloverModulus;
        RatedRate = ratedRate;
        Meter = meter;
        ProductionCounter = productionCounter;
        SiteIndex = siteIndex;
    }

    /// <summary>Dense id in [0, catalog count): the index of the series' state in the aggregator's arrays.</summary>
    public int Id { get; }
    public Site Site { get; }
    public string SiteId => Site.Id;
    /// <summary>The <c>meter</c> tag: a meter id or a production counter id.</summary>
    public string MeterId { get; }
    public string Field { get; }
    public FieldKind Kind { get; }
    public string Unit { get; }
    /// <summary>Applied to raw values (counter consumption, gauge samples): CT/VT ratio, pulse weight; 1 when the field does not scale.</summary>
    public double Multiplier { get; }
    public double? RolloverModulus { get; }
    /// <summary>Largest plausible consumption per hour (after the multiplier), for SPIKE; null: no check.</summary>
    public double? RatedRate { get; }
    /// <summary>The meter, or null for a production counter.</summary>
    public Meter? Meter { get; }
    public ProductionCounter? ProductionCounter { get; }
    public Carrier? Carrier => Meter?.Carrier;

    /// <summary>Index of the site in the registry's site list.</summary>
    public int SiteIndex { get; }

    public override string ToString() => $"{SiteId}/{MeterId}/{Field}";
}
