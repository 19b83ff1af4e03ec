using Monitoring.Domain.Configuration;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Profiles;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>Reads and validates the <c>mqtt_inputs</c> section; every error carries its file, line and column.</summary>
internal static class MqttInputReader
{
    private static readonly Dictionary<string, MqttPayloadFormat> Formats = new(StringComparer.Ordinal)
    {
        ["json"] = MqttPayloadFormat.Json,
        ["number"] = MqttPayloadFormat.Number,
        ["line_protocol"] = MqttPayloadFormat.LineProtocol,
        ["sparkplug_b"] = MqttPayloadFormat.SparkplugB,
    };

    private static readonly Dictionary<string, JsonTimestampFormat> TimestampFormats = new(StringComparer.Ordinal)
    {
        ["unix_s"] = JsonTimestampFormat.UnixSeconds,
        ["unix_ms"] = JsonTimestampFormat.UnixMilliseconds,
        ["iso8601"] = JsonTimestampFormat.Iso8601,
    };

    private static readonly Dictionary<string, TimestampPrecision> Precisions = new(StringComparer.Ordinal)
    {
        ["ns"] = TimestampPrecision.Nanoseconds,
        ["us"] = TimestampPrecision.Microseconds,
        ["ms"] = TimestampPrecision.Milliseconds,
        ["s"] = TimestampPrecision.Seconds,
    };

    /// <summary>The keys that belong to one format only, to say so when another format's subscription uses them.</summary>
    private static readonly (string Key, MqttPayloadFormat Format)[] FormatKeys =
    [
        ("fields", MqttPayloadFormat.Json),
        ("timestamp", MqttPayloadFormat.Json),
        ("field", MqttPayloadFormat.Number),
        ("unit", MqttPayloadFormat.Number),
        ("scale", MqttPayloadFormat.Number),
        ("offset", MqttPayloadFormat.Number),
        ("precision", MqttPayloadFormat.LineProtocol),
        ("metrics", MqttPayloadFormat.SparkplugB),
    ];

    public const string SparkplugNamespace = "spBv1.0";

    public static List<MqttInputSettings> Read(YamlMapReader configuration, string? site, string? agent, bool resolveSecrets)
    {
        var inputs = new List<MqttInputSettings>();
        var clientIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var index = 0;
        foreach (var node in configuration.Sequence("mqtt_inputs"))
        {
            index++;
            var r = YamlMapReader.For(configuration.Source, node, $"mqtt input {index.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            var input = ReadInput(r, site, agent, index, resolveSecrets);
            if (input is null)
            {
                continue;
            }

            var key = $"{input.Host}:{input.Port}/{input.ClientId}";
            if (clientIds.TryGetValue(key, out var first))
            {
                configuration.Source.Report(r.Get("client_id") ?? node, $"{r.What}: client id '{input.ClientId}' is already used for {input.Host}:{input.Port} (at {first}); the broker would disconnect one of them");
                continue;
            }

            clientIds.Add(key, r.Location);
            inputs.Add(input);
        }

        return inputs;
    }

    private static MqttInputSettings? ReadInput(YamlMapReader r, string? site, string? agent, int index, bool resolveSecrets)
    {
        var urlText = r.Scalar("url", required: true);
        Uri? url = null;
        if (urlText is not null)
        {
            if (Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) && parsed.Scheme is "mqtt" or "mqtts" && parsed.Host.Length > 0
                && parsed.AbsolutePath is "" or "/" && parsed.Query.Length == 0 && parsed.UserInfo.Length == 0)
            {
                url = parsed;
                r.What = $"mqtt input '{urlText}'";
            }
            else
            {
                r.Source.Report(r.Get("url")!, $"{r.What}: 'url' must be mqtt://host:port or mqtts://host:port (TLS), without credentials or path, got '{urlText}'");
            }
        }

        var username = r.Scalar("username");
        var password = EdgeConfigurationLoader.Secret(r, "password", resolveSecrets);
        var protocol = ReadProtocol(r);
        var clientId = r.Scalar("client_id") ?? $"monitoring-edge-{site}-{agent}-in{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (clientId.Length is 0 or > 256)
        {
            r.Source.Report(r.Get("client_id")!, $"{r.What}: 'client_id' must have 1 to 256 characters");
        }

        var qos = r.WholeNumber("qos", min: 0, max: 2) ?? 1;
        var sessionExpiry = EdgeConfigurationLoader.Duration(r, "session_expiry", allowZero: true) ?? TimeSpan.FromHours(1);
        var primaryHostId = r.Get("sparkplug") is { } sparkplug ? ReadPrimaryHost(YamlMapReader.For(r.Source, sparkplug, $"{r.What} sparkplug")) : null;
        var subscriptions = new List<MqttSubscriptionSettings>();
        var ok = true;
        var items = r.Sequence("subscriptions", required: true);
        if (items.Count == 0 && r.Has("subscriptions"))
        {
            r.Source.Report(r.Get("subscriptions")!, $"{r.What}: 'subscriptions' must list at least one topic");
        }

        foreach (var item in items)
        {
            var subscription = ReadSubscription(YamlMapReader.For(r.Source, item, $"{r.What} subscription"), site);
            ok &= subscription is not null;
            if (subscription is not null)
            {
                subscriptions.Add(subscription);
            }
        }

        r.ReportUnknownKeys();
        if (url is null || protocol is null || !ok || subscriptions.Count == 0)
        {
            return null;
        }

        var tls = url.Scheme == "mqtts";
        var port = url.IsDefaultPort || url.Port < 0 ? (tls ? 8883 : 1883) : url.Port;
        return new MqttInputSettings(url, url.Host, port, tls, username, password, protocol.Value, clientId, qos, sessionExpiry, subscriptions, primaryHostId);
    }

    /// <summary>
    /// <c>sparkplug: { primary_host_id: ... }</c>. The id is one level of the STATE topic, so it cannot hold the MQTT
    /// separators and wildcards that would make the topic another one or a filter.
    /// </summary>
    private static string? ReadPrimaryHost(YamlMapReader r)
    {
        var id = r.Scalar("primary_host_id", required: true);
        r.ReportUnknownKeys();
        if (id is not null && (id.Length == 0 || id.AsSpan().IndexOfAny("/+#\0") >= 0 || System.Text.Encoding.UTF8.GetByteCount(id) > 256))
        {
            r.Source.Report(r.Get("primary_host_id")!, $"{r.What}: 'primary_host_id' must be one MQTT topic level of 1 to 256 bytes, without '/', '+', '#' or NUL, got '{id}'");
            return null;
        }

        return id;
    }

    /// <summary>The <c>protocol</c> key of an MQTT connection (an input or the uplink): 5 unless it says 3.1.1.</summary>
    internal static MqttProtocol? ReadProtocol(YamlMapReader r)
    {
        var text = r.Scalar("protocol");
        switch (text)
        {
            case null or "5" or "5.0" or "v5":
                return MqttProtocol.V500;
            case "3.1.1" or "v3.1.1" or "4":
                return MqttProtocol.V311;
            default:
                r.Source.Report(r.Get("protocol")!, $"{r.What}: 'protocol' must be 5 or 3.1.1 (write it in quotes: '3.1.1'), got '{text}'");
                return null;
        }
    }

    private static MqttSubscriptionSettings? ReadSubscription(YamlMapReader r, string? agentSite)
    {
        var topicText = r.Scalar("topic", required: true);
        TopicPattern? topic = null;
        if (topicText is not null)
        {
            r.What = $"subscription '{topicText}'";
            topic = TopicPattern.Parse(topicText, out var problem);
            if (topic is null)
            {
                r.Source.Report(r.Get("topic")!, $"{r.What}: {problem}");
            }
        }

        var format = r.Choice("format", Formats, required: true);
        var site = r.Id("site");
        var meter = r.Id("meter");
        var ok = topic is not null && format is not null;
        if (site is not null && agentSite is not null && site != agentSite)
        {
            r.Source.Report(r.Get("site")!, $"{r.What}: site '{site}' is not this agent's site '{agentSite}'; an agent serves one site");
            ok = false;
        }

        if (topic is not null)
        {
            ok &= CheckTags(r, topic, format, site, meter);
        }

        List<FieldMapping>? fields = null;
        JsonTimestampSettings? timestamp = null;
        var precision = TimestampPrecision.Nanoseconds;
        switch (format)
        {
            case MqttPayloadFormat.Json:
                fields = ReadMappings(r, "fields", "path", required: true);
                timestamp = ReadTimestamp(r);
                ok &= r.Get("timestamp") is null || timestamp is not null;
                break;
            case MqttPayloadFormat.Number:
                fields = ReadNumberField(r);
                break;
            case MqttPayloadFormat.LineProtocol:
                precision = r.Choice("precision", Precisions) ?? TimestampPrecision.Nanoseconds;
                fields = [];
                break;
            case MqttPayloadFormat.SparkplugB:
                fields = ReadMappings(r, "metrics", "metric", required: true);
                break;
            default:
                break;
        }

        if (format is { } f)
        {
            foreach (var (key, owner) in FormatKeys.Where(k => k.Format != f))
            {
                if (r.Get(key) is { } misplaced)
                {
                    r.Source.Report(misplaced, $"{r.What}: '{key}' belongs to format {Formats.First(x => x.Value == owner).Key}, not {Formats.First(x => x.Value == f).Key}");
                    ok = false;
                }
            }
        }

        var meters = ReadMeters(r, ref ok);
        r.ReportUnknownKeys();
        return ok && fields is not null
            ? new MqttSubscriptionSettings(topic!, format!.Value, site, meter, fields, timestamp, precision, meters)
            : null;
    }

    /// <summary>Each reading needs a site and a meter: from the topic, fixed, or (line protocol, Sparkplug B) from the message.</summary>
    private static bool CheckTags(YamlMapReader r, TopicPattern topic, MqttPayloadFormat? format, string? site, string? meter)
    {
        var topicNode = r.Get("topic")!;
        if (topic.HasSite && site is not null)
        {
            r.Source.Report(r.Get("site")!, $"{r.What}: the site comes from the topic's {TopicPattern.SiteSegment} segment; remove 'site' or the segment");
            return false;
        }

        if (topic.HasMeter && meter is not null)
        {
            r.Source.Report(r.Get("meter")!, $"{r.What}: the meter comes from the topic's {TopicPattern.MeterSegment} segment; remove 'meter' or the segment");
            return false;
        }

        if (format is MqttPayloadFormat.Json or MqttPayloadFormat.Number && !topic.HasMeter && meter is null)
        {
            r.Source.Report(topicNode, $"{r.What}: which meter? put {TopicPattern.MeterSegment} in the topic (e.g. factory/{{meter}}/state) or set 'meter'");
            return false;
        }

        if (format is MqttPayloadFormat.SparkplugB)
        {
            var levels = topic.Text.Split('/');
            if (levels[0] != SparkplugNamespace)
            {
                r.Source.Report(topicNode, $"{r.What}: Sparkplug B topics start with '{SparkplugNamespace}/', e.g. {SparkplugNamespace}/{{site}}/# or {SparkplugNamespace}/my-group/#");
                return false;
            }

            if (topic.HasMeter)
            {
                r.Source.Report(topicNode, $"{r.What}: with sparkplug_b the meter is the device id (or the edge node id for node metrics); use 'meter' to fix it instead of {TopicPattern.MeterSegment}");
                return false;
            }

            if (topic.HasSite && levels.Length > 1 && levels[1] != TopicPattern.SiteSegment)
            {
                r.Source.Report(topicNode, $"{r.What}: with sparkplug_b {TopicPattern.SiteSegment} can only stand for the group id (the second level)");
                return false;
            }

            if (levels.Length > 2 && levels[2] is not ("+" or "#"))
            {
                r.Source.Report(topicNode, $"{r.What}: the message type level must be '+' or '#': births, data and deaths are all needed to follow aliases and seq");
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, string> ReadMeters(YamlMapReader r, ref bool ok)
    {
        var meters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (r.Get("meters") is not { } node)
        {
            return meters;
        }

        if (node is not YamlMappingNode map)
        {
            r.Source.Report(node, $"{r.What}: 'meters' must map ids found in messages to meter ids, e.g. {{ \"EM 01\": m-main }}");
            ok = false;
            return meters;
        }

        foreach (var (keyNode, valueNode) in map.Children)
        {
            var found = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var meter = (valueNode as YamlScalarNode)?.Value ?? string.Empty;
            if (!IdRules.IsValidId(meter))
            {
                r.Source.Report(valueNode, $"{r.What}: meters: '{meter}' is not a valid meter id ({IdRules.Description})");
                ok = false;
            }
            else if (!meters.TryAdd(found, meter))
            {
                r.Source.Report(keyNode, $"{r.What}: meters: '{found}' is mapped twice");
                ok = false;
            }
        }

        return meters;
    }

    private static JsonTimestampSettings? ReadTimestamp(YamlMapReader subscription)
    {
        if (subscription.Get("timestamp") is not { } node)
        {
            return null;
        }

        var r = YamlMapReader.For(subscription.Source, node, $"{subscription.What} timestamp");
        var pathText = r.Scalar("path", required: true);
        var format = r.Choice("format", TimestampFormats, required: true);
        r.ReportUnknownKeys();
        var path = pathText is null ? null : ParsePath(r, pathText);
        return path is null || format is null ? null : new JsonTimestampSettings(path, format.Value);
    }

    private static JsonPath? ParsePath(YamlMapReader r, string text)
    {
        var path = JsonPath.Parse(text, out var problem);
        if (path is null)
        {
            r.Source.Report(r.Get("path")!, $"{r.What}: JSON path '{text}': {problem}");
        }

        return path;
    }

    /// <summary><c>fields</c> (json, by <c>path</c>) or <c>metrics</c> (sparkplug_b, by <c>metric</c> name).</summary>
    private static List<FieldMapping>? ReadMappings(YamlMapReader subscription, string listKey, string sourceKey, bool required)
    {
        var mappings = new List<FieldMapping>();
        var ok = true;
        var items = subscription.Sequence(listKey, required);
        if (items.Count == 0 && subscription.Has(listKey))
        {
            subscription.Source.Report(subscription.Get(listKey)!, $"{subscription.What}: '{listKey}' must list at least one mapping");
            return null;
        }

        foreach (var item in items)
        {
            var r = YamlMapReader.For(subscription.Source, item, $"{subscription.What} {listKey[..^1]}");
            var source = r.Scalar(sourceKey, required: true);
            var path = source is not null && sourceKey == "path" ? ParsePath(r, source) : null;
            var mapping = ReadMapping(r, source);
            r.ReportUnknownKeys();
            if (mapping is null || source is null || (sourceKey == "path" && path is null))
            {
                ok = false;
                continue;
            }

            if (mappings.Any(m => m.Field == mapping.Field))
            {
                r.Source.Report(r.Get("field")!, $"{r.What}: field '{mapping.Field}' is mapped twice");
                ok = false;
                continue;
            }

            if (mappings.Any(m => m.Source == source))
            {
                r.Source.Report(r.Get(sourceKey)!, $"{r.What}: {sourceKey} '{source}' is mapped twice");
                ok = false;
                continue;
            }

            mappings.Add(mapping with { Source = source, Path = path });
        }

        return ok ? mappings : null;
    }

    private static List<FieldMapping>? ReadNumberField(YamlMapReader r)
    {
        var mapping = ReadMapping(r, source: null);
        return mapping is null ? null : [mapping];
    }

    /// <summary><c>field</c>, <c>scale</c>, <c>offset</c> and <c>unit</c>, the unit checked against the field's.</summary>
    private static FieldMapping? ReadMapping(YamlMapReader r, string? source)
    {
        var field = r.Scalar("field", required: true);
        var scale = r.Number("scale");
        var offset = r.Number("offset");
        var unit = r.Scalar("unit");
        if (field is null)
        {
            return null;
        }

        if (!FieldVocabulary.TryGet(field, out var vocabulary))
        {
            r.Source.Report(r.Get("field")!, $"{r.What}: '{field}' is not a field of the vocabulary (e.g. energy_import_kwh, power_kw, volume_m3; docs/configuration.md#fields)");
            return null;
        }

        var deviceUnit = unit is null ? vocabulary.Unit : FieldVocabulary.CanonicalUnit(unit);
        if (UnitConversion.Factor(deviceUnit, vocabulary.Unit) is not { } factor)
        {
            r.Source.Report(r.Get("unit")!, $"{r.What}: unit '{unit}' does not convert to {vocabulary.Unit} ({field})");
            return null;
        }

        return new FieldMapping(field, source, null, scale ?? 1, offset ?? 0, deviceUnit, factor);
    }
}
