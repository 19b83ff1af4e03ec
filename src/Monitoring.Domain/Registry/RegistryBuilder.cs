using System.Globalization;
using YamlDotNet.RepresentationModel;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Registry;

/// <summary>
/// Accumulates the sections of every registry file, then checks what spans files (references from
/// programmes and projects to sites and meters, emission factors for every carrier in use).
/// </summary>
internal sealed class RegistryBuilder(Diagnostics diagnostics)
{
    private static readonly Dictionary<string, GwpSet> GwpSets = new(StringComparer.Ordinal)
    {
        ["AR5"] = GwpSet.Ar5,
        ["AR6"] = GwpSet.Ar6,
    };

    private static readonly Dictionary<string, EmissionFactorKind> FactorKinds = new(StringComparer.Ordinal)
    {
        ["location"] = EmissionFactorKind.Location,
        ["residual_mix"] = EmissionFactorKind.ResidualMix,
        ["combined_margin"] = EmissionFactorKind.CombinedMargin,
        ["operating_margin"] = EmissionFactorKind.OperatingMargin,
        ["supply"] = EmissionFactorKind.Supply,
        ["treatment"] = EmissionFactorKind.Treatment,
    };

    private static readonly Dictionary<string, ProjectStatus> Statuses = new(StringComparer.Ordinal)
    {
        ["proposed"] = ProjectStatus.Proposed,
        ["approved"] = ProjectStatus.Approved,
        ["implemented"] = ProjectStatus.Implemented,
        ["verified"] = ProjectStatus.Verified,
        ["cancelled"] = ProjectStatus.Cancelled,
    };

    private static readonly Dictionary<string, Carrier> Carriers =
        CarrierNames.All.ToDictionary(n => n, n => CarrierNames.TryParse(n, out var c) ? c : default, StringComparer.Ordinal);

    private readonly List<ParsedSite> _sites = [];
    private readonly Dictionary<string, SourceLocation> _siteIds = new(StringComparer.Ordinal);
    private readonly List<(EmissionFactor Factor, SourceLocation At)> _factors = [];
    private readonly List<(FuelProperties Fuel, SourceLocation At)> _fuels = [];
    private readonly List<(Programme Programme, YamlMapReader Reader, IReadOnlyList<(string Id, YamlNode Node)> Sites)> _programmes = [];
    private readonly List<(Project Project, YamlMapReader Reader, YamlNode? SiteNode, IReadOnlyList<(string Id, YamlNode Node)> Meters)> _projects = [];
    private readonly Dictionary<string, SourceLocation> _programmeIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceLocation> _projectIds = new(StringComparer.Ordinal);
    private (CarbonSettings Settings, SourceLocation At)? _carbon;

    public void ReadDocument(YamlSource source, YamlNode root)
    {
        if (YamlMapReader.IsNull(root))
        {
            return;
        }

        var file = YamlMapReader.For(source, root, "registry file");
        foreach (var node in file.Sequence("sites"))
        {
            var site = SiteReader.Read(source, node);
            if (site is not null && Unique(_siteIds, site.Site.Id, site.Reader, "site"))
            {
                _sites.Add(site);
            }
        }

        foreach (var node in file.Sequence("emission_factors"))
        {
            ReadEmissionFactor(source, node);
        }

        foreach (var node in file.Sequence("fuels"))
        {
            ReadFuel(source, node);
        }

        if (file.Get("carbon") is { } carbon)
        {
            ReadCarbon(source, carbon);
        }

        foreach (var node in file.Sequence("programmes"))
        {
            ReadProgramme(source, node);
        }

        foreach (var node in file.Sequence("projects"))
        {
            ReadProject(source, node);
        }

        file.ReportUnknownKeys();
    }

    /// <summary>Where the sites' meters and their fields are written (read after <see cref="Build"/>).</summary>
    public RegistryLocations Locations => new(
        _sites.SelectMany(s => s.MeterLocations.Select(m => (Key: (s.Site.Id, m.Key), m.Value))).ToDictionary(x => x.Key, x => x.Value),
        _sites.SelectMany(s => s.FieldLocations.SelectMany(m => m.Value.Select(f => (Key: (s.Site.Id, m.Key, f.Key), f.Value)))).ToDictionary(x => x.Key, x => x.Value));

    /// <param name="checkReferences">False when a file could not be read: what refers to its content is not checked.</param>
    public SiteRegistry Build(bool checkReferences = true)
    {
        var sites = _sites.ToDictionary(s => s.Site.Id, s => s.Site, StringComparer.Ordinal);
        if (checkReferences)
        {
            CheckProgrammes(sites);
            CheckProjects(sites);
            CheckCarbonCoverage();
        }

        return new SiteRegistry(
            [.. _sites.Select(s => s.Site)],
            _carbon?.Settings ?? new CarbonSettings(GwpSet.Ar5),
            [.. _factors.Select(f => f.Factor)],
            [.. _fuels.Select(f => f.Fuel)],
            [.. _programmes.Select(p => p.Programme)],
            [.. _projects.Select(p => p.Project)]);
    }

    private static bool Unique(Dictionary<string, SourceLocation> seen, string id, YamlMapReader reader, string kind)
    {
        if (seen.TryGetValue(id, out var first))
        {
            reader.Source.Report(reader.Get("id") ?? reader.Node, $"duplicate {kind} id '{id}' (first defined at {first})");
            return false;
        }

        seen.Add(id, reader.Location);
        return true;
    }

    private void ReadEmissionFactor(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "emission factor");
        var carrier = r.Choice("carrier", Carriers, required: true);
        var kind = r.Choice("kind", FactorKinds, required: true);
        var year = r.WholeNumber("year", required: true, min: 1990, max: 2100);
        var value = r.Number("value", required: true, min: 0);
        var unit = r.Scalar("unit", required: true);
        var sourceText = r.Scalar("source", required: true);
        r.ReportUnknownKeys();
        if (carrier is not { } c || kind is not { } k || year is not { } y || value is not { } v || unit is null || sourceText is null)
        {
            return;
        }

        var allowed = c switch
        {
            Carrier.Electricity => [EmissionFactorKind.Location, EmissionFactorKind.ResidualMix, EmissionFactorKind.CombinedMargin, EmissionFactorKind.OperatingMargin],
            Carrier.Water => [EmissionFactorKind.Supply, EmissionFactorKind.Treatment],
            _ => Array.Empty<EmissionFactorKind>(),
        };
        if (allowed.Length == 0)
        {
            var why = c.IsFuel() ? "fuels are described under 'fuels' (IPCC Tier 1 properties)" : "it has no emissions";
            source.Report(r.Get("carrier")!, $"emission factor: carrier '{c.ToName()}' takes no emission factor: {why}");
            return;
        }

        if (!allowed.Contains(k))
        {
            var names = FactorKinds.Where(p => allowed.Contains(p.Value)).Select(p => p.Key);
            source.Report(r.Get("kind")!, $"emission factor: kind '{r.Scalar("kind")}' does not apply to {c.ToName()} (expected one of: {string.Join(", ", names)})");
            return;
        }

        if (!EmissionUnits.TryParse(unit, c, out var kgPerUnitFactor, out var gas))
        {
            var expected = c == Carrier.Water ? "kgCO2e/m3" : "tCO2e/MWh, kgCO2e/kWh or gCO2e/kWh";
            source.Report(r.Get("unit")!, $"emission factor: unit '{unit}' is not a {c.ToName()} factor unit (expected e.g. {expected})");
            return;
        }

        var duplicate = _factors.FirstOrDefault(f => f.Factor.Carrier == c && f.Factor.Kind == k && f.Factor.Year == y);
        if (duplicate.Factor is not null)
        {
            source.Report(node, $"duplicate emission factor for {c.ToName()} {r.Scalar("kind")} {y.ToString(CultureInfo.InvariantCulture)} (first defined at {duplicate.At})");
            return;
        }

        _factors.Add((new EmissionFactor(c, k, y, v * kgPerUnitFactor, gas, unit, v, sourceText), r.Location));
    }

    private void ReadFuel(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "fuel");
        var carrier = r.Choice("carrier", Carriers, required: true);
        if (carrier is { } named)
        {
            r.What = $"fuel '{named.ToName()}'";
        }

        var ncv = r.Number("ncv_gj_per_t", required: true, min: 0, minExclusive: true);
        var co2 = r.Number("co2_kg_per_tj", required: true, min: 0);
        var ch4 = r.Number("ch4_kg_per_tj", required: true, min: 0);
        var n2o = r.Number("n2o_kg_per_tj", required: true, min: 0);
        var densityKey = carrier == Carrier.NaturalGas ? "density_kg_per_nm3" : "density_kg_per_l";
        var density = r.Number(densityKey, min: 0, minExclusive: true);
        var year = r.WholeNumber("year", required: true, min: 1990, max: 2100);
        var sourceText = r.Scalar("source", required: true);
        r.ReportUnknownKeys();
        if (carrier is not { } c || ncv is null || co2 is null || ch4 is null || n2o is null || year is null || sourceText is null)
        {
            return;
        }

        if (!c.IsFuel())
        {
            source.Report(r.Get("carrier")!, $"fuel: carrier '{c.ToName()}' is not a fuel (expected natural_gas, gasoil, fuel_oil or lpg)");
            return;
        }

        var duplicate = _fuels.FirstOrDefault(f => f.Fuel.Carrier == c);
        if (duplicate.Fuel is not null)
        {
            source.Report(node, $"duplicate fuel '{c.ToName()}' (first defined at {duplicate.At})");
            return;
        }

        _fuels.Add((new FuelProperties(c, ncv.Value, co2.Value, ch4.Value, n2o.Value, density, year.Value, sourceText), r.Location));
    }

    private void ReadCarbon(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "carbon");
        var gwp = r.Choice("gwp", GwpSets, required: true);
        r.ReportUnknownKeys();
        if (_carbon is { } first)
        {
            source.Report(node, $"carbon settings are defined twice (first at {first.At})");
            return;
        }

        if (gwp is { } set)
        {
            _carbon = (new CarbonSettings(set), r.Location);
        }
    }

    private void ReadProgramme(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "programme");
        var id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"programme '{id}'";
        }

        var name = r.Scalar("name") ?? id;
        var ecosystems = r.IdList("ecosystems");
        var sites = r.IdList("sites", required: true);
        var baselineYear = r.WholeNumber("baseline_year", required: true, min: 1990, max: 2100);
        var targetYear = r.WholeNumber("target_year", required: true, min: 1990, max: 2100);
        var targets = ReadTargets(r);
        r.ReportUnknownKeys();
        if (baselineYear is { } b && targetYear is { } t && t <= b)
        {
            source.Report(r.Get("target_year")!, $"{r.What}: 'target_year' ({t.ToString(CultureInfo.InvariantCulture)}) must come after 'baseline_year' ({b.ToString(CultureInfo.InvariantCulture)})");
            return;
        }

        if (id is null || name is null || baselineYear is null || targetYear is null || targets is null || !Unique(_programmeIds, id, r, "programme"))
        {
            return;
        }

        var programme = new Programme(id, name, [.. ecosystems.Select(e => e.Id)], [.. sites.Select(s => s.Id)], baselineYear.Value, targetYear.Value, targets);
        _programmes.Add((programme, r, sites));
    }

    private static ProgrammeTargets? ReadTargets(YamlMapReader programme)
    {
        var node = programme.Get("targets");
        if (node is null)
        {
            programme.Source.Report(programme.Node, $"{programme.What}: missing required key 'targets'");
            return null;
        }

        var r = YamlMapReader.For(programme.Source, node, $"{programme.What} targets");
        var energy = r.Number("energy_percent", min: 0, max: 100, minExclusive: true);
        var co2e = r.Number("co2e_percent", min: 0, max: 100, minExclusive: true);
        var water = r.Number("water_percent", min: 0, max: 100, minExclusive: true);
        r.ReportUnknownKeys();
        if (r.IsMapping && !r.Has("energy_percent") && !r.Has("co2e_percent") && !r.Has("water_percent"))
        {
            r.Source.Report(node, $"{r.What}: give at least one of energy_percent, co2e_percent, water_percent");
            return null;
        }

        return new ProgrammeTargets(energy, co2e, water);
    }

    private void ReadProject(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "project");
        var id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"project '{id}'";
        }

        var name = r.Scalar("name") ?? id;
        var site = r.Id("site", required: true);
        var meters = r.IdList("meters");
        var status = r.Choice("status", Statuses, required: true);
        var implementedOn = r.Date("implemented_on");
        var capex = r.Number("capex", required: true, min: 0);
        var currency = r.Scalar("currency") ?? "MAD";
        var savings = ReadSavings(r);
        var lifetime = r.WholeNumber("lifetime_years", required: true, min: 1, max: 60);
        var discountRate = r.Number("discount_rate", required: true, min: 0, max: 1);
        var risks = r.Sequence("risks").Select(n => ReadRisk(r, n)).OfType<ProjectRisk>().ToList();
        r.ReportUnknownKeys();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
        {
            source.Report(r.Get("currency")!, $"{r.What}: 'currency' must be an ISO 4217 code such as MAD or EUR, got '{currency}'");
        }

        if (status is ProjectStatus.Implemented or ProjectStatus.Verified && implementedOn is null && !r.Has("implemented_on"))
        {
            source.Report(r.Get("status")!, $"{r.What}: status '{r.Scalar("status")}' needs 'implemented_on' (the date the measure took effect)");
            return;
        }

        if (id is null || name is null || site is null || status is null || capex is null || savings is null || lifetime is null || discountRate is null
            || !Unique(_projectIds, id, r, "project"))
        {
            return;
        }

        var project = new Project(id, name, site, [.. meters.Select(m => m.Id)], status.Value, implementedOn, capex.Value, currency, savings, lifetime.Value, discountRate.Value, risks);
        _projects.Add((project, r, r.Get("site"), meters));
    }

    private static ExpectedSavings? ReadSavings(YamlMapReader project)
    {
        var node = project.Get("expected_savings");
        if (node is null)
        {
            project.Source.Report(project.Node, $"{project.What}: missing required key 'expected_savings'");
            return null;
        }

        var r = YamlMapReader.For(project.Source, node, $"{project.What} expected_savings");
        var energy = r.Number("energy_kwh", min: 0);
        var water = r.Number("water_m3", min: 0);
        var gas = r.Number("gas_nm3", min: 0);
        var cost = r.Number("cost", required: true, min: 0);
        r.ReportUnknownKeys();
        return cost is null ? null : new ExpectedSavings(energy, water, gas, cost.Value);
    }

    private static ProjectRisk? ReadRisk(YamlMapReader project, YamlNode node)
    {
        var r = YamlMapReader.For(project.Source, node, $"{project.What} risk");
        var name = r.Scalar("name", required: true);
        if (name is not null)
        {
            r.What = $"{project.What} risk '{name}'";
        }

        var probability = r.Number("probability", required: true, min: 0, max: 1);
        var impact = r.Number("impact", required: true, min: 0);
        var mitigation = r.Scalar("mitigation");
        r.ReportUnknownKeys();
        return name is null || probability is null || impact is null ? null : new ProjectRisk(name, probability.Value, impact.Value, mitigation);
    }

    private void CheckProgrammes(Dictionary<string, Site> sites)
    {
        foreach (var (programme, r, siteRefs) in _programmes)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (siteId, node) in siteRefs)
            {
                if (!seen.Add(siteId))
                {
                    r.Source.Report(node, $"{r.What}: site '{siteId}' is listed twice");
                }
                else if (!sites.TryGetValue(siteId, out var site))
                {
                    r.Source.Report(node, $"{r.What}: unknown site '{siteId}'");
                }
                else if (programme.Ecosystems.Count > 0 && !programme.Ecosystems.Contains(site.Ecosystem, StringComparer.Ordinal))
                {
                    r.Source.Report(node, $"{r.What}: site '{siteId}' is in ecosystem '{site.Ecosystem}', which the programme's 'ecosystems' does not list");
                }
            }
        }
    }

    private void CheckProjects(Dictionary<string, Site> sites)
    {
        foreach (var (project, r, siteNode, meterRefs) in _projects)
        {
            if (!sites.TryGetValue(project.SiteId, out var site))
            {
                r.Source.Report(siteNode!, $"{r.What}: unknown site '{project.SiteId}'");
                continue;
            }

            foreach (var (meterId, node) in meterRefs)
            {
                if (site.FindMeter(meterId) is null)
                {
                    r.Source.Report(node, $"{r.What}: unknown meter '{meterId}' in site '{site.Id}'");
                }
            }
        }
    }

    /// <summary>Every carrier in use needs what its CO2e is computed from, or the carbon KPIs would silently read zero.</summary>
    private void CheckCarbonCoverage()
    {
        var reported = new HashSet<Carrier>();
        foreach (var parsed in _sites)
        {
            foreach (var meter in parsed.Site.Meters.Where(m => !m.IsVirtual))
            {
                var at = parsed.MeterLocations[meter.Id];
                var fuel = _fuels.Select(f => f.Fuel).FirstOrDefault(f => f.Carrier == meter.Carrier);
                var problem = meter.Carrier switch
                {
                    Carrier.Electricity when !_factors.Any(f => f.Factor.Carrier == Carrier.Electricity && f.Factor.Kind == EmissionFactorKind.Location)
                        => "no 'location' emission factor for electricity",
                    Carrier.Water when !_factors.Any(f => f.Factor.Carrier == Carrier.Water)
                        => "no emission factor for water",
                    var c when c.IsFuel() && fuel is null
                        => $"no entry under 'fuels' for {c.ToName()}",
                    var c when c.IsFuel() && fuel!.Density is null && meter.Fields.Any(f => f.Name is "gas_volume_nm3" or "fuel_volume_l")
                        => $"counts {c.ToName()} by volume but fuel '{c.ToName()}' has no {(c == Carrier.NaturalGas ? "density_kg_per_nm3" : "density_kg_per_l")}",
                    _ => null,
                };
                if (problem is not null && reported.Add(meter.Carrier))
                {
                    diagnostics.Report(at, $"meter '{meter.Id}': {problem}");
                }
            }
        }
    }
}
