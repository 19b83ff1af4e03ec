using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;

using static Monitoring.Edge.Tests.EdgeYaml;

namespace Monitoring.Edge.Tests;

public sealed class MqttInputConfigurationTests
{
    [Fact]
    public void A_gateway_with_only_mqtt_meters_needs_no_devices_and_gets_defaults()
    {
        var configuration = Valid("""
            site: casa-aero
            agent: gw-01
            mqtt_inputs:
              - url: mqtt://10.0.0.5
                subscriptions:
                  - topic: factory/{site}/{meter}/state
                    format: json
                    fields:
                      - { field: energy_import_kwh, path: $.energy.total, unit: Wh }
                      - { field: power_kw, path: "$.values[0]", scale: 0.5 }
                    timestamp: { path: $.ts, format: unix_ms }
            """);

        Assert.Empty(configuration.Devices);
        var input = Assert.Single(configuration.MqttInputs!);
        Assert.Equal(("10.0.0.5", 1883, false, MqttProtocol.V500, 1), (input.Host, input.Port, input.Tls, input.Protocol, input.Qos));
        Assert.Equal("monitoring-edge-casa-aero-gw-01-in1", input.ClientId);
        Assert.Equal(TimeSpan.FromHours(1), input.SessionExpiry);
        var subscription = Assert.Single(input.Subscriptions);
        Assert.Equal("factory/+/+/state", subscription.Topic.Filter);
        Assert.Equal(MqttPayloadFormat.Json, subscription.Format);
        Assert.Equal(0.001, subscription.Fields[0].UnitFactor);
        Assert.Equal(123.456, subscription.Fields[0].Convert(123456));
        Assert.Equal(0.75, subscription.Fields[1].Convert(1.5));
        Assert.Equal(JsonTimestampFormat.UnixMilliseconds, subscription.Timestamp!.Format);
    }

    [Fact]
    public void Every_format_and_the_connection_keys_are_read()
    {
        var passwordFile = Path.GetTempFileName();
        System.IO.File.WriteAllText(passwordFile, "s3cret\n");
        try
        {
            var configuration = Valid($"""
                site: s
                agent: a
                devices: []
                mqtt_inputs:
                  - url: mqtts://broker.example.org
                    username: edge
                    password_file: {passwordFile}
                    protocol: '3.1.1'
                    client_id: gw-meters
                    qos: 2
                    session_expiry: 1d
                    subscriptions:
                      - {"{"} topic: "meters/{"{meter}"}/volume", format: number, field: volume_m3, scale: 0.001 {"}"}
                      - {"{"} topic: telegraf/#, format: line_protocol, precision: s {"}"}
                      - topic: spBv1.0/{"{site}"}/#
                        format: sparkplug_b
                        meters: {"{"} "EM 01": m-main {"}"}
                        metrics:
                          - {"{"} metric: Energy/Import, field: energy_import_kwh, unit: Wh {"}"}
                """);

            var input = Assert.Single(configuration.MqttInputs!);
            Assert.Equal((8883, true, "edge", "s3cret", MqttProtocol.V311, "gw-meters", 2), (input.Port, input.Tls, input.Username, input.Password, input.Protocol, input.ClientId, input.Qos));
            Assert.Equal(TimeSpan.FromDays(1), input.SessionExpiry);
            Assert.Equal([MqttPayloadFormat.Number, MqttPayloadFormat.LineProtocol, MqttPayloadFormat.SparkplugB], input.Subscriptions.Select(s => s.Format));
            Assert.Equal(("volume_m3", 1.5), (input.Subscriptions[0].Fields[0].Field, input.Subscriptions[0].Fields[0].Convert(1500)));
            Assert.Equal(TimestampPrecision.Seconds, input.Subscriptions[1].Precision);
            Assert.Equal("m-main", input.Subscriptions[2].MapMeter("EM 01"));
            Assert.Equal("Energy/Import", input.Subscriptions[2].Fields[0].Source);
        }
        finally
        {
            System.IO.File.Delete(passwordFile);
        }
    }

    [Fact]
    public void An_inline_password_is_refused()
    {
        Assert.Equal(
            "edge.yaml:6:15: mqtt input 'mqtt://h:1883': do not write the password in this file; use 'password_env' (an environment variable) or 'password_file' (a file)",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h:1883
                    username: u
                    password: hunter2
                    subscriptions: [{ topic: "m/{meter}", format: number, field: power_kw }]
                """));
    }

    [Fact]
    public void A_url_that_is_not_mqtt_is_refused()
    {
        Assert.Equal(
            "edge.yaml:4:10: mqtt input 1: 'url' must be mqtt://host:port or mqtts://host:port (TLS), without credentials or path, got 'http://h:1883'",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: http://h:1883
                    subscriptions: [{ topic: "m/{meter}", format: number, field: power_kw }]
                """));
    }

    [Fact]
    public void A_primary_host_id_is_read_and_must_be_one_topic_level()
    {
        const string Input = """
            site: s
            agent: a
            mqtt_inputs:
              - url: mqtt://h
                sparkplug: { primary_host_id: HOST }
                subscriptions: [{ topic: "spBv1.0/s/#", format: sparkplug_b, metrics: [{ metric: Power, field: power_kw }] }]
            """;
        Assert.Equal("scada-1", Assert.Single(Valid(Input.Replace("HOST", "scada-1", StringComparison.Ordinal)).MqttInputs!).PrimaryHostId);
        Assert.Null(Assert.Single(Valid(Input.Replace("sparkplug: { primary_host_id: HOST }", "qos: 1", StringComparison.Ordinal)).MqttInputs!).PrimaryHostId);
        Assert.Equal(
            "edge.yaml:5:35: mqtt input 'mqtt://h' sparkplug: 'primary_host_id' must be one MQTT topic level of 1 to 256 bytes, without '/', '+', '#' or NUL, got 'plant/scada'",
            SingleError(Input.Replace("HOST", "plant/scada", StringComparison.Ordinal)));
        Assert.Equal(
            "edge.yaml:5:35: mqtt input 'mqtt://h' sparkplug: 'primary_host_id' must be one MQTT topic level of 1 to 256 bytes, without '/', '+', '#' or NUL, got 'scada+'",
            SingleError(Input.Replace("HOST", "'scada+'", StringComparison.Ordinal)));
        Assert.Equal(
            "edge.yaml:5:18: mqtt input 'mqtt://h' sparkplug: unknown key 'primary_host'",
            Assert.Single(EdgeConfigurationLoader.Load(EdgeYaml.File, Input.Replace("primary_host_id: HOST", "primary_host: scada-1", StringComparison.Ordinal)).Errors, e => e.ToString().Contains("unknown key", StringComparison.Ordinal)).ToString());
    }

    [Fact]
    public void The_uplink_protocol_is_5_unless_it_says_3_1_1_and_belongs_to_an_mqtt_uplink()
    {
        const string Uplink = """
            site: s
            agent: a
            devices: []
            uplink: { url: "URL"PROTOCOL }
            """;
        string Yaml(string url, string protocol) => Uplink.Replace("URL", url, StringComparison.Ordinal).Replace("PROTOCOL", protocol, StringComparison.Ordinal);
        Assert.Equal(MqttProtocol.V500, Valid(Yaml("mqtt://h:1883", "")).Uplink!.Protocol);
        Assert.Equal(MqttProtocol.V500, Valid(Yaml("mqtt://h:1883", ", protocol: 5")).Uplink!.Protocol);
        Assert.Equal(MqttProtocol.V311, Valid(Yaml("mqtt://h:1883", ", protocol: '3.1.1'")).Uplink!.Protocol);
        Assert.Equal(
            "edge.yaml:4:43: uplink: 'protocol' must be 5 or 3.1.1 (write it in quotes: '3.1.1'), got '3.1'",
            SingleError(Yaml("mqtt://h:1883", ", protocol: 3.1")));
        Assert.Equal(
            "edge.yaml:4:43: uplink: 'protocol' (the MQTT version) applies to an mqtt:// uplink only",
            SingleError(Yaml("http://h:8086", ", protocol: '3.1.1'")));
    }

    [Fact]
    public void A_json_subscription_without_a_meter_says_where_to_put_it()
    {
        Assert.Equal(
            "edge.yaml:6:16: subscription 'factory/state': which meter? put {meter} in the topic (e.g. factory/{meter}/state) or set 'meter'",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions:
                      - topic: factory/state
                        format: json
                        fields: [{ field: power_kw, path: $.p }]
                """));
    }

    [Fact]
    public void A_bad_json_path_and_an_unconvertible_unit_are_both_reported_with_positions()
    {
        var result = EdgeConfigurationLoader.Load(EdgeYaml.File, """
            site: s
            agent: a
            mqtt_inputs:
              - url: mqtt://h
                subscriptions:
                  - topic: f/{meter}
                    format: json
                    fields:
                      - { field: power_kw, path: energy.total }
                      - { field: energy_import_kwh, path: $.e, unit: m3 }
            """);

        Assert.Null(result.Configuration);
        Assert.Equal(
            [
                "edge.yaml:9:38: subscription 'f/{meter}' field: JSON path 'energy.total': a JSON path starts with '$', e.g. $.energy.total",
                "edge.yaml:10:58: subscription 'f/{meter}' field: unit 'm3' does not convert to kWh (energy_import_kwh)",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_fixed_site_must_be_the_agents()
    {
        Assert.Equal(
            "edge.yaml:8:15: subscription 'plant/{meter}/kwh': site 'tanger' is not this agent's site 'casa'; an agent serves one site",
            SingleError("""
                site: casa
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions:
                      - topic: plant/{meter}/kwh
                        format: number
                        site: tanger
                        field: energy_import_kwh
                """));
    }

    [Fact]
    public void A_key_of_another_format_is_named_as_such()
    {
        Assert.Equal(
            "edge.yaml:8:17: subscription 'm/{meter}': 'fields' belongs to format json, not number",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions:
                      - topic: m/{meter}
                        format: number
                        fields: [{ field: power_kw, path: $.p }]
                        field: power_kw
                """));
    }

    [Fact]
    public void Sparkplug_subscriptions_must_receive_every_message_type()
    {
        Assert.Equal(
            "edge.yaml:6:16: subscription 'spBv1.0/g/DDATA/#': the message type level must be '+' or '#': births, data and deaths are all needed to follow aliases and seq",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions:
                      - topic: spBv1.0/g/DDATA/#
                        format: sparkplug_b
                        metrics: [{ metric: Power, field: power_kw, unit: W }]
                """));
    }

    [Fact]
    public void Topic_patterns_reject_partial_named_segments_and_misplaced_wildcards()
    {
        Assert.Equal(
            "edge.yaml:5:30: subscription 'meters/m-{meter}': segment 'm-{meter}': a named segment is a whole level and is either {site} or {meter}",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions: [{ topic: "meters/m-{meter}", format: number, field: power_kw }]
                """));
        Assert.Equal(
            "edge.yaml:5:30: subscription 'a/#/b': '#' must be the last level",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions: [{ topic: a/#/b, format: line_protocol }]
                """));
    }

    [Fact]
    public void The_protocol_is_5_or_3_1_1_and_typos_are_caught()
    {
        Assert.Equal(
            "edge.yaml:5:15: mqtt input 'mqtt://h': 'protocol' must be 5 or 3.1.1 (write it in quotes: '3.1.1'), got '3.1'",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    protocol: 3.1
                    subscriptions: [{ topic: "m/{meter}", format: number, field: power_kw }]
                """));
        Assert.Equal(
            "edge.yaml:7:9: subscription 'm/{meter}': unknown key 'formt' (did you mean 'format'?)",
            SingleError("""
                site: s
                agent: a
                mqtt_inputs:
                  - url: mqtt://h
                    subscriptions:
                      - topic: m/{meter}
                        formt: number
                        format: number
                        field: power_kw
                """));
    }

    [Fact]
    public void The_examples_of_docs_edge_md_are_valid()
    {
        Environment.SetEnvironmentVariable("MQTT_PASSWORD_DOCS_TEST", "x");
        var configuration = Valid("""
            site: casa-aero
            agent: gw-01
            mqtt_inputs:
              - url: mqtt://192.168.10.5:1883
                username: edge-gw-01
                password_env: MQTT_PASSWORD_DOCS_TEST
                protocol: 5
                client_id: gw-01-meters
                qos: 1
                sparkplug: { primary_host_id: scada-1 } # optional: the agent is the Sparkplug B primary host on this broker
                subscriptions:
                  - topic: factory/{site}/{meter}/state
                    format: json
                    fields:
                      - { field: energy_import_kwh, path: $.energy.total, unit: Wh }
                      - { field: power_kw, path: $.power, unit: W }
                      - { field: pf, path: "$.phases[0].pf" }
                    timestamp: { path: $.ts, format: unix_ms }
                  - { topic: "meters/{meter}/volume", format: number, field: volume_m3, scale: 0.001 }
                  - { topic: "telegraf/#", format: line_protocol, precision: s }
                  - topic: spBv1.0/{site}/#
                    format: sparkplug_b
                    meters: { "EM 1": compressors }
                    metrics:
                      - { metric: Energy/Import, field: energy_import_kwh, unit: Wh }
                      - { metric: Power/Total, field: power_kw, unit: W }
            """);

        Assert.Equal(4, configuration.MqttInputs![0].Subscriptions.Count);
        Assert.Equal("x", configuration.MqttInputs[0].Password);
        Assert.Equal("scada-1", configuration.MqttInputs[0].PrimaryHostId);
    }

    [Theory]
    [InlineData("factory/{site}/{meter}/state", "factory/casa/m-1/state", true, "casa", "m-1")]
    [InlineData("factory/{site}/{meter}/state", "factory/casa/m-1/state/extra", false, null, null)]
    [InlineData("meters/{meter}/#", "meters/m-2", true, null, "m-2")]
    [InlineData("meters/{meter}/#", "meters/m-2/a/b", true, null, "m-2")]
    [InlineData("+/{meter}", "$SYS/broker", false, null, null)]
    [InlineData("#", "anything/at/all", true, null, null)]
    public void Topic_patterns_match_like_mqtt_filters_and_capture_named_segments(string pattern, string topic, bool matches, string? site, string? meter)
    {
        var parsed = TopicPattern.Parse(pattern, out var error);
        Assert.Null(error);
        Assert.Equal(matches, parsed!.TryMatch(topic, out var capturedSite, out var capturedMeter));
        Assert.Equal((site, meter), (capturedSite, capturedMeter));
    }
}
