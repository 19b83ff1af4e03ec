namespace Monitoring.Aggregation.Rollups;

/// <summary>
/// One interval of a roll-up node or consumption meter, or a correction to one already written. A struct that
/// refers to the topology's <see cref="RollupNode"/>: writing it allocates nothing.
/// </summary>
/// <remarks>
/// Additive fields (<see cref="Consumption"/>, <see cref="EstimatedConsumption"/>, <see cref="GrossConsumption"/>,
/// <see cref="EnergyKwh"/>, <see cref="Co2eKg"/>, <see cref="Co2eMarketKg"/>, <see cref="ReactiveKvarh"/>,
/// <see cref="Inputs"/>) add on merge; <see cref="PeakQuarterConsumption"/> merges by max (corrections carry 0:
/// peaks are not corrected); flags OR. Ratios (<see cref="EstimatedFraction"/>, <see cref="PowerFactor"/>) are
/// computed from the merged additive fields, never merged themselves: see <see cref="Merge"/>.
/// </remarks>
public readonly record struct RollupInterval
{
    public required RollupNode Node { get; init; }
    public required IntervalResolution Resolution { get; init; }
    /// <summary>Interval start, UTC (inclusive).</summary>
    public required DateTimeOffset Start { get; init; }
    /// <summary>Interval end, UTC (exclusive).</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Consumption in the node's canonical unit (<see cref="RollupNode.Unit"/>); kWh of final energy for all carriers.</summary>
    public double Consumption { get; init; }
    /// <summary>The part of the underlying metered consumption that was spread over missing reads.</summary>
    public double EstimatedConsumption { get; init; }
    /// <summary>Σ |consumption| of the meters underneath: the weight of <see cref="EstimatedFraction"/> (equals <see cref="Consumption"/> without virtual meters).</summary>
    public double GrossConsumption { get; init; }
    /// <summary>Largest 15-minute consumption of the node itself inside the interval (not the sum of its meters' peaks).</summary>
    public double PeakQuarterConsumption { get; init; }
    /// <summary>Final energy in kWh: electricity as metered, fuels through their net calorific value; 0 for water.</summary>
    public double EnergyKwh { get; init; }
    /// <summary>kg CO2e, location-based for electricity (scope 2), IPCC Tier 1 for fuels (scope 1), supply + treatment for water (scope 3).</summary>
    public double Co2eKg { get; init; }
    /// <summary>kg CO2e, market-based for electricity (residual mix, else the grid factor); equal to <see cref="Co2eKg"/> for other carriers.</summary>
    public double Co2eMarketKg { get; init; }
    /// <summary>Reactive energy of the meters underneath (electricity, when <see cref="RollupNode.HasReactiveEnergy"/>).</summary>
    public double ReactiveKvarh { get; init; }
    /// <summary>Number of inputs (series or nodes) that delivered this interval.</summary>
    public int Inputs { get; init; }
    /// <summary>Number of inputs the node sums; fewer delivered ⇒ <see cref="IntervalQuality.Incomplete"/>.</summary>
    public int ExpectedInputs { get; init; }
    /// <summary>Year of the electricity or water emission factor applied (0 when none applies or none exists; the fuel data year for fuels).</summary>
    public int FactorYear { get; init; }
    public IntervalQuality Flags { get; init; }
    public bool IsCorrection { get; init; }

    public TimeSpan Duration => End - Start;

    /// <summary>Consumption-weighted share of estimated consumption: estimated / gross; 1 for an estimated interval of zero consumption.</summary>
    public double EstimatedFraction => GrossConsumption != 0
        ? EstimatedConsumption / GrossConsumption
        : (Flags & IntervalQuality.Estimated) != 0 ? 1 : 0;

    /// <summary>15-minute block demand (kW for kWh): consumption × 4 of a quarter, the largest quarter × 4 of a coarser interval.</summary>
    public double PeakDemand => PeakQuarterConsumption * 4;

    /// <summary>PF over the interval from energies, kWh / sqrt(kWh² + kvarh²); NaN without reactive energy or consumption, and for corrections.</summary>
    public double PowerFactor => Node.HasReactiveEnergy && !IsCorrection && Consumption > 0
        ? Monitoring.Kpi.Electrical.ElectricalKpis.PowerFactor(Consumption, ReactiveKvarh)
        : double.NaN;

    /// <summary>This record with a correction (same node, resolution and start) merged in.</summary>
    public RollupInterval Merge(in RollupInterval correction)
    {
        if (!ReferenceEquals(correction.Node, Node) || correction.Resolution != Resolution || correction.Start != Start)
        {
            throw new ArgumentException("a correction merges only into the interval it names", nameof(correction));
        }

        return this with
        {
            Consumption = Consumption + correction.Consumption,
            EstimatedConsumption = EstimatedConsumption + correction.EstimatedConsumption,
            GrossConsumption = GrossConsumption + correction.GrossConsumption,
            PeakQuarterConsumption = Math.Max(PeakQuarterConsumption, correction.PeakQuarterConsumption),
            EnergyKwh = EnergyKwh + correction.EnergyKwh,
            Co2eKg = Co2eKg + correction.Co2eKg,
            Co2eMarketKg = Co2eMarketKg + correction.Co2eMarketKg,
            ReactiveKvarh = ReactiveKvarh + correction.ReactiveKvarh,
            Inputs = Inputs + correction.Inputs,
            FactorYear = Math.Max(FactorYear, correction.FactorYear),
            Flags = Flags | correction.Flags,
        };
    }
}

/// <summary>
/// Consumption of a line or site node per unit produced over one interval (ISO 50006 ratio EnPI: a ratio of
/// sums), or a correction carrying the deltas of its additive fields.
/// </summary>
public readonly record struct IntensityInterval
{
    public required IntensityDefinition Definition { get; init; }
    public required IntervalResolution Resolution { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }

    /// <summary>Consumption of the node in its canonical unit (kWh for all carriers).</summary>
    public double Consumption { get; init; }
    public double EnergyKwh { get; init; }
    public double Co2eKg { get; init; }
    /// <summary>Production counted over the interval, in the counter's unit (parts, t...).</summary>
    public double Output { get; init; }
    public IntervalQuality Flags { get; init; }
    public bool IsCorrection { get; init; }

    public RollupNode Node => Definition.Node;

    /// <summary>Consumption per unit (kWh/unit, m³/unit...); NaN without output or for a correction.</summary>
    public double ConsumptionPerUnit => PerUnit(Consumption);
    public double EnergyKwhPerUnit => PerUnit(EnergyKwh);
    public double Co2eKgPerUnit => PerUnit(Co2eKg);

    public IntensityInterval Merge(in IntensityInterval correction)
    {
        if (!ReferenceEquals(correction.Definition, Definition) || correction.Resolution != Resolution || correction.Start != Start)
        {
            throw new ArgumentException("a correction merges only into the interval it names", nameof(correction));
        }

        return this with
        {
            Consumption = Consumption + correction.Consumption,
            EnergyKwh = EnergyKwh + correction.EnergyKwh,
            Co2eKg = Co2eKg + correction.Co2eKg,
            Output = Output + correction.Output,
            Flags = Flags | correction.Flags,
        };
    }

    private double PerUnit(double value) => !IsCorrection && Output > 0 ? value / Output : double.NaN;
}
