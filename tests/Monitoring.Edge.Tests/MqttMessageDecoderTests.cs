using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using static Monitoring.Edge.Tests.SparkplugPayloads;

namespace Monitoring.Edge.Tests;

/// <summary>How each payload format becomes readings, without a broker (the broker tests are in MqttInputTests).</summary>
public sealed class MqttMessageDecoderTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);

    private MqttMessageDecoder Decoder(string subscriptions)
    {
        var result = EdgeConfigurationLoader.Load("edge.yaml", $"""
            site: casa
            agent: gw
            mqtt_inputs:
              - url: mqtt://h
                subscriptions:
            {subscriptions}
            """);
        Assert.True(result.Configuration is not null, string.Join(Environment.NewLine, result.Errors));
        return new MqttMessageDecoder("casa", result.Configuration!.MqttInputs![0].Subscriptions, _time);
    }

    private static string Readings(DecodedMessage message) =>
        string.Join(" | ", message.Readings.Select(r => $"{r.Meter} {r.Reading.Field}={r.Reading.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} @{r.Reading.Timestamp.ToUnixTimeMilliseconds()}"));

    private const string JsonSubscription = """
              - topic: factory/{site}/{meter}/state
                format: json
                fields:
                  - { field: energy_import_kwh, path: $.energy.total, unit: Wh }
                  - { field: power_kw, path: "$['power W']", unit: W }
                  - { field: pf, path: "$.pf[1]" }
                timestamp: { path: $.ts, format: iso8601 }
        """;

    [Fact]
    public void Json_fields_are_picked_by_path_converted_and_stamped()
    {
        var message = Decoder(JsonSubscription).Decode("factory/casa/m-1/state", """{"energy":{"total":123456},"power W":"1520.5","pf":[0.5,0.92],"ts":"2025-03-01T09:59:00Z"}"""u8.ToArray(), Now);

        Assert.Null(message.Error);
        Assert.Equal("m-1 energy_import_kwh=123.456 @1740823140000 | m-1 power_kw=1.5205 @1740823140000 | m-1 pf=0.92 @1740823140000", Readings(message));
    }

    [Theory]
    [InlineData("""{"energy":{"total":"lots"},"ts":"2025-03-01T09:59:00Z"}""", "$.energy.total (energy_import_kwh) must be a number, got '\"lots\"'")]
    [InlineData("""{"energy":""", "not valid JSON: ")]
    [InlineData("""{"other":1,"ts":"2025-03-01T09:59:00Z"}""", "none of the configured paths ($.energy.total, $['power W'], $.pf[1]) is in the message")]
    [InlineData("""{"energy":{"total":1}}""", "timestamp $.ts is not in the message")]
    [InlineData("""{"energy":{"total":1},"ts":"2025-03-05T00:00:00Z"}""", "timestamp $.ts: 2025-03-05T00:00:00.0000000Z is in the future")]
    public void Bad_json_payloads_are_rejected_with_the_reason(string payload, string reason)
    {
        var message = Decoder(JsonSubscription).Decode("factory/casa/m-1/state", Encoding.UTF8.GetBytes(payload), Now);

        Assert.Equal(RejectReason.Payload, message.Rejected);
        Assert.StartsWith(reason, message.Error, StringComparison.Ordinal);
        Assert.Empty(message.Readings);
    }

    [Fact]
    public void A_topic_of_another_site_is_rejected_as_such()
    {
        var message = Decoder(JsonSubscription).Decode("factory/tanger/m-1/state", """{"energy":{"total":1}}"""u8.ToArray(), Now);

        Assert.Equal((RejectReason.Site, "site 'tanger' in the topic is not this agent's site 'casa'"), (message.Rejected, message.Error));
    }

    [Fact]
    public void A_meter_segment_that_is_not_an_id_is_rejected_unless_renamed()
    {
        var decoder = Decoder("""
                  - topic: m/{meter}
                    format: number
                    field: volume_m3
                    scale: 0.001
                    meters: { "Water Main": water-main }
            """);

        Assert.Equal("water-main volume_m3=1.5 @1740823200000", Readings(decoder.Decode("m/Water Main", " 1500 \n"u8.ToArray(), Now)));
        Assert.Equal(RejectReason.Meter, decoder.Decode("m/Other Meter", "1"u8.ToArray(), Now).Rejected);
        var bad = decoder.Decode("m/water-main", "1,5"u8.ToArray(), Now);
        Assert.Equal((RejectReason.Payload, "expected a plain number for volume_m3, got '1,5'"), (bad.Rejected, bad.Error));
    }

    [Fact]
    public void Unix_timestamps_in_seconds_and_milliseconds()
    {
        var seconds = Decoder("""
                  - { topic: "s/{meter}", format: json, fields: [{ field: power_kw, path: $.p }], timestamp: { path: $.t, format: unix_s } }
                  - { topic: "ms/{meter}", format: json, fields: [{ field: power_kw, path: $.p }], timestamp: { path: $.t, format: unix_ms } }
            """);

        Assert.Equal("m power_kw=2 @1740823140500", Readings(seconds.Decode("s/m", """{"p":2,"t":1740823140.5}"""u8.ToArray(), Now)));
        Assert.Equal("m power_kw=2 @1740823140500", Readings(seconds.Decode("ms/m", """{"p":2,"t":1740823140500}"""u8.ToArray(), Now)));
        Assert.Contains("is before 2000", seconds.Decode("ms/m", """{"p":2,"t":1740823140}"""u8.ToArray(), Now).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_protocol_is_validated_completed_and_made_float()
    {
        var decoder = Decoder("""
                  - { topic: lp/#, format: line_protocol, precision: s }
                  - { topic: "lpm/{meter}", format: line_protocol }
            """);

        var message = decoder.Decode("lp/x", "meter,host=gw,meter=m-2 energy_import_kwh=42i,power_kw=1.5 1740823140\nmeter,site=casa,meter=m-3 volume_m3=7u\n"u8.ToArray(), Now);
        Assert.Null(message.Error);
        Assert.Equal("m-2 energy_import_kwh=42 @1740823140000 | m-2 power_kw=1.5 @1740823140000 | m-3 volume_m3=7 @1740823200000", Readings(message));

        Assert.Equal("m-4 power_kw=3 @1740823200000", Readings(decoder.Decode("lpm/m-4", "meter power_kw=3"u8.ToArray(), Now)));
        Assert.Equal((RejectReason.Meter, "line 1: meter 'm-5' contradicts the topic's meter 'm-4'"), Reject(decoder.Decode("lpm/m-4", "meter,meter=m-5 power_kw=3"u8.ToArray(), Now)));
        Assert.Equal((RejectReason.Site, "line 2: site 'tanger' is not this agent's site"), Reject(decoder.Decode("lp/x", "meter,meter=a power_kw=1\nmeter,site=tanger,meter=b power_kw=2"u8.ToArray(), Now)));
        Assert.Equal((RejectReason.Payload, "line 1: 'power_w' is not a field of the vocabulary"), Reject(decoder.Decode("lp/x", "meter,meter=a power_w=1"u8.ToArray(), Now)));
        Assert.Equal((RejectReason.Payload, "line 1: measurement must be 'meter', got 'cpu'"), Reject(decoder.Decode("lp/x", "cpu,meter=a usage=1"u8.ToArray(), Now)));
        Assert.Equal((RejectReason.Meter, "line 1: no meter tag, and the topic gives no meter"), Reject(decoder.Decode("lp/x", "meter power_kw=1"u8.ToArray(), Now)));
        Assert.Equal(RejectReason.Payload, decoder.Decode("lp/x", "meter,meter=a power_kw="u8.ToArray(), Now).Rejected);

        static (RejectReason?, string?) Reject(DecodedMessage m) => (m.Rejected, m.Error);
    }

    private const string SparkplugSubscription = """
              - topic: spBv1.0/{site}/#
                format: sparkplug_b
                meters: { "EM 1": em-1 }
                metrics:
                  - { metric: Energy/Import, field: energy_import_kwh, unit: Wh }
                  - { metric: Power, field: power_kw, unit: W }
                  - { metric: Flow, field: flow_m3h }
        """;

    [Fact]
    public void Sparkplug_births_bind_aliases_and_data_becomes_readings()
    {
        var decoder = Decoder(SparkplugSubscription);
        const ulong T = 1740823000000;

        var nbirth = decoder.Decode("spBv1.0/casa/NBIRTH/gw-7", Payload(0, T, BdSeq(3), Birth("Flow", 10, 2.5)), Now);
        var dbirth = decoder.Decode("spBv1.0/casa/DBIRTH/gw-7/EM 1", Payload(1, T, Birth("Energy/Import", 1, 1000), BirthFloat("Power", 2, 920.1f), BirthInt32("Temperature", 3, -4)), Now);
        var ddata = decoder.Decode("spBv1.0/casa/DDATA/gw-7/EM 1", Payload(2, T + 1000, Data(1, 1500, timestamp: T + 900), DataFloat(2, 0.92f)), Now);

        Assert.Equal("gw-7 flow_m3h=2.5 @1740823000000", Readings(nbirth));
        Assert.Equal("em-1 energy_import_kwh=1 @1740823000000 | em-1 power_kw=0.9201 @1740823000000", Readings(dbirth));
        Assert.Equal("em-1 energy_import_kwh=1.5 @1740823000900 | em-1 power_kw=0.00092 @1740823001000", Readings(ddata));
        Assert.Empty(nbirth.Rebirths.Concat(dbirth.Rebirths).Concat(ddata.Rebirths));
        Assert.True(decoder.Sparkplug.IsDeviceOnline("casa", "gw-7", "EM 1"));
    }

    [Fact]
    public void Sparkplug_unknown_alias_seq_gap_and_unborn_nodes_ask_for_a_rebirth_once_per_interval()
    {
        var decoder = Decoder(SparkplugSubscription);
        decoder.Decode("spBv1.0/casa/NBIRTH/gw-7", Payload(0, 1, BdSeq(0)), Now);
        decoder.Decode("spBv1.0/casa/DBIRTH/gw-7/EM 1", Payload(1, 1, Birth("Energy/Import", 1, 1000)), Now);

        var unknown = decoder.Decode("spBv1.0/casa/DDATA/gw-7/EM 1", Payload(2, 1740823000000, Data(1, 2000), Data(99, 5)), Now);
        Assert.Equal([("casa", "gw-7")], unknown.Rebirths);
        Assert.Equal(1, unknown.UnknownAliases);
        Assert.Equal("em-1 energy_import_kwh=2 @1740823000000", Readings(unknown)); // what resolves is kept

        var gap = decoder.Decode("spBv1.0/casa/DDATA/gw-7/EM 1", Payload(5, 1740823000000, Data(1, 2100)), Now);
        Assert.Equal(1, gap.SeqGaps);
        Assert.Empty(gap.Rebirths); // asked less than 5 s ago

        _time.Advance(SparkplugSession.RebirthInterval);
        var gapLater = decoder.Decode("spBv1.0/casa/DDATA/gw-7/EM 1", Payload(7, 1740823000000, Data(1, 2200)), Now);
        Assert.Equal([("casa", "gw-7")], gapLater.Rebirths);

        var unborn = decoder.Decode("spBv1.0/casa/NDATA/gw-9", Payload(4, 1740823000000, Data(1, 1)), Now);
        Assert.Equal([("casa", "gw-9")], unborn.Rebirths);

        var wraps = decoder.Decode("spBv1.0/casa/NBIRTH/gw-8", Payload(255, 1, BdSeq(0)), Now);
        Assert.Equal(0, decoder.Decode("spBv1.0/casa/NDATA/gw-8", Payload(0, 1), Now).SeqGaps);
        Assert.Empty(wraps.Rebirths);
    }

    [Fact]
    public void Sparkplug_historical_metrics_keep_their_timestamps_and_deaths_mark_devices_offline()
    {
        var decoder = Decoder(SparkplugSubscription);
        decoder.Decode("spBv1.0/casa/NBIRTH/gw-7", Payload(0, 1, BdSeq(4)), Now);
        decoder.Decode("spBv1.0/casa/DBIRTH/gw-7/EM 1", Payload(1, 1, Birth("Energy/Import", 1, 1000)), Now);

        var backfill = decoder.Decode("spBv1.0/casa/DDATA/gw-7/EM 1", Payload(2, 1740823000000, Data(1, 900, timestamp: 1740736800000, historical: true)), Now);
        Assert.Equal("em-1 energy_import_kwh=0.9 @1740736800000", Readings(backfill));
        Assert.Equal(1, backfill.Backfilled);

        decoder.Decode("spBv1.0/casa/DDEATH/gw-7/EM 1", Payload(3, 1), Now);
        Assert.False(decoder.Sparkplug.IsDeviceOnline("casa", "gw-7", "EM 1"));
        Assert.Equal(1, decoder.Sparkplug.DevicesOffline);

        decoder.Decode("spBv1.0/casa/DBIRTH/gw-7/EM 1", Payload(4, 1, Birth("Energy/Import", 1, 1000)), Now);
        Assert.True(decoder.Sparkplug.IsDeviceOnline("casa", "gw-7", "EM 1"));

        // A stale will (bdSeq of an earlier session) does not kill the node; the current one does.
        decoder.Decode("spBv1.0/casa/NDEATH/gw-7", Payload(null, 1, BdSeq(3)), Now);
        Assert.True(decoder.Sparkplug.IsNodeOnline("casa", "gw-7"));
        decoder.Decode("spBv1.0/casa/NDEATH/gw-7", Payload(null, 1, BdSeq(4)), Now);
        Assert.False(decoder.Sparkplug.IsNodeOnline("casa", "gw-7"));
        Assert.False(decoder.Sparkplug.IsDeviceOnline("casa", "gw-7", "EM 1"));
    }

    [Fact]
    public void Sparkplug_garbage_and_foreign_groups_are_rejected()
    {
        var decoder = Decoder(SparkplugSubscription);

        Assert.Equal(RejectReason.Payload, decoder.Decode("spBv1.0/casa/NBIRTH/gw-7", new byte[] { 0xFF, 0xFF, 0xFF }, Now).Rejected);
        Assert.Equal(RejectReason.Site, decoder.Decode("spBv1.0/tanger/NBIRTH/gw-7", Payload(0, 1), Now).Rejected);
        Assert.Equal(RejectReason.Meter, decoder.Decode("spBv1.0/casa/NBIRTH/Gateway 7", Payload(0, 1), Now).Rejected);
        var command = decoder.Decode("spBv1.0/casa/NCMD/gw-7", SparkplugSession.RebirthCommand(Now), Now);
        Assert.Null(command.Rejected);
        Assert.Empty(command.Readings);
    }

    [Fact]
    public void The_rebirth_command_is_the_node_control_metric()
    {
        var command = Monitoring.Edge.Inputs.Mqtt.Sparkplug.Payload.Parser.ParseFrom(SparkplugSession.RebirthCommand(Now));

        var metric = Assert.Single(command.Metrics);
        Assert.Equal(("Node Control/Rebirth", SparkplugPayloads.Boolean, true), (metric.Name, metric.Datatype, metric.BooleanValue));
        Assert.Equal((ulong)Now.ToUnixTimeMilliseconds(), command.Timestamp);
        Assert.Equal("spBv1.0/casa/NCMD/gw-7", SparkplugSession.CommandTopic("casa", "gw-7"));
        Assert.NotEmpty(command.ToByteArray());
    }
}
