using Monitoring.Domain.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Edge.Configuration;

/// <summary>The outcome of loading an edge configuration: the configuration when valid, otherwise every error.</summary>
public sealed record EdgeConfigurationResult(EdgeConfiguration? Configuration, IReadOnlyList<ConfigurationError> Errors);

/// <summary>Loads and validates the edge agent's YAML file; every error is reported as <c>file:line:column: message</c>.</summary>
public static class EdgeConfigurationLoader
{
    private static readonly Dictionary<string, ModbusTransport> Transports = new(StringComparer.Ordinal)
    {
        ["tcp"] = ModbusTransport.Tcp,
        ["rtu-over-tcp"] = ModbusTransport.RtuOverTcp,
    };

    private static readonly string[] SerialLineKeys = ["baud", "parity", "data_bits", "stop_bits"];

    private static readonly string[] TcpKeys = ["port", "transport"];

    private static readonly Dictionary<string, ModbusParity> Parities = new(StringComparer.Ordinal)
    {
        ["none"] = ModbusParity.None,
        ["even"] = ModbusParity.Even,
        ["odd"] = ModbusParity.Odd,
    };

    /// <summary>Poll groups every configuration has unless it says otherwise: fast values and energy registers.</summary>
    private static readonly Dictionary<string, TimeSpan> DefaultPollGroups = new(StringComparer.Ordinal)
    {
        ["fast"] = TimeSpan.FromSeconds(10),
        ["slow"] = TimeSpan.FromSeconds(60),
    };

    /// <param name="resolveSecrets">
    /// False to check a file away from its gateway (<c>monitoring config check --edge</c>): secrets' environment
    /// variables and files are not looked up, so their absence is not an error and no secret is read.
    /// </param>
    public static EdgeConfigurationResult LoadFile(string path, bool resolveSecrets = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        var diagnostics = new Diagnostics();
        if (!File.Exists(path))
        {
            diagnostics.Report(new SourceLocation(path, 0, 0), "configuration file does not exist");
            return new EdgeConfigurationResult(null, diagnostics.Errors);
        }

        return Load(path, File.ReadAllText(path), resolveSecrets);
    }

    /// <param name="path">The name errors are reported under.</param>
    /// <param name="resolveSecrets">As for <see cref="LoadFile"/>.</param>
    public static EdgeConfigurationResult Load(string path, string text, bool resolveSecrets = true)
    {
        var diagnostics = new Diagnostics();
        var source = new YamlSource(path, diagnostics);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            diagnostics.Report(source.At(ex.Start), $"invalid YAML: {(ex.InnerException ?? ex).Message}");
            return new EdgeConfigurationResult(null, diagnostics.Errors);
        }
        catch (InvalidOperationException)
        {
            diagnostics.Report(source.At(scanner.CurrentPosition), "invalid YAML: unexpected text here; is a '[', '{' or quote left open above?");
            return new EdgeConfigurationResult(null, diagnostics.Errors);
        }

        if (stream.Documents.Count != 1)
        {
            diagnostics.Report(new SourceLocation(path, 0, 0), "the configuration must be one YAML document");
            return new EdgeConfigurationResult(null, diagnostics.Errors);
        }

        var configuration = Read(source, stream.Documents[0].RootNode, resolveSecrets);
        return diagnostics.Errors.Count == 0
            ? new EdgeConfigurationResult(configuration, [])
            : new EdgeConfigurationResult(null, [.. diagnostics.Errors.OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column)]);
    }

    private static EdgeConfiguration? Read(YamlSource source, YamlNode root, bool resolveSecrets)
    {
        var r = YamlMapReader.For(source, root, "edge configuration");
        var site = r.Id("site", required: true);
        var agent = r.Id("agent", required: true);
        var groups = ReadPollGroups(r);
        var defaults = ReadDeviceDefaults(r);
        var profiles = ReadProfiles(r);
        var devices = new List<DeviceConfiguration>();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        // A gateway may read only MQTT meters: then 'devices' may be left out.
        var mqttInputs = MqttInputReader.Read(r, site, agent, resolveSecrets);
        foreach (var node in r.Sequence("devices", required: !r.Has("mqtt_inputs")))
        {
            var device = ReadDevice(source, node, defaults, profiles, groups);
            if (device is null)
            {
                continue;
            }

            if (seen.TryGetValue(device.Value.Device.Id, out var first))
            {
                source.Report(device.Value.Reader.Get("id")!, $"duplicate device id '{device.Value.Device.Id}' (first defined at {first})");
                continue;
            }

            seen.Add(device.Value.Device.Id, device.Value.Reader.Location);
            CheckSharedEndpoint(device.Value.Reader, device.Value.Device, devices);
            devices.Add(device.Value.Device);
        }

        var buffer = r.Get("buffer") is { } bufferNode ? ReadBuffer(source, bufferNode) : null;
        var uplink = r.Get("uplink") is { } uplinkNode ? ReadUplink(source, uplinkNode, resolveSecrets) : null;
        var healthInterval = Duration(r, "health_interval") ?? TimeSpan.FromSeconds(60);
        r.ReportUnknownKeys();
        return site is null || agent is null ? null : new EdgeConfiguration(site, agent, groups, devices, buffer, uplink, healthInterval, mqttInputs);
    }

    private static BufferSettings? ReadBuffer(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "buffer");
        var directory = r.Scalar("directory", required: true);
        var maxBytes = Size(r, "max_size") ?? (1L << 30);
        var maxAge = Duration(r, "max_age") ?? TimeSpan.FromDays(30);
        var fsync = r.Boolean("fsync") ?? true;
        var commitInterval = Duration(r, "commit_interval", allowZero: true) ?? TimeSpan.FromMilliseconds(10);
        r.ReportUnknownKeys();
        return directory is null ? null : new BufferSettings(directory, maxBytes, maxAge, fsync, commitInterval);
    }

    private static UplinkSettings? ReadUplink(YamlSource source, YamlNode node, bool resolveSecrets)
    {
        var r = YamlMapReader.For(source, node, "uplink");
        var urlText = r.Scalar("url", required: true);
        Uri? url = null;
        UplinkKind? kind = null;
        if (urlText is not null && Uri.TryCreate(urlText, UriKind.Absolute, out var parsed))
        {
            kind = parsed.Scheme switch
            {
                "http" or "https" => UplinkKind.Http,
                "mqtt" => UplinkKind.Mqtt,
                _ => null,
            };
            url = new Uri(parsed.ToString().TrimEnd('/') + "/");
        }

        if (urlText is not null && kind is null)
        {
            source.Report(r.Get("url")!, $"uplink: 'url' must be http://, https:// or mqtt://host:port, got '{urlText}'");
        }

        var organization = r.Scalar("org") ?? "monitoring";
        var bucket = r.Scalar("bucket") ?? "monitoring";
        var token = Secret(r, "token", resolveSecrets);
        var username = r.Scalar("username");
        var password = Secret(r, "password", resolveSecrets);
        var batchRecords = r.WholeNumber("batch_records", min: 1, max: 1_000_000) ?? 5000;
        var batchBytes = Size(r, "batch_size") ?? (4L << 20);
        var batchAge = Duration(r, "batch_age", allowZero: true) ?? TimeSpan.FromSeconds(1);
        var timeout = Duration(r, "timeout") ?? TimeSpan.FromSeconds(10);
        var protocol = MqttInputReader.ReadProtocol(r);
        if (kind == UplinkKind.Http && r.Get("protocol") is { } protocolNode)
        {
            source.Report(protocolNode, "uplink: 'protocol' (the MQTT version) applies to an mqtt:// uplink only");
        }

        r.ReportUnknownKeys();
        return url is null || kind is null || protocol is null
            ? null
            : new UplinkSettings(kind.Value, url, organization, bucket, token, username, password, batchRecords, (int)Math.Min(batchBytes, int.MaxValue), batchAge, timeout)
            {
                Protocol = protocol.Value,
            };
    }

    /// <summary>A secret named by <c>KEY_env</c> (an environment variable) or <c>KEY_file</c> (a file the user owns), never written inline.</summary>
    internal static string? Secret(YamlMapReader r, string key, bool resolve)
    {
        if (r.Get(key) is { } inline)
        {
            r.Source.Report(inline, $"{r.What}: do not write the {key} in this file; use '{key}_env' (an environment variable) or '{key}_file' (a file)");
        }

        if (!resolve)
        {
            r.Scalar(key + "_env");
            r.Scalar(key + "_file");
            return null;
        }

        if (r.Scalar(key + "_env") is { } variable)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(value))
            {
                r.Source.Report(r.Get(key + "_env")!, $"{r.What}: environment variable '{variable}' ({key}) is not set");
            }

            return value;
        }

        if (r.Scalar(key + "_file") is { } path)
        {
            if (!File.Exists(path))
            {
                r.Source.Report(r.Get(key + "_file")!, $"{r.What}: {key} file '{path}' does not exist");
                return null;
            }

            return File.ReadAllText(path).Trim();
        }

        return null;
    }

    private static long? Size(YamlMapReader r, string key)
    {
        var text = r.Scalar(key);
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParseSize(text, out var bytes) && bytes > 0)
        {
            return bytes;
        }

        r.Source.Report(r.Get(key)!, $"{r.What}: '{key}' must be a size such as 512MiB or 1GiB, got '{text}'");
        return null;
    }

    private static Dictionary<string, TimeSpan> ReadPollGroups(YamlMapReader configuration)
    {
        var groups = new Dictionary<string, TimeSpan>(DefaultPollGroups, StringComparer.Ordinal);
        if (configuration.Get("poll_groups") is not { } node)
        {
            return groups;
        }

        if (node is not YamlMappingNode map)
        {
            configuration.Source.Report(node, "'poll_groups' must map group names to intervals, e.g. { fast: 1s, slow: 60s }");
            return groups;
        }

        foreach (var (keyNode, valueNode) in map.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var text = (valueNode as YamlScalarNode)?.Value ?? string.Empty;
            if (!IdRules.IsValidId(name))
            {
                configuration.Source.Report(keyNode, $"poll group name '{name}' is not a valid id ({IdRules.Description})");
            }
            else if (!Durations.TryParse(text, out var interval) || interval < TimeSpan.FromMilliseconds(100))
            {
                configuration.Source.Report(valueNode, $"poll group '{name}': interval must be a duration of at least 100ms such as 1s or 60s, got '{text}'");
            }
            else
            {
                groups[name] = interval;
            }
        }

        return groups;
    }

    private static Dictionary<string, MeterProfile> ReadProfiles(YamlMapReader configuration)
    {
        var profiles = new Dictionary<string, MeterProfile>(BuiltInProfiles.All, StringComparer.Ordinal);
        foreach (var node in configuration.Sequence("profiles"))
        {
            if (ProfileReader.ReadProfile(configuration.Source, node) is not { } profile)
            {
                continue;
            }

            if (!profiles.TryAdd(profile.Id, profile))
            {
                var idNode = ((YamlMappingNode)node).Children[new YamlScalarNode("id")];
                configuration.Source.Report(idNode, $"profile '{profile.Id}' already exists{(BuiltInProfiles.All.ContainsKey(profile.Id) ? " as a built-in profile; give yours another id" : string.Empty)}");
            }
        }

        return profiles;
    }

    private static (DeviceConfiguration Device, YamlMapReader Reader)? ReadDevice(
        YamlSource source, YamlNode node, DeviceDefaults defaults, Dictionary<string, MeterProfile> profiles, Dictionary<string, TimeSpan> groups)
    {
        var r = YamlMapReader.For(source, node, "device");
        var id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"device '{id}'";
        }

        var (host, port, transport, serial) = ReadEndpoint(r, defaults);
        var unit = r.WholeNumber("unit", min: 0, max: 255) ?? 1;
        if (serial is not null && unit is 0 or > 247)
        {
            source.Report(r.Get("unit")!, $"{r.What}: unit {unit} cannot be polled on a serial bus: 0 is the broadcast address, which no device answers, and 248 to 255 are reserved; use 1 to 247");
        }
        var timeout = Duration(r, "timeout") ?? defaults.Timeout ?? TimeSpan.FromSeconds(1);
        var connectTimeout = Duration(r, "connect_timeout") ?? defaults.ConnectTimeout ?? TimeSpan.FromSeconds(3);
        var pause = Duration(r, "pause", allowZero: true) ?? defaults.Pause ?? TimeSpan.Zero;
        var connectPerCycle = r.Boolean("connect_per_cycle") ?? defaults.ConnectPerCycle ?? false;
        var maxGap = r.WholeNumber("max_gap", min: 0, max: ModbusLimits.MaxReadRegisters) ?? defaults.MaxGap ?? DefaultMaxGap(transport);
        var maxRegisters = r.WholeNumber("max_registers_per_read", min: 1, max: ModbusLimits.MaxReadRegisters) ?? defaults.MaxRegistersPerRead;
        var replanAfter = Duration(r, "replan_after") ?? defaults.ReplanAfter ?? EdgeConfigurationDefaults.ReplanAfter;
        var profileId = r.Id("profile", required: true);
        MeterProfile? profile = null;
        if (profileId is not null && !profiles.TryGetValue(profileId, out profile))
        {
            source.Report(r.Get("profile")!, $"{r.What}: unknown profile '{profileId}' (built-in: {string.Join(", ", BuiltInProfiles.All.Keys.Order(StringComparer.Ordinal))})");
        }

        var points = profile is null ? [] : ReadPoints(r, profile, groups);
        r.ReportUnknownKeys();
        if (id is null || host is null || profile is null || points is null)
        {
            return null;
        }

        var device = new DeviceConfiguration(
            id, host, port, (byte)unit, transport, timeout, connectTimeout, pause, connectPerCycle,
            Math.Min(maxRegisters ?? profile.MaxRegistersPerRead, profile.MaxRegistersPerRead), maxGap, profile, points)
        {
            ReplanAfter = replanAfter,
            Serial = serial,
            Location = r.Location,
        };
        return (device, r);
    }

    /// <summary>
    /// Where a device is: <c>host</c>/<c>port</c> (TCP, or RTU over TCP) or <c>serial</c> with its line format (RTU on
    /// RS-485). The device's own keys win over <c>defaults</c>; the host is null when the endpoint is unusable (reported).
    /// </summary>
    private static (string? Host, int Port, ModbusTransport Transport, ModbusSerialLine? Serial) ReadEndpoint(YamlMapReader r, DeviceDefaults defaults)
    {
        var ownHost = r.Scalar("host");
        var ownSerial = r.Scalar("serial");
        if (ownHost is not null && ownSerial is not null)
        {
            r.Source.Report(r.Get("serial")!, $"{r.What}: names both 'host' and 'serial'; a device is on a TCP endpoint or on a serial bus");
            return (null, 0, ModbusTransport.Tcp, null);
        }

        var serialPath = ownSerial ?? (ownHost is null ? defaults.Serial : null);
        var baud = r.WholeNumber("baud", min: 300, max: 4_000_000) ?? defaults.Baud;
        var parity = r.Choice("parity", Parities) ?? defaults.Parity;
        var dataBits = r.WholeNumber("data_bits", min: 7, max: 8) ?? defaults.DataBits;
        var stopBits = r.WholeNumber("stop_bits", min: 1, max: 2) ?? defaults.StopBits;
        if (serialPath is null)
        {
            if (SerialLineKeys.FirstOrDefault(key => r.Get(key) is not null) is { } lineKey)
            {
                r.Source.Report(r.Get(lineKey)!, $"{r.What}: '{lineKey}' is a serial line setting, but the device names no 'serial' port");
            }

            var host = ownHost ?? defaults.Host;
            if (host is null)
            {
                r.Source.Report(r.Node, $"{r.What}: missing required key 'host' (a TCP endpoint) or 'serial' (an RS-485 port such as /dev/ttyUSB0)");
            }

            var port = r.WholeNumber("port", min: 1, max: 65535) ?? defaults.Port ?? 502;
            return (host, port, r.Choice("transport", Transports) ?? defaults.Transport ?? ModbusTransport.Tcp, null);
        }

        if (TcpKeys.FirstOrDefault(key => r.Get(key) is not null) is { } tcpKey)
        {
            r.Source.Report(r.Get(tcpKey)!, $"{r.What}: '{tcpKey}' is a TCP setting; a device on serial port '{serialPath}' speaks Modbus RTU at its 'baud', 'parity' and 'stop_bits'");
        }

        if (dataBits == 7)
        {
            r.Source.Report(r.Get("data_bits") ?? r.Node, $"{r.What}: Modbus RTU frames are 8-bit; data_bits 7 is Modbus ASCII, which is not supported");
            return (null, 0, ModbusTransport.Rtu, null);
        }

        var line = new ModbusSerialLine
        {
            Port = serialPath,
            BaudRate = baud ?? 9600,
            Parity = parity ?? ModbusParity.None,
            StopBits = stopBits ?? 1,
        };
        return (string.Empty, 0, ModbusTransport.Rtu, line);
    }

    /// <summary>
    /// The profile's points (its optional ones only when named), narrowed by <c>fields</c> and changed or extended by
    /// <c>overrides</c>.
    /// </summary>
    private static List<ProfilePoint>? ReadPoints(YamlMapReader device, MeterProfile profile, Dictionary<string, TimeSpan> groups)
    {
        var points = profile.Points.Where(p => !p.Optional).ToList();
        var ok = true;
        var fields = device.Sequence("fields");
        if (device.Has("fields"))
        {
            var wanted = new List<ProfilePoint>();
            foreach (var node in fields)
            {
                var name = (node as YamlScalarNode)?.Value;
                var point = profile.Points.FirstOrDefault(p => p.Field == name);
                if (point is null)
                {
                    device.Source.Report(node, $"{device.What}: profile '{profile.Id}' has no field '{name}' (it has: {string.Join(", ", profile.Points.Select(p => p.Field))})");
                    ok = false;
                    continue;
                }

                wanted.Add(point);
            }

            points = wanted;
        }

        var defaults = new PointDefaults(ModbusFunction.ReadHoldingRegisters, ModbusDataType.Float32, RegisterOrder.ABCD, Addressing.Pdu, ProfileReader.DefaultGroup);
        foreach (var node in device.Sequence("overrides"))
        {
            var reader = YamlMapReader.For(device.Source, node, $"{device.What} override");
            var field = (reader.Get("field") as YamlScalarNode)?.Value;
            var index = points.FindIndex(p => p.Field == field);
            var basePoint = index >= 0 ? points[index] : profile.Points.FirstOrDefault(p => p.Field == field);
            var point = ProfileReader.ReadPoint(reader, basePoint is null ? defaults : defaults with { Table = basePoint.Table, Type = basePoint.Type, Order = basePoint.Order }, basePoint);
            if (point is null)
            {
                ok = false;
                continue;
            }

            if (index >= 0)
            {
                points[index] = point;
            }
            else
            {
                points.Add(point);
            }
        }

        foreach (var point in points.Where(p => !groups.ContainsKey(p.Group)))
        {
            device.Source.Report(device.Get("profile")!, $"{device.What}: field '{point.Field}' is polled in group '{point.Group}', which 'poll_groups' does not define");
            ok = false;
        }

        return ok ? points : null;
    }

    /// <summary>
    /// Bridging a gap costs 2 bytes per register in the answer; a separate read costs a round trip. On Ethernet the
    /// bytes are free, so TCP devices bridge generously (a device that refuses holes gets its reads split once);
    /// behind a serial gateway at 9600 baud 64 registers take over 100 ms, so RTU devices bridge little.
    /// </summary>
    private static int DefaultMaxGap(ModbusTransport transport) => transport == ModbusTransport.Tcp ? 64 : 8;

    /// <summary>The <c>defaults</c> section: values every device takes unless it sets its own.</summary>
    private sealed record DeviceDefaults(
        string? Host, int? Port, ModbusTransport? Transport, TimeSpan? Timeout, TimeSpan? ConnectTimeout,
        TimeSpan? Pause, bool? ConnectPerCycle, int? MaxGap, int? MaxRegistersPerRead, TimeSpan? ReplanAfter)
    {
        public string? Serial { get; init; }

        public int? Baud { get; init; }

        public ModbusParity? Parity { get; init; }

        public int? DataBits { get; init; }

        public int? StopBits { get; init; }
    }

    private static DeviceDefaults ReadDeviceDefaults(YamlMapReader configuration)
    {
        if (configuration.Get("defaults") is not { } node)
        {
            return new DeviceDefaults(null, null, null, null, null, null, null, null, null, null);
        }

        var r = YamlMapReader.For(configuration.Source, node, "defaults");
        var defaults = new DeviceDefaults(
            r.Scalar("host"),
            r.WholeNumber("port", min: 1, max: 65535),
            r.Choice("transport", Transports),
            Duration(r, "timeout"),
            Duration(r, "connect_timeout"),
            Duration(r, "pause", allowZero: true),
            r.Boolean("connect_per_cycle"),
            r.WholeNumber("max_gap", min: 0, max: ModbusLimits.MaxReadRegisters),
            r.WholeNumber("max_registers_per_read", min: 1, max: ModbusLimits.MaxReadRegisters),
            Duration(r, "replan_after"))
        {
            Serial = r.Scalar("serial"),
            Baud = r.WholeNumber("baud", min: 300, max: 4_000_000),
            Parity = r.Choice("parity", Parities),
            DataBits = r.WholeNumber("data_bits", min: 7, max: 8),
            StopBits = r.WholeNumber("stop_bits", min: 1, max: 2),
        };
        if (defaults.Serial is not null && defaults.Host is not null)
        {
            r.Source.Report(r.Get("serial")!, "defaults: names both 'host' and 'serial'; devices take one of them");
        }

        r.ReportUnknownKeys();
        return defaults;
    }

    internal static TimeSpan? Duration(YamlMapReader r, string key, bool allowZero = false)
    {
        var text = r.Scalar(key);
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParse(text, out var duration) && (duration > TimeSpan.Zero || (allowZero && duration == TimeSpan.Zero)))
        {
            return duration;
        }

        r.Source.Report(r.Get(key)!, $"{r.What}: '{key}' must be a duration such as 500ms, 1s or 2m, got '{text}'");
        return null;
    }

    /// <summary>
    /// Devices behind one endpoint share its connection, so they must agree on how to use it; each keeps its own
    /// <c>timeout</c>. On a bus every unit id answers for one device only: two would answer at once and collide.
    /// </summary>
    private static void CheckSharedEndpoint(YamlMapReader reader, DeviceConfiguration device, List<DeviceConfiguration> earlier)
    {
        var other = earlier.FirstOrDefault(d => d.Endpoint == device.Endpoint);
        if (other is null)
        {
            return;
        }

        if (device.Serial is not null && earlier.FirstOrDefault(d => d.Endpoint == device.Endpoint && d.Unit == device.Unit) is { } sameUnit)
        {
            reader.Source.Report(reader.Get("unit") ?? reader.Node, $"{reader.What}: unit {device.Unit} on {device.Endpoint} is already device '{sameUnit.Id}'; two meters with one address on a bus answer at once and garble both answers");
            return;
        }

        var difference =
            other.Transport != device.Transport ? "transport"
            : other.Serial != device.Serial ? "baud, parity or stop_bits"
            : other.ConnectTimeout != device.ConnectTimeout ? "connect_timeout"
            : other.Pause != device.Pause ? "pause"
            : other.ConnectPerCycle != device.ConnectPerCycle ? "connect_per_cycle"
            : null;
        if (difference is not null)
        {
            reader.Source.Report(reader.Node, $"{reader.What}: shares {device.Endpoint} with device '{other.Id}' but sets another '{difference}'; devices behind one endpoint share its connection");
        }
    }
}
