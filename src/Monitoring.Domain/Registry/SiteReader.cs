using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Registry;

/// <summary>A site as read, with where its meters were defined (for errors found after reading).</summary>
/// <param name="FieldLocations">Per meter id, where each of its fields is named.</param>
internal sealed record ParsedSite(
    Site Site,
    YamlMapReader Reader,
    IReadOnlyDictionary<string, SourceLocation> MeterLocations,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, SourceLocation>> FieldLocations);

/// <summary>Reads one site and checks everything that stays inside it: ids, references, the metering tree, formulas.</summary>
internal static partial class SiteReader
{
    public const string DefaultTimeZone = "Africa/Casablanca";

    private static readonly Dictionary<string, Carrier> Carriers =
        CarrierNames.All.ToDictionary(n => n, n => CarrierNames.TryParse(n, out var c) ? c : default, StringComparer.Ordinal);

    private static readonly Dictionary<string, FieldKind> Kinds = new(StringComparer.Ordinal)
    {
        ["counter"] = FieldKind.Counter,
        ["gauge"] = FieldKind.Gauge,
    };

    private sealed record ParsedMeter(Meter Meter, YamlMapReader Reader);

    public static ParsedSite? Read(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "site");
        var id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"site '{id}'";
        }

        var name = r.Scalar("name") ?? id;
        var ecosystem = r.Id("ecosystem", required: true);
        var region = r.Scalar("region");
        var timeZone = ReadTimeZone(r);
        var contractDemand = r.Number("contract_demand_kw", min: 0, minExclusive: true);

        var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var lines = ReadUnique(r, "lines", "line", ids, ReadLine);
        var assets = ReadUnique(r, "assets", "asset", ids, ReadAsset);
        var meterIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var meters = ReadUnique(r, "meters", "meter", meterIds, ReadMeter);
        var counters = ReadUnique(r, "production", "meter", meterIds, ReadProductionCounter);
        var temperatureNode = r.Get("temperature");
        var temperature = temperatureNode is null ? null : ReadTemperature(r, temperatureNode);
        r.ReportUnknownKeys();

        // Check references even when the site's own keys are broken: every error is reported in one pass.
        var lineIds = lines.Select(l => l.Value.Id).ToHashSet(StringComparer.Ordinal);
        var assetsById = assets.ToDictionary(a => a.Value.Id, a => a.Value, StringComparer.Ordinal);
        foreach (var (asset, reader) in assets)
        {
            CheckReference(reader, "line", asset.LineId, lineIds);
        }

        foreach (var (counter, reader) in counters)
        {
            CheckReference(reader, "line", counter.LineId, lineIds);
        }

        var resolvedMeters = meters.Select(m => ResolveLine(m.Value, m.Reader, lineIds, assetsById)).ToList();
        var site = new Site(
            id ?? string.Empty, name ?? string.Empty, ecosystem ?? string.Empty, region, timeZone ?? TimeZoneInfo.Utc, contractDemand, temperature,
            [.. lines.Select(l => l.Value)], [.. assets.Select(a => a.Value)], resolvedMeters, [.. counters.Select(c => c.Value)]);
        var parsedMeters = resolvedMeters.Zip(meters, (meter, parsed) => new ParsedMeter(meter, parsed.Reader)).ToList();
        CheckMeteringTree(site, parsedMeters);
        CheckFormulas(site, parsedMeters);
        if (temperature is not null)
        {
            CheckTemperature(r, temperatureNode!, site, temperature);
        }

        if (id is null || name is null || ecosystem is null || timeZone is null)
        {
            return null;
        }

        return new ParsedSite(
            site,
            r,
            meters.ToDictionary(m => m.Value.Id, m => m.Reader.Location, StringComparer.Ordinal),
            meters.ToDictionary(m => m.Value.Id, IReadOnlyDictionary<string, SourceLocation> (m) => FieldLocations(m.Reader), StringComparer.Ordinal));
    }

    /// <summary>Where a meter names each field: the list item, or the <c>name</c> of a field written as a mapping.</summary>
    private static Dictionary<string, SourceLocation> FieldLocations(YamlMapReader meter)
    {
        var locations = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var item in (meter.Get("fields") as YamlSequenceNode)?.Children ?? [])
        {
            var nameNode = item is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode("name"), out var name) ? name : item;
            if (nameNode is YamlScalarNode { Value: { } field })
            {
                locations.TryAdd(field, meter.Source.At(nameNode));
            }
        }

        return locations;
    }

    private static TimeZoneInfo? ReadTimeZone(YamlMapReader site)
    {
        var name = site.Scalar("timezone") ?? DefaultTimeZone;
        // IANA ids only: they are what Grafana and InfluxQL's tz() understand.
        if (name.Contains('/', StringComparison.Ordinal) && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone))
        {
            return zone;
        }

        site.Source.Report(site.Get("timezone")!, $"{site.What}: unknown time zone '{name}' (expected an IANA id such as Africa/Casablanca)");
        return null;
    }

    private static List<(T Value, YamlMapReader Reader)> ReadUnique<T>(
        YamlMapReader site, string key, string kind, Dictionary<string, SourceLocation> ids, Func<YamlMapReader, YamlNode, (T, YamlMapReader)?> read)
        where T : class
    {
        var items = new List<(T, YamlMapReader)>();
        foreach (var node in site.Sequence(key))
        {
            if (read(site, node) is not { } item)
            {
                continue;
            }

            var idNode = item.Item2.Get("id")!;
            var id = ((YamlScalarNode)idNode).Value!;
            if (ids.TryGetValue(id, out var first))
            {
                site.Source.Report(idNode, $"{site.What}: duplicate {kind} id '{id}' (first defined at {first})");
                continue;
            }

            ids.Add(id, item.Item2.Location);
            items.Add(item);
        }

        return items;
    }

    private static YamlMapReader Child(YamlMapReader site, YamlNode node, string kind, out string? id)
    {
        var r = YamlMapReader.For(site.Source, node, kind);
        id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"{kind} '{id}'";
        }

        return r;
    }

    private static (Line, YamlMapReader)? ReadLine(YamlMapReader site, YamlNode node)
    {
        var r = Child(site, node, "line", out var id);
        var name = r.Scalar("name") ?? id;
        r.ReportUnknownKeys();
        return id is null || name is null ? null : (new Line(id, name), r);
    }

    private static (Asset, YamlMapReader)? ReadAsset(YamlMapReader site, YamlNode node)
    {
        var r = Child(site, node, "asset", out var id);
        var name = r.Scalar("name") ?? id;
        var type = r.Id("type", required: true);
        var line = r.Id("line");
        r.ReportUnknownKeys();
        return id is null || name is null || type is null ? null : (new Asset(id, name, type, line), r);
    }

    private static (ProductionCounter, YamlMapReader)? ReadProductionCounter(YamlMapReader site, YamlNode node)
    {
        var r = Child(site, node, "production counter", out var id);
        var name = r.Scalar("name") ?? id;
        var line = r.Id("line", required: true);
        var field = r.Scalar("field") ?? "units";
        var unit = r.Scalar("unit");
        var multiplier = r.Number("multiplier", min: 0, minExclusive: true) ?? 1;
        var rollover = r.Number("rollover", min: 0, minExclusive: true);
        r.ReportUnknownKeys();
        if (!FieldVocabulary.ProductionFields.Contains(field, StringComparer.Ordinal))
        {
            r.Source.Report(r.Get("field")!, $"{r.What}: 'field' must be one of: {string.Join(", ", FieldVocabulary.ProductionFields)}, got '{field}'");
            return null;
        }

        if (field == "mass_t" && unit is not (null or "t"))
        {
            r.Source.Report(r.Get("unit")!, $"{r.What}: field 'mass_t' is counted in t, not '{unit}'");
            return null;
        }

        unit ??= field == "mass_t" ? "t" : "units";
        return id is null || name is null || line is null ? null : (new ProductionCounter(id, name, line, field, unit, multiplier, rollover), r);
    }

    private static (Meter, YamlMapReader)? ReadMeter(YamlMapReader site, YamlNode node)
    {
        var r = Child(site, node, "meter", out var id);
        var name = r.Scalar("name") ?? id;
        var carrier = r.Choice("carrier", Carriers, required: true);
        var asset = r.Id("asset");
        var line = r.Id("line");
        var parent = r.Id("parent");
        var multiplier = r.Number("multiplier", min: 0, minExclusive: true) ?? 1;
        var ratedRate = r.Number("rated_rate", min: 0, minExclusive: true);
        var renewable = r.Boolean("renewable") ?? false;
        var effectiveFrom = r.Instant("effective_from");
        var formulaText = r.Scalar("formula");
        VirtualMeterFormula? formula = null;
        IReadOnlyList<MeterField> fields = [];
        if (formulaText is not null)
        {
            formula = VirtualMeterFormulaParser.Parse(formulaText, out var error);
            if (error is not null)
            {
                r.Source.Report(r.Get("formula")!, $"{r.What}: invalid formula: {error}");
            }

            if (r.Get("fields") is { } fieldsNode)
            {
                r.Source.Report(fieldsNode, $"{r.What}: a virtual meter takes no 'fields': its values come from its formula");
            }
        }
        else if (carrier is { } c)
        {
            fields = ReadFields(r, c, multiplier);
        }
        else
        {
            r.Get("fields"); // fields cannot be checked without a carrier; the carrier error says what to fix
        }

        var replacements = ReadReplacements(r, fields);
        r.ReportUnknownKeys();
        if (id is null || name is null || carrier is null || (formulaText is not null && formula is null))
        {
            return null;
        }

        return (new Meter(id, name, carrier.Value, asset, line, parent, multiplier, ratedRate, renewable, fields, formula)
        {
            EffectiveFrom = effectiveFrom,
            Replacements = replacements,
        }, r);
    }

    /// <summary><c>replacements: [{ field, at, old_final, new_initial }]</c>: each of a counter field of the meter.</summary>
    private static List<RegisteredReplacement> ReadReplacements(YamlMapReader meter, IReadOnlyList<MeterField> fields)
    {
        var replacements = new List<RegisteredReplacement>();
        foreach (var item in meter.Sequence("replacements"))
        {
            var r = YamlMapReader.For(meter.Source, item, $"{meter.What}, replacement");
            var field = r.Scalar("field", required: true);
            var at = r.Instant("at", required: true);
            var oldFinal = r.Number("old_final", required: true, min: 0);
            var newInitial = r.Number("new_initial", required: true, min: 0);
            r.ReportUnknownKeys();
            if (field is not null && fields.FirstOrDefault(f => f.Name == field) is not { Kind: FieldKind.Counter })
            {
                meter.Source.Report(r.Get("field")!, $"{r.What}: '{field}' is not a counter field of the meter (fields: {string.Join(", ", fields.Where(f => f.Kind == FieldKind.Counter).Select(f => f.Name))})");
                continue;
            }

            if (field is null || at is null || oldFinal is null || newInitial is null)
            {
                continue;
            }

            if (replacements.Any(x => x.Field == field && x.At == at))
            {
                meter.Source.Report(item, $"{r.What}: '{field}' is replaced at {at:O} twice");
                continue;
            }

            replacements.Add(new RegisteredReplacement(field, at.Value, oldFinal.Value, newInitial.Value));
        }

        return [.. replacements.OrderBy(x => x.At)];
    }

    private static List<MeterField> ReadFields(YamlMapReader meter, Carrier carrier, double meterMultiplier)
    {
        var fields = new List<MeterField>();
        var items = meter.Sequence("fields", required: true);
        if (items.Count == 0 && meter.Has("fields"))
        {
            meter.Source.Report(meter.Get("fields")!, $"{meter.What}: 'fields' must list at least one field");
        }

        foreach (var item in items)
        {
            var field = item is YamlScalarNode scalar
                ? ReadVocabularyField(meter, scalar, carrier, meterMultiplier)
                : ReadFieldMapping(meter, item, carrier, meterMultiplier);
            if (field is null)
            {
                continue;
            }

            if (fields.Any(f => f.Name == field.Name))
            {
                meter.Source.Report(item, $"{meter.What}: field '{field.Name}' is listed twice");
                continue;
            }

            fields.Add(field);
        }

        return fields;
    }

    private static MeterField? ReadVocabularyField(YamlMapReader meter, YamlScalarNode node, Carrier carrier, double meterMultiplier)
    {
        var name = node.Value ?? string.Empty;
        if (!FieldVocabulary.TryGet(name, out var known))
        {
            meter.Source.Report(node, $"{meter.What}: unknown field '{name}'; declare a custom field as a mapping with name, kind and unit");
            return null;
        }

        return CheckCarrier(meter, node, known, carrier)
            ? new MeterField(name, known.Kind, known.Unit, known.Scales ? meterMultiplier : 1, null)
            : null;
    }

    private static MeterField? ReadFieldMapping(YamlMapReader meter, YamlNode node, Carrier carrier, double meterMultiplier)
    {
        var r = YamlMapReader.For(meter.Source, node, $"{meter.What} field");
        var name = r.Scalar("name", required: true);
        if (name is not null)
        {
            r.What = $"{meter.What} field '{name}'";
        }

        var kind = r.Choice("kind", Kinds);
        var unitText = r.Scalar("unit");
        var multiplier = r.Number("multiplier", min: 0, minExclusive: true);
        var rollover = r.Number("rollover", min: 0, minExclusive: true);
        r.ReportUnknownKeys();
        if (name is null)
        {
            return null;
        }

        var unit = unitText is null ? null : FieldVocabulary.CanonicalUnit(unitText);
        if (FieldVocabulary.TryGet(name, out var known))
        {
            if (!CheckCarrier(meter, r.Get("name")!, known, carrier))
            {
                return null;
            }

            if (kind is { } k && k != known.Kind)
            {
                r.Source.Report(r.Get("kind")!, $"{r.What}: is a {KindName(known.Kind)}, not a {KindName(k)}");
                return null;
            }

            if (unit is not null && unit != known.Unit)
            {
                r.Source.Report(r.Get("unit")!, $"{r.What}: is measured in {known.Unit}, not '{unitText}'");
                return null;
            }

            kind = known.Kind;
            unit = known.Unit;
            multiplier ??= known.Scales ? meterMultiplier : 1;
        }
        else
        {
            if (!FieldNamePattern().IsMatch(name))
            {
                r.Source.Report(r.Get("name")!, $"{r.What}: field names are lower-case letters, digits and '_', ending with their unit (e.g. steam_t)");
                return null;
            }

            if (kind is null && !r.Has("kind"))
            {
                r.Source.Report(node, $"{r.What}: missing required key 'kind' (counter or gauge)");
            }

            if (unit is null && !r.Has("unit"))
            {
                r.Source.Report(node, $"{r.What}: missing required key 'unit'");
            }

            if (kind is null || unit is null)
            {
                return null;
            }

            multiplier ??= kind == FieldKind.Counter ? meterMultiplier : 1;
        }

        if (rollover is not null && kind == FieldKind.Gauge)
        {
            r.Source.Report(r.Get("rollover")!, $"{r.What}: 'rollover' applies to counters only");
            return null;
        }

        return new MeterField(name, kind.Value, unit, multiplier.Value, rollover);
    }

    private static bool CheckCarrier(YamlMapReader meter, YamlNode node, VocabularyField field, Carrier carrier)
    {
        if (field.Carriers.Count == 0)
        {
            meter.Source.Report(node, $"{meter.What}: '{field.Name}' is a production field: declare it under the site's 'production'");
            return false;
        }

        if (!field.Carriers.Contains(carrier))
        {
            var carriers = string.Join(", ", field.Carriers.Select(c => c.ToName()));
            meter.Source.Report(node, $"{meter.What}: field '{field.Name}' does not belong to a {carrier.ToName()} meter (it is for: {carriers})");
            return false;
        }

        return true;
    }

    private static string KindName(FieldKind kind) => kind == FieldKind.Counter ? "counter" : "gauge";

    private static void CheckReference(YamlMapReader reader, string key, string? id, HashSet<string> known)
    {
        if (id is not null && !known.Contains(id))
        {
            reader.Source.Report(reader.Get(key)!, $"{reader.What}: unknown {key} '{id}'");
        }
    }

    /// <summary>A meter on an asset belongs to the asset's line; a different explicit line is a contradiction.</summary>
    private static Meter ResolveLine(Meter meter, YamlMapReader reader, HashSet<string> lineIds, Dictionary<string, Asset> assets)
    {
        CheckReference(reader, "line", meter.LineId, lineIds);
        if (meter.AssetId is null)
        {
            return meter;
        }

        if (!assets.TryGetValue(meter.AssetId, out var asset))
        {
            CheckReference(reader, "asset", meter.AssetId, []);
            return meter;
        }

        if (meter.LineId is not null && asset.LineId is not null && meter.LineId != asset.LineId)
        {
            reader.Source.Report(reader.Get("line")!, $"{reader.What}: line '{meter.LineId}' contradicts the line '{asset.LineId}' of its asset '{asset.Id}'");
        }

        return meter with { LineId = meter.LineId ?? asset.LineId };
    }

    private static void CheckMeteringTree(Site site, List<ParsedMeter> meters)
    {
        foreach (var (meter, reader) in meters)
        {
            if (meter.ParentId is null)
            {
                continue;
            }

            var parent = site.FindMeter(meter.ParentId);
            if (parent is null)
            {
                reader.Source.Report(reader.Get("parent")!, $"{reader.What}: unknown parent meter '{meter.ParentId}'");
            }
            else if (parent.Carrier != meter.Carrier)
            {
                reader.Source.Report(reader.Get("parent")!, $"{reader.What}: a {meter.Carrier.ToName()} meter cannot roll up into the {parent.Carrier.ToName()} meter '{parent.Id}'");
            }
        }

        // Report each cycle once, at its member with the smallest id.
        foreach (var (meter, reader) in meters)
        {
            var path = new List<string> { meter.Id };
            var current = meter;
            while (current.ParentId is not null && site.FindMeter(current.ParentId) is { } next)
            {
                if (next.Id == meter.Id)
                {
                    if (path.Min(StringComparer.Ordinal) == meter.Id)
                    {
                        reader.Source.Report(reader.Get("parent")!, $"{reader.What}: the parent chain is a cycle: {string.Join(" -> ", path)} -> {meter.Id}");
                    }

                    break;
                }

                if (path.Contains(next.Id, StringComparer.Ordinal))
                {
                    break; // a cycle further up, reported from one of its own members
                }

                path.Add(next.Id);
                current = next;
            }
        }
    }

    private static void CheckFormulas(Site site, List<ParsedMeter> meters)
    {
        foreach (var (meter, reader) in meters)
        {
            if (meter.Formula is null)
            {
                continue;
            }

            var at = reader.Get("formula")!;
            foreach (var term in meter.Formula.Terms)
            {
                if (term.IsChildrenSum)
                {
                    var of = term.ChildrenOf ?? meter.ParentId;
                    if (of is null)
                    {
                        reader.Source.Report(at, $"{reader.What}: sum(children) needs the meter's 'parent' (or write sum(children(id)))");
                        continue;
                    }

                    if (CheckTerm(site, meter, reader, at, of) && !site.ChildrenOf(of).Any(c => c.Id != meter.Id && !c.IsVirtual))
                    {
                        reader.Source.Report(at, $"{reader.What}: meter '{of}' has no physical sub-meters to sum");
                    }
                }
                else
                {
                    CheckTerm(site, meter, reader, at, term.MeterId!);
                }
            }
        }
    }

    private static bool CheckTerm(Site site, Meter meter, YamlMapReader reader, YamlNode at, string id)
    {
        var target = site.FindMeter(id);
        var problem = target switch
        {
            null => $"formula names unknown meter '{id}'",
            _ when target.Id == meter.Id => "formula refers to the meter itself",
            { IsVirtual: true } => $"formula names virtual meter '{id}'; name physical meters only",
            _ when target.Carrier != meter.Carrier => $"formula mixes {meter.Carrier.ToName()} with the {target.Carrier.ToName()} meter '{id}'",
            _ => null,
        };
        if (problem is not null)
        {
            reader.Source.Report(at, $"{reader.What}: {problem}");
        }

        return problem is null;
    }

    private static TemperatureSource? ReadTemperature(YamlMapReader site, YamlNode node)
    {
        var r = YamlMapReader.For(site.Source, node, $"{site.What} temperature");
        var meter = r.Id("meter", required: true);
        var field = r.Scalar("field") ?? "temperature_c";
        r.ReportUnknownKeys();
        return meter is null ? null : new TemperatureSource(meter, field);
    }

    private static void CheckTemperature(YamlMapReader site, YamlNode node, Site resolved, TemperatureSource temperature)
    {
        var meter = resolved.FindMeter(temperature.MeterId);
        var problem = meter switch
        {
            null => $"unknown meter '{temperature.MeterId}'",
            { Carrier: not Carrier.Weather } => $"meter '{meter.Id}' is not a weather meter",
            _ when meter.FindField(temperature.Field) is null => $"meter '{meter.Id}' has no field '{temperature.Field}'",
            _ => null,
        };
        if (problem is not null)
        {
            site.Source.Report(node, $"{site.What}: temperature source: {problem}");
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldNamePattern();
}
