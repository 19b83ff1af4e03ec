using System.Globalization;
using Monitoring.Domain.Configuration;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Profiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Simulators.Scenarios;

/// <summary>The outcome of loading a scenario: the scenario when valid, otherwise every error (file:line:column: message).</summary>
public sealed record ScenarioLoadResult(Scenario? Scenario, IReadOnlyList<ConfigurationError> Errors);

/// <summary>
/// Reads a scenario file and checks it against the site registry it names: every site, line, meter, production
/// counter and project id must exist there, and every physical meter of the site must have a device.
/// </summary>
public static class ScenarioLoader
{
    /// <summary>Parameters of each consumer model and their defaults (docs/simulators.md gives the equations).</summary>
    public static IReadOnlyDictionary<ConsumerModel, IReadOnlyDictionary<string, double>> ModelParameters { get; } =
        new Dictionary<ConsumerModel, IReadOnlyDictionary<string, double>>
        {
            [ConsumerModel.Base] = P(("noise", 0.05)),
            [ConsumerModel.Production] = P(("idle", 0.2), ("noise", 0.03)),
            [ConsumerModel.Compressor] = P(("leak", 0.35), ("unloaded", 0.3), ("cycle_s", 120)),
            [ConsumerModel.Furnace] = P(("hold", 0.35)),
            [ConsumerModel.Chiller] = P(("process", 0.3), ("balance_c", 16), ("design_c", 35), ("part_load_exponent", 1), ("cop_slope", 0.02)),
            [ConsumerModel.CoolingTower] = P(("process", 0.3), ("balance_c", 12), ("design_c", 35)),
            [ConsumerModel.LightingHvac] = P(("night", 0.12), ("lighting", 0.55), ("comfort_c", 21)),
            [ConsumerModel.Sanitary] = P(("night", 0.02), ("shift_change", 2)),
            [ConsumerModel.Solar] = P(("cloudiness", 0.25)),
            [ConsumerModel.GensetTest] = P(("hour", 10), ("minutes", 30)),
        };

    private static readonly Dictionary<string, ConsumerModel> Models = new(StringComparer.Ordinal)
    {
        ["base"] = ConsumerModel.Base,
        ["production"] = ConsumerModel.Production,
        ["compressor"] = ConsumerModel.Compressor,
        ["furnace"] = ConsumerModel.Furnace,
        ["chiller"] = ConsumerModel.Chiller,
        ["cooling_tower"] = ConsumerModel.CoolingTower,
        ["lighting_hvac"] = ConsumerModel.LightingHvac,
        ["sanitary"] = ConsumerModel.Sanitary,
        ["solar"] = ConsumerModel.Solar,
        ["genset_test"] = ConsumerModel.GensetTest,
    };

    private static readonly Dictionary<string, DeviceKind> Devices = new(StringComparer.Ordinal)
    {
        ["modbus"] = DeviceKind.Modbus,
        ["mqtt"] = DeviceKind.Mqtt,
        ["none"] = DeviceKind.None,
    };

    private static readonly Dictionary<string, FaultType> FaultTypes = new(StringComparer.Ordinal)
    {
        ["drop"] = FaultType.Drop,
        ["slow"] = FaultType.Slow,
        ["exception"] = FaultType.Exception,
        ["rollover"] = FaultType.Rollover,
        ["replace"] = FaultType.Replace,
        ["freeze"] = FaultType.Freeze,
        ["sentinel"] = FaultType.Sentinel,
        ["spike"] = FaultType.Spike,
        ["leak"] = FaultType.Leak,
        ["clock_skew"] = FaultType.ClockSkew,
    };

    private static readonly Dictionary<string, DayOfWeek> Days = new(StringComparer.Ordinal)
    {
        ["mon"] = DayOfWeek.Monday,
        ["tue"] = DayOfWeek.Tuesday,
        ["wed"] = DayOfWeek.Wednesday,
        ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday,
        ["sat"] = DayOfWeek.Saturday,
        ["sun"] = DayOfWeek.Sunday,
    };

    /// <summary>Loads <paramref name="path"/>; the registry is <paramref name="registryDirectory"/>, else the file's <c>registry</c> key.</summary>
    public static ScenarioLoadResult LoadFile(string path, string? registryDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var diagnostics = new Diagnostics();
        if (!File.Exists(path))
        {
            diagnostics.Report(new SourceLocation(path, 0, 0), "scenario file does not exist");
            return new ScenarioLoadResult(null, diagnostics.Errors);
        }

        return Load(path, File.ReadAllText(path), registryDirectory);
    }

    public static ScenarioLoadResult Load(string path, string text, string? registryDirectory = null)
    {
        var diagnostics = new Diagnostics();
        var source = new YamlSource(path, diagnostics);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            diagnostics.Report(source.At(ex.Start), $"invalid YAML: {ex.Message}");
            return new ScenarioLoadResult(null, diagnostics.Errors);
        }

        if (stream.Documents.Count == 0)
        {
            diagnostics.Report(new SourceLocation(path, 0, 0), "scenario file is empty");
            return new ScenarioLoadResult(null, diagnostics.Errors);
        }

        var scenario = new Reader(source, path, registryDirectory).Read(stream.Documents[0].RootNode);
        return diagnostics.Errors.Count == 0
            ? new ScenarioLoadResult(scenario, [])
            : new ScenarioLoadResult(null, [.. diagnostics.Errors.OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column)]);
    }

    private static Dictionary<string, double> P(params (string Name, double Value)[] parameters)
    {
        var all = parameters.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        all["factor"] = 1;
        return all;
    }

    private sealed class Reader(YamlSource source, string path, string? registryDirectory)
    {
        private readonly List<SimLine> _lines = [];
        private readonly List<Consumer> _consumers = [];
        private readonly List<SimMeter> _meters = [];
        private readonly Dictionary<string, int> _lineIndex = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _meterIndex = new(StringComparer.Ordinal);
        private Site? _site;

        public Scenario? Read(YamlNode root)
        {
            var r = YamlMapReader.For(source, root, "scenario");
            var siteId = r.Id("site", required: true);
            var registryKey = r.Scalar("registry");
            var seed = r.Number("seed", min: 0) ?? 1;
            var start = r.Date("start", required: true);
            var calibrationYear = r.WholeNumber("calibration_year", required: true, min: 1970, max: 2100);
            var climate = ReadClimate(r);
            var schedule = ReadSchedule(r);

            var registryPath = registryDirectory
                ?? (registryKey is null ? null : Path.GetFullPath(Path.Join(Path.GetDirectoryName(Path.GetFullPath(path)), registryKey)));
            if (registryPath is null)
            {
                source.Report(root, "scenario: missing 'registry' (the site registry folder, relative to this file) and no --registry given");
                r.ReportUnknownKeys();
                return null;
            }

            var loaded = SiteRegistryLoader.LoadDirectory(registryPath);
            if (loaded.Registry is null)
            {
                foreach (var error in loaded.Errors)
                {
                    source.Diagnostics.Report(error.Location, error.Message);
                }

                r.ReportUnknownKeys();
                return null;
            }

            _site = siteId is null ? null : loaded.Registry.FindSite(siteId);
            if (_site is null)
            {
                if (siteId is not null)
                {
                    source.Report(r.Get("site")!, $"scenario: site '{siteId}' is not in the registry at {registryPath}");
                }

                r.ReportUnknownKeys();
                return null;
            }

            foreach (var node in r.Sequence("lines", required: true))
            {
                ReadLine(YamlMapReader.For(source, node, "line"));
            }

            foreach (var line in _site.Lines.Where(l => !_lineIndex.ContainsKey(l.Id)))
            {
                source.Report(r.Get("lines") ?? root, $"scenario: line '{line.Id}' of site '{_site.Id}' has no entry in 'lines'");
            }

            foreach (var node in r.Sequence("meters", required: true))
            {
                ReadMeter(YamlMapReader.For(source, node, "meter"));
            }

            foreach (var meter in _site.Meters.Where(m => !m.IsVirtual && !_meterIndex.ContainsKey(m.Id)))
            {
                source.Report(r.Get("meters") ?? root, $"scenario: meter '{meter.Id}' of site '{_site.Id}' has no entry in 'meters' (use device: none to leave it out)");
            }

            foreach (var line in _lines)
            {
                if (line.CounterId is { } counter && !_meterIndex.ContainsKey(counter))
                {
                    source.Report(r.Get("meters") ?? root, $"scenario: production counter '{counter}' has no entry in 'meters'");
                }
            }

            foreach (var node in r.Sequence("consumers", required: true))
            {
                ReadConsumer(YamlMapReader.For(source, node, "consumer"));
            }

            var scenarioStart = start ?? new DateOnly(2023, 1, 1);
            var partial = new Scenario(
                path, _site, loaded.Registry, (ulong)seed, scenarioStart, calibrationYear ?? 2023, climate, schedule,
                _lines, _consumers, _meters, [], []);
            var projects = r.Sequence("projects").Select(n => ReadProject(YamlMapReader.For(source, n, "project"), loaded.Registry, partial)).OfType<SimProject>().ToList();
            var faults = r.Sequence("faults").Select(n => ReadFault(YamlMapReader.For(source, n, "fault"), partial)).OfType<Fault>().ToList();
            foreach (var leak in faults.Where(f => f.Type == FaultType.Leak))
            {
                _consumers.Add(new Consumer(
                    $"leak@{leak.Location}", _meters[leak.MeterIndexes[0]].Id, ConsumerModel.Leak, leak.Value, [],
                    ModelParameters[ConsumerModel.Base], null, leak.From, leak.To));
            }

            r.ReportUnknownKeys();
            if (calibrationYear is { } year && start is { } s && new DateOnly(year, 1, 1) < s)
            {
                source.Report(r.Get("calibration_year")!, "scenario: 'calibration_year' must not begin before 'start'");
            }

            return partial with { Projects = projects, Faults = faults, Consumers = _consumers };
        }

        private Climate ReadClimate(YamlMapReader scenario)
        {
            var node = scenario.Get("climate");
            if (node is YamlScalarNode { Value: { } name })
            {
                switch (name)
                {
                    case "casablanca": return new Climate(name, 33.57, -7.59, 18.6, 4.6, 20, 4.0, 1.6);
                    case "tangier": return new Climate(name, 35.76, -5.83, 18.2, 5.4, 25, 4.5, 1.8);
                    default:
                        source.Report(node, $"scenario: unknown climate '{name}' (expected casablanca, tangier, or a mapping with latitude, longitude, mean_c, seasonal_amplitude_c, coldest_day, daily_amplitude_c, noise_c)");
                        return new Climate(name, 33.57, -7.59, 18.6, 4.6, 20, 4.0, 1.6);
                }
            }

            if (node is null)
            {
                source.Report(scenario.Node, "scenario: missing required key 'climate'");
                return new Climate("casablanca", 33.57, -7.59, 18.6, 4.6, 20, 4.0, 1.6);
            }

            var r = YamlMapReader.For(source, node, "climate");
            var climate = new Climate(
                "custom",
                r.Number("latitude", required: true, min: -90, max: 90) ?? 0,
                r.Number("longitude", required: true, min: -180, max: 180) ?? 0,
                r.Number("mean_c", required: true) ?? 18,
                r.Number("seasonal_amplitude_c", min: 0) ?? 5,
                r.WholeNumber("coldest_day", min: 1, max: 366) ?? 20,
                r.Number("daily_amplitude_c", min: 0) ?? 4,
                r.Number("noise_c", min: 0) ?? 1.5);
            r.ReportUnknownKeys();
            return climate;
        }

        private WorkSchedule ReadSchedule(YamlMapReader scenario)
        {
            var node = scenario.Get("schedule");
            if (node is null)
            {
                source.Report(scenario.Node, "scenario: missing required key 'schedule'");
                return new WorkSchedule(2, 6, new HashSet<DayOfWeek>(), 0, 1, new HashSet<DateOnly>());
            }

            var r = YamlMapReader.For(source, node, "schedule");
            var shifts = r.WholeNumber("shifts", min: 1, max: 3) ?? 2;
            var first = r.Number("first_shift_start", min: 0, max: 23.99) ?? 6;
            var days = new HashSet<DayOfWeek>();
            var dayNodes = r.Sequence("working_days");
            foreach (var day in dayNodes)
            {
                if (day is YamlScalarNode { Value: { } d } && Days.TryGetValue(d, out var dow))
                {
                    days.Add(dow);
                }
                else
                {
                    source.Report(day, "schedule: 'working_days' items are mon, tue, wed, thu, fri, sat, sun");
                }
            }

            if (dayNodes.Count == 0)
            {
                days.UnionWith([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday]);
            }

            var saturday = r.WholeNumber("saturday_shifts", min: 0, max: 3) ?? 0;
            var ramadan = r.Number("ramadan_hours", min: 0, max: 1) ?? 1;
            var holidays = new HashSet<DateOnly>();
            foreach (var item in r.Sequence("holidays"))
            {
                if (item is YamlScalarNode { Value: { } text } && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    holidays.Add(date);
                }
                else
                {
                    source.Report(item, "schedule: 'holidays' items are dates written yyyy-mm-dd");
                }
            }

            r.ReportUnknownKeys();
            return new WorkSchedule(shifts, first, days, saturday, ramadan, holidays);
        }

        private void ReadLine(YamlMapReader r)
        {
            var id = r.Id("id", required: true);
            if (id is not null)
            {
                r.What = $"line '{id}'";
            }

            var counter = r.Id("counter");
            var annual = r.Number("annual", min: 0) ?? 0;
            var shifts = r.WholeNumber("shifts", min: 1, max: 3);
            var noise = r.Number("noise", min: 0, max: 1) ?? 0.05;
            var stoppages = r.Number("stoppages_per_hour", min: 0, max: 1) ?? 0.05;
            var minMinutes = r.Number("stoppage_min_minutes", min: 1, max: 60) ?? 10;
            var maxMinutes = r.Number("stoppage_max_minutes", min: 1, max: 60) ?? 45;
            r.ReportUnknownKeys();
            if (id is null)
            {
                return;
            }

            if (_site!.Lines.All(l => l.Id != id))
            {
                source.Report(r.Get("id")!, $"{r.What}: unknown line (site '{_site.Id}' has: {string.Join(", ", _site.Lines.Select(l => l.Id))})");
                return;
            }

            if (counter is not null && _site.FindProductionCounter(counter) is not { } pc)
            {
                source.Report(r.Get("counter")!, $"{r.What}: unknown production counter '{counter}'");
                counter = null;
            }
            else if (counter is not null && _site.FindProductionCounter(counter)!.LineId != id)
            {
                source.Report(r.Get("counter")!, $"{r.What}: production counter '{counter}' belongs to line '{_site.FindProductionCounter(counter)!.LineId}'");
            }

            if (!_lineIndex.TryAdd(id, _lines.Count))
            {
                source.Report(r.Get("id")!, $"{r.What}: listed twice");
                return;
            }

            _lines.Add(new SimLine(id, counter, annual, shifts, noise, stoppages, minMinutes, Math.Max(minMinutes, maxMinutes)));
        }

        private void ReadMeter(YamlMapReader r)
        {
            var id = r.Id("id", required: true);
            if (id is not null)
            {
                r.What = $"meter '{id}'";
            }

            var device = r.Choice("device", Devices, required: true) ?? DeviceKind.None;
            var profileId = r.Id("profile");
            var gateway = r.Id("gateway");
            var unit = r.WholeNumber("unit", min: 0, max: 255) ?? 1;
            var initialNode = r.Get("initial");
            if (id is null)
            {
                r.ReportUnknownKeys();
                return;
            }

            var site = _site!;
            var registryMeter = site.FindMeter(id);
            var counter = site.FindProductionCounter(id);
            if (registryMeter is null && counter is null)
            {
                source.Report(r.Get("id")!, $"{r.What}: unknown meter: site '{site.Id}' has no meter or production counter '{id}'");
                r.ReportUnknownKeys();
                return;
            }

            if (registryMeter is { IsVirtual: true })
            {
                source.Report(r.Get("id")!, $"{r.What}: is a virtual meter (formula): the server computes it, nothing to simulate");
                r.ReportUnknownKeys();
                return;
            }

            MeterProfile? profile = null;
            if (device == DeviceKind.Modbus)
            {
                if (profileId is null)
                {
                    source.Report(r.Node, $"{r.What}: device modbus needs a 'profile' (one of: {string.Join(", ", BuiltInProfiles.All.Keys)})");
                }
                else if (!BuiltInProfiles.All.TryGetValue(profileId, out profile))
                {
                    source.Report(r.Get("profile")!, $"{r.What}: unknown profile '{profileId}' (built-in: {string.Join(", ", BuiltInProfiles.All.Keys)})");
                }
            }
            else if (profileId is not null || gateway is not null)
            {
                source.Report(r.Get("profile") ?? r.Get("gateway")!, $"{r.What}: 'profile' and 'gateway' apply to device modbus only");
            }

            var fields = new List<string>();
            var reported = new List<bool>();
            var multipliers = new List<double>();
            var rollovers = new List<double?>();
            MeterKind kind;
            Carrier? carrier = null;
            var lineIndex = -1;
            if (counter is not null)
            {
                kind = MeterKind.Production;
                fields.Add(counter.Field);
                reported.Add(true);
                multipliers.Add(counter.Multiplier);
                rollovers.Add(counter.RolloverModulus);
                lineIndex = _lineIndex.GetValueOrDefault(counter.LineId, -1);
            }
            else
            {
                carrier = registryMeter!.Carrier;
                kind = carrier == Carrier.Weather ? MeterKind.Weather : MeterKind.Energy;
                var served = profile is null ? registryMeter.Fields.Select(f => f.Name).ToList() : profile.Points.Select(p => p.Field).ToList();
                foreach (var name in served)
                {
                    var field = registryMeter.FindField(name);
                    fields.Add(name);
                    reported.Add(field is not null);
                    multipliers.Add(field?.Multiplier ?? (FieldVocabulary.TryGet(name, out var v) && v.Scales ? registryMeter.Multiplier : 1));
                    rollovers.Add(field?.RolloverModulus);
                }

                if (profile is not null && !reported.Contains(true))
                {
                    source.Report(r.Get("profile")!, $"{r.What}: profile '{profile.Id}' serves none of the meter's fields ({string.Join(", ", registryMeter.Fields.Select(f => f.Name))})");
                }
            }

            var initial = new double[fields.Count];
            if (initialNode is not null)
            {
                var ir = YamlMapReader.For(source, initialNode, $"{r.What} initial");
                for (var i = 0; i < fields.Count; i++)
                {
                    if (FieldVocabulary.TryGet(fields[i], out var v) && v.Kind == FieldKind.Counter)
                    {
                        initial[i] = ir.Number(fields[i], min: 0) ?? 0;
                    }
                }

                ir.ReportUnknownKeys();
            }

            r.ReportUnknownKeys();
            if (!_meterIndex.TryAdd(id, _meters.Count))
            {
                source.Report(r.Get("id")!, $"{r.What}: listed twice");
                return;
            }

            _meters.Add(new SimMeter(id, kind, carrier, device, profile, gateway, (byte)unit, fields, reported, multipliers, rollovers, initial, lineIndex));
        }

        private void ReadConsumer(YamlMapReader r)
        {
            var id = r.Id("id", required: true);
            if (id is not null)
            {
                r.What = $"consumer '{id}'";
            }

            var meterId = r.Id("meter", required: true);
            var model = r.Choice("model", Models, required: true);
            var annual = r.Number("annual", required: true, min: 0);
            var netOn = r.Id("net_on");
            var lines = new List<int>();
            foreach (var (lineId, node) in r.IdList("lines"))
            {
                if (_lineIndex.TryGetValue(lineId, out var index))
                {
                    lines.Add(index);
                }
                else
                {
                    source.Report(node, $"{r.What}: unknown line '{lineId}'");
                }
            }

            var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
            if (model is { } m)
            {
                foreach (var (name, fallback) in ModelParameters[m])
                {
                    parameters[name] = r.Number(name) ?? fallback;
                }
            }

            r.ReportUnknownKeys();
            if (id is null || meterId is null || model is null || annual is null)
            {
                return;
            }

            if (!_meterIndex.TryGetValue(meterId, out var meterIndex))
            {
                source.Report(r.Get("meter")!, _site!.FindMeter(meterId) is { IsVirtual: true }
                    ? $"{r.What}: meter '{meterId}' is virtual: attach the consumer to a physical meter (unmetered load goes on the parent)"
                    : $"{r.What}: unknown meter '{meterId}' (not a physical meter of site '{_site.Id}' listed in 'meters')");
                return;
            }

            var meter = _meters[meterIndex];
            if (meter.Kind != MeterKind.Energy)
            {
                source.Report(r.Get("meter")!, $"{r.What}: meter '{meterId}' is a {meter.Kind.ToString().ToLowerInvariant()} meter; consumers go behind energy, fuel and water meters");
                return;
            }

            if (netOn is not null && model != ConsumerModel.Solar)
            {
                source.Report(r.Get("net_on")!, $"{r.What}: 'net_on' applies to model solar only");
            }
            else if (netOn is not null && (!_meterIndex.ContainsKey(netOn) || _site!.FindMeter(netOn)?.Carrier != Carrier.Electricity))
            {
                source.Report(r.Get("net_on")!, $"{r.What}: 'net_on' must be an electricity meter listed in 'meters', got '{netOn}'");
            }

            if (_consumers.Any(c => c.Id == id))
            {
                source.Report(r.Get("id")!, $"{r.What}: listed twice");
                return;
            }

            _consumers.Add(new Consumer(id, meterId, model.Value, annual.Value, lines.Count > 0 ? lines : [.. Enumerable.Range(0, _lines.Count)], parameters, netOn));
        }

        private SimProject? ReadProject(YamlMapReader r, SiteRegistry registry, Scenario scenario)
        {
            var id = r.Id("id", required: true);
            if (id is not null)
            {
                r.What = $"project '{id}'";
            }

            var consumerId = r.Id("consumer", required: true);
            var from = r.Date("from");
            var setNode = r.Get("set");
            r.ReportUnknownKeys();
            if (id is null || consumerId is null)
            {
                return null;
            }

            var project = registry.FindProject(id);
            if (project is null || project.SiteId != _site!.Id)
            {
                source.Report(r.Get("id")!, $"{r.What}: not in the registry's project bank for site '{_site!.Id}'");
                return null;
            }

            var consumerIndex = _consumers.FindIndex(c => c.Id == consumerId);
            if (consumerIndex < 0)
            {
                source.Report(r.Get("consumer")!, $"{r.What}: unknown consumer '{consumerId}'");
                return null;
            }

            var consumer = _consumers[consumerIndex];
            if (!project.MeterIds.Any(m => scenario.IsUnder(consumer.MeterId, m)))
            {
                source.Report(r.Get("consumer")!, $"{r.What}: consumer '{consumerId}' is behind meter '{consumer.MeterId}', not behind the project's meters ({string.Join(", ", project.MeterIds)})");
            }

            var date = from ?? project.ImplementedOn;
            if (date is null)
            {
                source.Report(r.Node, $"{r.What}: no 'from' date and the registry gives no implemented_on");
                return null;
            }

            var set = new Dictionary<string, double>(StringComparer.Ordinal);
            if (setNode is null)
            {
                source.Report(r.Node, $"{r.What}: missing required key 'set' (the consumer parameters the project changes, e.g. {{ leak: 0.2 }} or {{ factor: 0.9 }})");
            }
            else
            {
                var sr = YamlMapReader.For(source, setNode, $"{r.What} set");
                foreach (var name in ScenarioLoader.ModelParameters[consumer.Model].Keys)
                {
                    if (sr.Number(name) is { } value)
                    {
                        set[name] = value;
                    }
                }

                sr.ReportUnknownKeys();
            }

            return new SimProject(id, consumerIndex, scenario.LocalMidnight(date.Value), set);
        }

        private Fault? ReadFault(YamlMapReader r, Scenario scenario)
        {
            var type = r.Choice("type", FaultTypes, required: true);
            if (type is { } t)
            {
                r.What = $"fault {FaultTypes.First(p => p.Value == t).Key}";
            }

            var meterId = r.Id("meter");
            var gateway = r.Id("gateway");
            var from = Time(r, "from", required: true);
            var to = Time(r, "to");
            var field = r.Scalar("field");
            var value = r.Number("value") ?? 0;
            var factor = r.Number("factor") ?? 1;
            var add = r.Number("add") ?? 0;
            var modulus = r.Number("modulus", min: 1) ?? 0;
            var delay = r.WholeNumber("delay_ms", min: 0, max: 600_000) ?? 0;
            var code = r.WholeNumber("code", min: 1, max: 255) ?? 4;
            var skew = r.Number("skew_s") ?? 0;
            r.ReportUnknownKeys();
            if (type is null || from is null)
            {
                return null;
            }

            var indexes = new List<int>();
            if (meterId is not null == gateway is not null)
            {
                source.Report(r.Node, $"{r.What}: give either 'meter' or 'gateway'");
                return null;
            }

            if (meterId is not null)
            {
                if (!_meterIndex.TryGetValue(meterId, out var index))
                {
                    source.Report(r.Get("meter")!, $"{r.What}: unknown meter '{meterId}' (not listed in 'meters' of site '{_site!.Id}')");
                    return null;
                }

                indexes.Add(index);
            }
            else
            {
                indexes.AddRange(_meters.Select((m, i) => (m, i)).Where(x => x.m.Gateway == gateway).Select(x => x.i));
                if (indexes.Count == 0)
                {
                    source.Report(r.Get("gateway")!, $"{r.What}: no meter is behind gateway '{gateway}'");
                    return null;
                }
            }

            var first = _meters[indexes[0]];
            var location = source.At(r.Node).ToString();
            switch (type)
            {
                case FaultType.Drop when meterId is not null && first.Gateway is not null:
                    source.Report(r.Get("meter")!, $"{r.What}: meter '{meterId}' is behind gateway '{first.Gateway}': drop the gateway (gateway: {first.Gateway}) or use an exception (code 11)");
                    return null;
                case FaultType.Drop or FaultType.Slow or FaultType.Exception when indexes.Any(i => _meters[i].Device != DeviceKind.Modbus):
                    source.Report(r.Node, $"{r.What}: applies to Modbus devices only");
                    return null;
                case FaultType.Rollover when modulus <= 0:
                    source.Report(r.Node, $"{r.What}: needs 'modulus' (the value at which the register wraps)");
                    return null;
                case FaultType.Leak when first.Carrier != Carrier.Water || value <= 0:
                    source.Report(r.Node, $"{r.What}: needs a water meter and 'value' (the leak's flow in m3/h, > 0)");
                    return null;
                case FaultType.Spike when field is null || indexes.Any(i => !_meters[i].ReportedFields.Contains(field)):
                    source.Report(r.Get("field") ?? r.Node, $"{r.What}: needs 'field', one of the meter's fields ({string.Join(", ", first.Fields)})");
                    return null;
                default:
                    break;
            }

            if (field is not null && type is not FaultType.Spike and not FaultType.Rollover)
            {
                source.Report(r.Get("field")!, $"{r.What}: 'field' applies to spike and rollover only");
            }

            if (field is not null && type == FaultType.Rollover && indexes.Any(i => !_meters[i].ReportedFields.Contains(field)))
            {
                source.Report(r.Get("field")!, $"{r.What}: '{field}' is not a field of the meter");
            }

            // Instant faults last one model step unless 'to' says otherwise; open-ended ones last forever.
            var end = to ?? type switch
            {
                FaultType.Spike => from.Value.AddMinutes(1),
                FaultType.Rollover or FaultType.Replace or FaultType.Leak => DateTimeOffset.MaxValue,
                _ => from.Value.AddHours(1),
            };
            if (end <= from)
            {
                source.Report(r.Get("to")!, $"{r.What}: 'to' must be after 'from'");
                return null;
            }

            if (from < scenario.Epoch)
            {
                source.Report(r.Get("from")!, $"{r.What}: 'from' is before the scenario start");
                return null;
            }

            return new Fault(type.Value, indexes, from.Value, end, field, value, factor, add, modulus, delay, (byte)code, TimeSpan.FromSeconds(skew), location);

            DateTimeOffset? Time(YamlMapReader reader, string key, bool required = false)
            {
                var text = reader.Scalar(key, required);
                if (text is null)
                {
                    return null;
                }

                string[] formats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"];
                if (DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                {
                    return scenario.ToUtc(local);
                }

                source.Report(reader.Get(key)!, $"{reader.What}: '{key}' must be a local time written yyyy-mm-dd hh:mm, got '{text}'");
                return null;
            }
        }
    }
}
