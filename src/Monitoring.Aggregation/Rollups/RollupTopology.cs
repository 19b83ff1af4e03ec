using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Rollups;

/// <summary>
/// The roll-up graph of a registry, built once at start (docs/data-model.md, "Roll-ups"): which series feed which
/// consumption meter, which meters feed which virtual meter and node, and the nodes above. The engine only follows
/// the precomputed arrays.
/// </summary>
/// <remarks>
/// The rule, per site and carrier (weather meters and non-consumption fields excluded):
/// <list type="bullet">
/// <item>a consumption meter is a physical meter with a consumption counter for its carrier, or a virtual meter whose terms all are;</item>
/// <item>a <b>leaf</b> is a consumption meter no meter names as its parent; renewable (generation) meters are never leaves nor tops;</item>
/// <item><b>site</b> = Σ physical top meters (no parent): the site total is measured, never computed;</item>
/// <item><b>asset</b> = Σ leaves attached to the asset; <b>line</b> = Σ leaves on the line (directly or through their asset);
/// leaves on no line go to the pseudo line <see cref="RollupNode.CommonLineId"/>, so Σ lines = Σ leaves;</item>
/// <item><b>ecosystem</b> = Σ sites of the ecosystem; <b>programme</b> = Σ member sites;</item>
/// <item>at every node level an all-carrier node sums final energy (kWh) and CO2e of the carrier nodes.</item>
/// </list>
/// A meter that has sub-meters is counted at the site (when it is a top meter) but never in an asset or line:
/// its consumption is there through its sub-meters and the remainder virtual meter (<c>x - sum(children)</c>).
/// </remarks>
public sealed class RollupTopology
{
    private readonly Dictionary<(RollupLevel, string, string, string), RollupNode> _byKey;

    private RollupTopology(SeriesCatalog catalog, TargetDef[] targets, SeriesRoute[]?[] routes, RollupNode[] nodes, IntensityDefinition[] intensities,
        Dictionary<(RollupLevel, string, string, string), RollupNode> byKey, CarbonFactors factors)
    {
        Catalog = catalog;
        Targets = targets;
        Routes = routes;
        Nodes = nodes;
        Intensities = intensities;
        _byKey = byKey;
        Factors = factors;
    }

    public SeriesCatalog Catalog { get; }
    /// <summary>Consumption meters and nodes, inputs before what they feed.</summary>
    public IReadOnlyList<RollupNode> Nodes { get; }
    public IReadOnlyList<IntensityDefinition> Intensities { get; }

    internal TargetDef[] Targets { get; }
    /// <summary>Per series id: where its closed intervals go (null: nowhere, e.g. gauges).</summary>
    internal SeriesRoute[]?[] Routes { get; }
    internal CarbonFactors Factors { get; }

    /// <summary>The node of a level and id for a carrier (null: all carriers); <paramref name="siteId"/> for meters, assets, lines and sites.</summary>
    public RollupNode? Find(RollupLevel level, string id, Carrier? carrier, string? siteId = null) =>
        _byKey.GetValueOrDefault((level, siteId ?? string.Empty, id, carrier?.ToName() ?? RollupNode.AllCarriers));

    public static RollupTopology Create(SeriesCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new Builder(catalog).Build();
    }

    private sealed class Builder(SeriesCatalog catalog)
    {
        private static readonly Carrier[] Carriers =
            [Carrier.Electricity, Carrier.NaturalGas, Carrier.Gasoil, Carrier.FuelOil, Carrier.Lpg, Carrier.Water];

        private static readonly RollupLevel[] NodeLevels =
            [RollupLevel.Asset, RollupLevel.Line, RollupLevel.Site, RollupLevel.Ecosystem, RollupLevel.Programme];

        private readonly SiteRegistry _registry = catalog.Registry;
        private readonly CarbonFactors _factors = new(catalog.Registry);
        private readonly List<TargetDef> _targets = [];
        private readonly List<RollupNode> _nodes = [];
        private readonly List<IntensityDefinition> _intensities = [];
        private readonly List<SeriesRoute>?[] _routes = new List<SeriesRoute>?[catalog.Count];
        private readonly Dictionary<(RollupLevel, string, string, string), RollupNode> _byKey = [];
        private readonly Dictionary<RollupNode, TargetDef> _targetOf = [];
        private readonly Dictionary<string, TimeZoneInfo> _zones = [];

        public RollupTopology Build()
        {
            var meters = new List<(Site Site, Meter Meter, TargetDef Target)>();
            foreach (var site in _registry.Sites)
            {
                foreach (var meter in site.Meters)
                {
                    if (!meter.IsVirtual && AddPhysicalMeter(site, meter) is { } target)
                    {
                        meters.Add((site, meter, target));
                    }
                }
            }

            foreach (var site in _registry.Sites)
            {
                foreach (var meter in site.Meters)
                {
                    if (meter.IsVirtual && AddVirtualMeter(site, meter) is { } target)
                    {
                        meters.Add((site, meter, target));
                    }
                }
            }

            AddSiteNodes(meters);
            AddProgrammeNodes();
            AddAllCarrierNodes();
            AddIntensities();

            var targets = _targets.ToArray();
            foreach (var target in targets)
            {
                target.Edges = [.. target.EdgeList];
                target.EdgeList.Clear();
            }

            var routes = _routes.Select(r => r?.ToArray()).ToArray();
            return new RollupTopology(catalog, targets, routes, [.. _nodes], [.. _intensities], _byKey, _factors);
        }

        private TargetDef? AddPhysicalMeter(Site site, Meter meter)
        {
            if (!IsConsumptionCarrier(meter.Carrier))
            {
                return null;
            }

            // The consumption counter: the first field, in the carrier's order of preference, that converts to the canonical unit.
            string[] candidates = meter.Carrier switch
            {
                Carrier.Electricity => ["energy_import_kwh"],
                Carrier.Water => ["volume_m3"],
                Carrier.NaturalGas => ["gas_volume_nm3", "fuel_mass_kg"],
                _ => ["fuel_volume_l", "volume_m3", "fuel_mass_kg"],
            };
            foreach (var field in candidates)
            {
                if (meter.FindField(field) is not { Kind: FieldKind.Counter } ||
                    _factors.ToCanonical(meter.Carrier, field) is not { } toCanonical ||
                    !catalog.TryGetSeries(site.Id, meter.Id, field, out var seriesId))
                {
                    continue;
                }

                var reactive = -1;
                var hasReactive = meter.Carrier == Carrier.Electricity &&
                    meter.FindField("reactive_energy_kvarh") is { Kind: FieldKind.Counter } &&
                    catalog.TryGetSeries(site.Id, meter.Id, "reactive_energy_kvarh", out reactive);
                var node = AddNode(RollupLevel.Meter, meter.Id, site, meter.Carrier, meter, hasReactive, []);
                var target = _targetOf[node];
                target.Expected = hasReactive ? 2 : 1;
                target.PeakFromQuarters = false;
                target.Carrier = meter.Carrier;
                target.Renewable = meter.Renewable;
                var fuel = _factors.ForFuel(meter.Carrier);
                target.KwhPerUnit = meter.Carrier == Carrier.Electricity ? 1 : fuel.KwhPerUnit;
                target.Fuel = fuel;
                Route(seriesId, new SeriesRoute(target.Index, SeriesRole.Consumption, toCanonical));
                if (hasReactive)
                {
                    Route(reactive, new SeriesRoute(target.Index, SeriesRole.Reactive, 1));
                }

                return target;
            }

            return null;
        }

        private TargetDef? AddVirtualMeter(Site site, Meter meter)
        {
            if (!IsConsumptionCarrier(meter.Carrier))
            {
                return null;
            }

            var terms = new List<(RollupNode Node, int Sign)>();
            foreach (var term in meter.Formula!.Terms)
            {
                if (term.IsChildrenSum)
                {
                    var of = term.ChildrenOf ?? meter.ParentId;
                    foreach (var child in site.Meters)
                    {
                        if (child.Id != meter.Id && !child.IsVirtual && string.Equals(child.ParentId, of, StringComparison.Ordinal))
                        {
                            if (Find(RollupLevel.Meter, site.Id, child.Id, child.Carrier) is not { } childNode)
                            {
                                return null;
                            }

                            terms.Add((childNode, term.Sign));
                        }
                    }
                }
                else if (site.FindMeter(term.MeterId!) is { } termMeter && Find(RollupLevel.Meter, site.Id, termMeter.Id, termMeter.Carrier) is { } termNode)
                {
                    terms.Add((termNode, term.Sign));
                }
                else
                {
                    // A term without a consumption series (no counter, or over the cardinality limit): the formula cannot be computed.
                    return null;
                }
            }

            var node = AddNode(RollupLevel.Meter, meter.Id, site, meter.Carrier, meter, false, [.. terms.Select(t => t.Node)]);
            var target = _targetOf[node];
            target.Carrier = meter.Carrier;
            foreach (var (termNode, sign) in terms)
            {
                _targetOf[termNode].EdgeList.Add(new Edge(target.Index, sign, 1, false));
            }

            target.Expected = terms.Count;
            return target;
        }

        private void AddSiteNodes(List<(Site Site, Meter Meter, TargetDef Target)> meters)
        {
            foreach (var site in _registry.Sites)
            {
                var parents = new HashSet<string>(StringComparer.Ordinal);
                foreach (var meter in site.Meters)
                {
                    if (meter.ParentId is not null)
                    {
                        parents.Add(meter.ParentId);
                    }
                }

                var ofSite = meters.Where(m => m.Site == site && !m.Meter.Renewable).ToList();
                var leaves = ofSite.Where(m => !parents.Contains(m.Meter.Id)).ToList();
                foreach (var carrier in Carriers)
                {
                    foreach (var asset in site.Assets)
                    {
                        AddSum(RollupLevel.Asset, asset.Id, site, carrier, leaves.Where(m => m.Meter.Carrier == carrier && m.Meter.AssetId == asset.Id).Select(m => m.Target.Node!));
                    }
                }

                foreach (var carrier in Carriers)
                {
                    foreach (var line in site.Lines)
                    {
                        AddSum(RollupLevel.Line, line.Id, site, carrier, leaves.Where(m => m.Meter.Carrier == carrier && m.Meter.LineId == line.Id).Select(m => m.Target.Node!));
                    }

                    AddSum(RollupLevel.Line, RollupNode.CommonLineId, site, carrier, leaves.Where(m => m.Meter.Carrier == carrier && m.Meter.LineId is null).Select(m => m.Target.Node!));
                }

                foreach (var carrier in Carriers)
                {
                    AddSum(RollupLevel.Site, site.Id, site, carrier,
                        ofSite.Where(m => m.Meter.Carrier == carrier && !m.Meter.IsVirtual && m.Meter.ParentId is null).Select(m => m.Target.Node!));
                }
            }
        }

        private void AddProgrammeNodes()
        {
            foreach (var carrier in Carriers)
            {
                foreach (var ecosystem in _registry.Sites.Select(s => s.Ecosystem).Distinct(StringComparer.Ordinal))
                {
                    AddSum(RollupLevel.Ecosystem, ecosystem, null, carrier, _registry.Sites
                        .Where(s => s.Ecosystem == ecosystem)
                        .Select(s => Find(RollupLevel.Site, s.Id, s.Id, carrier))
                        .OfType<RollupNode>());
                }
            }

            foreach (var carrier in Carriers)
            {
                foreach (var programme in _registry.Programmes)
                {
                    AddSum(RollupLevel.Programme, programme.Id, null, carrier, programme.SiteIds
                        .Select(id => Find(RollupLevel.Site, id, id, carrier))
                        .OfType<RollupNode>());
                }
            }
        }

        private void AddAllCarrierNodes()
        {
            foreach (var level in NodeLevels)
            {
                var groups = _nodes
                    .Where(n => n.Level == level && n.Carrier is not null)
                    .GroupBy(n => (n.SiteId, n.Id))
                    .ToList();
                foreach (var group in groups)
                {
                    var first = group.First();
                    var node = AddNode(level, first.Id, first.Site, null, null, false, [.. group], ZoneOf(first));
                    var target = _targetOf[node];
                    foreach (var input in group)
                    {
                        var inputTarget = _targetOf[input];
                        var kwhPerUnit = input.Carrier == Carrier.Electricity ? 1 : _factors.ForFuel(input.Carrier!.Value).KwhPerUnit;
                        inputTarget.EdgeList.Add(new Edge(target.Index, 1, kwhPerUnit, true));
                    }

                    target.Expected = group.Count();
                }
            }
        }

        private void AddIntensities()
        {
            foreach (var site in _registry.Sites)
            {
                foreach (var counter in site.ProductionCounters)
                {
                    if (!catalog.TryGetSeries(site.Id, counter.Id, counter.Field, out var seriesId))
                    {
                        continue;
                    }

                    var nodes = _nodes.Where(n => n.SiteId == site.Id &&
                        ((n.Level == RollupLevel.Line && n.Id == counter.LineId) || n.Level == RollupLevel.Site)).ToList();
                    foreach (var node in nodes)
                    {
                        var definition = new IntensityDefinition(_intensities.Count, node, counter);
                        _intensities.Add(definition);
                        var target = new TargetDef(_targets.Count, null, definition, ZoneOf(node)) { Expected = 2 };
                        _targets.Add(target);
                        _targetOf[node].EdgeList.Add(new Edge(target.Index, 1, 1, false));
                        Route(seriesId, new SeriesRoute(target.Index, SeriesRole.Output, 1));
                    }
                }
            }
        }

        private void AddSum(RollupLevel level, string id, Site? site, Carrier carrier, IEnumerable<RollupNode> inputs)
        {
            var list = inputs.ToList();
            if (list.Count == 0)
            {
                return;
            }

            var hasReactive = carrier == Carrier.Electricity && list.TrueForAll(n => n.HasReactiveEnergy);
            var zone = site?.TimeZone ?? ZoneOf(list[0]);
            var node = AddNode(level, id, site, carrier, null, hasReactive, list, zone);
            var target = _targetOf[node];
            foreach (var input in list)
            {
                _targetOf[input].EdgeList.Add(new Edge(target.Index, 1, 1, false));
            }

            target.Expected = list.Count;
        }

        private RollupNode AddNode(RollupLevel level, string id, Site? site, Carrier? carrier, Meter? meter, bool hasReactive, IReadOnlyList<RollupNode> inputs, TimeZoneInfo? zone = null)
        {
            var unit = carrier is { } c ? _factors.CanonicalUnit(c) : "kWh";
            var node = new RollupNode(_nodes.Count, level, id, site, carrier, unit, meter, hasReactive, inputs);
            _nodes.Add(node);
            _byKey.Add((level, site?.Id ?? string.Empty, id, node.CarrierName), node);
            var target = new TargetDef(_targets.Count, node, null, zone ?? site!.TimeZone);
            _targets.Add(target);
            _targetOf.Add(node, target);
            return node;
        }

        private RollupNode? Find(RollupLevel level, string siteId, string id, Carrier? carrier) =>
            _byKey.GetValueOrDefault((level, level is RollupLevel.Ecosystem or RollupLevel.Programme ? string.Empty : siteId, id, carrier?.ToName() ?? RollupNode.AllCarriers));

        private TimeZoneInfo ZoneOf(RollupNode node)
        {
            var zone = _targetOf[node].Zone;
            return _zones.TryGetValue(zone.Id, out var shared) ? shared : _zones[zone.Id] = zone;
        }

        private void Route(int seriesId, SeriesRoute route) => (_routes[seriesId] ??= []).Add(route);

        private static bool IsConsumptionCarrier(Carrier carrier) => carrier != Carrier.Weather;
    }
}

internal enum SeriesRole
{
    /// <summary>The meter's consumption counter: converted to the canonical unit, energy and CO2e.</summary>
    Consumption,
    /// <summary>The meter's reactive energy counter (power factor).</summary>
    Reactive,
    /// <summary>A production counter feeding an intensity.</summary>
    Output,
}

/// <summary>Where one series' closed intervals go.</summary>
internal readonly record struct SeriesRoute(int Target, SeriesRole Role, double ToCanonical);

/// <summary>
/// An edge of the roll-up graph: the source's records go to <paramref name="Target"/> with a sign (virtual meter
/// terms). <paramref name="ToAll"/>: into an all-carrier node, where consumption becomes final energy (kWh) and the
/// estimated and gross consumptions are scaled by <paramref name="KwhPerUnit"/> (linear, so corrections stay exact).
/// </summary>
internal readonly record struct Edge(int Target, int Sign, double KwhPerUnit, bool ToAll);

/// <summary>One consumption meter, node or intensity of the graph, with what the engine needs to aggregate it.</summary>
internal sealed class TargetDef(int index, RollupNode? node, IntensityDefinition? intensity, TimeZoneInfo zone)
{
    public int Index { get; } = index;
    public RollupNode? Node { get; } = node;
    public IntensityDefinition? Intensity { get; } = intensity;
    public TimeZoneInfo Zone { get; } = zone;
    /// <summary>Inputs (series or targets) that deliver each interval.</summary>
    public int Expected { get; set; }
    /// <summary>Peaks come from the target's own quarters (nodes, virtual meters); physical meters take the aggregator's.</summary>
    public bool PeakFromQuarters { get; set; } = true;
    /// <summary>Physical meters: the carrier whose factors apply.</summary>
    public Carrier? Carrier { get; set; }
    public bool Renewable { get; set; }
    public double KwhPerUnit { get; set; }
    public FuelFactors Fuel { get; set; }
    public List<Edge> EdgeList { get; } = [];
    public Edge[] Edges { get; set; } = [];
}
