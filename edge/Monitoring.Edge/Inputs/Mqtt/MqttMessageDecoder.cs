using System.Globalization;
using System.Text;
using System.Text.Json;
using Monitoring.Domain.Configuration;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Polling;
using Monitoring.LineProtocol;

namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>A reading and the meter it belongs to.</summary>
internal readonly record struct MeterReading(string Meter, Reading Reading);

/// <summary>Why a whole message was refused (each reason has its own counter).</summary>
internal enum RejectReason
{
    /// <summary>The payload cannot be read: not JSON, not a number, bad line protocol, bad protobuf, no mapped value.</summary>
    Payload,
    /// <summary>The message is for another site than the agent's.</summary>
    Site,
    /// <summary>The meter id is missing, not a valid id, or contradicts the topic.</summary>
    Meter,
    /// <summary>The topic matches none of the input's subscriptions.</summary>
    Topic,
}

/// <summary>What one message became: readings, or a rejection with its reason; Sparkplug B also asks for rebirths.</summary>
internal sealed class DecodedMessage
{
    public List<MeterReading> Readings { get; } = [];

    public RejectReason? Rejected { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Problems that did not reject the message (a metric skipped), for the log.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Sparkplug B edge nodes (group, node) to send a <c>Node Control/Rebirth</c> command to.</summary>
    public List<(string Group, string Node)> Rebirths { get; } = [];

    public int SeqGaps { get; set; }

    public int UnknownAliases { get; set; }

    public int Backfilled { get; set; }

    public bool Reject(RejectReason reason, string error)
    {
        Readings.Clear();
        Rejected = reason;
        Error = error;
        return false;
    }
}

/// <summary>
/// Turns one MQTT message into readings according to the first subscription whose topic pattern matches:
/// json, number, line_protocol or sparkplug_b. Not thread-safe (Sparkplug B state): one decoder per input,
/// used by one loop.
/// </summary>
internal sealed class MqttMessageDecoder(string site, IReadOnlyList<MqttSubscriptionSettings> subscriptions, TimeProvider time)
{
    /// <summary>Timestamps further ahead than this are a device clock (or a unix_s/unix_ms mix-up), not a reading.</summary>
    private static readonly TimeSpan MaxFuture = TimeSpan.FromDays(1);

    private static readonly DateTimeOffset MinTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SparkplugSession _sparkplug = new(time);

    public SparkplugSession Sparkplug => _sparkplug;

    public DecodedMessage Decode(string topic, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt)
    {
        var message = new DecodedMessage();
        MqttSubscriptionSettings? subscription = null;
        string? topicSite = null, topicMeter = null;
        foreach (var candidate in subscriptions)
        {
            if (candidate.Topic.TryMatch(topic, out topicSite, out topicMeter))
            {
                subscription = candidate;
                break;
            }
        }

        if (subscription is null)
        {
            message.Reject(RejectReason.Topic, "the topic matches no subscription");
            return message;
        }

        if (topicSite is not null && topicSite != site)
        {
            message.Reject(RejectReason.Site, $"site '{topicSite}' in the topic is not this agent's site '{site}'");
            return message;
        }

        string? meter = subscription.Meter;
        if (topicMeter is not null && !TryMeter(subscription, topicMeter, message, out meter))
        {
            return message;
        }

        switch (subscription.Format)
        {
            case MqttPayloadFormat.Json:
                DecodeJson(subscription, meter!, payload, receivedAt, message);
                break;
            case MqttPayloadFormat.Number:
                DecodeNumber(subscription, meter!, payload, receivedAt, message);
                break;
            case MqttPayloadFormat.LineProtocol:
                DecodeLineProtocol(subscription, meter, payload, receivedAt, message);
                break;
            case MqttPayloadFormat.SparkplugB:
                _sparkplug.Decode(subscription, topic, payload, receivedAt, message);
                break;
            default:
                throw new InvalidOperationException($"unknown format {subscription.Format}");
        }

        if (message.Rejected is null && message.Readings.Count == 0 && subscription.Format != MqttPayloadFormat.SparkplugB)
        {
            message.Reject(RejectReason.Payload, "the message holds no reading");
        }

        return message;
    }

    /// <summary>The meter id for an id found in a message (renamed by <c>meters</c>), which must be a valid id.</summary>
    internal static bool TryMeter(MqttSubscriptionSettings subscription, string found, DecodedMessage message, out string? meter)
    {
        meter = subscription.MapMeter(found);
        if (IdRules.IsValidId(meter))
        {
            return true;
        }

        meter = null;
        return message.Reject(RejectReason.Meter, $"meter '{found}' is not a valid meter id ({IdRules.Description}); rename it with 'meters'");
    }

    private static void DecodeJson(MqttSubscriptionSettings subscription, string meter, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt, DecodedMessage message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException ex)
        {
            message.Reject(RejectReason.Payload, $"not valid JSON: {ex.Message}");
            return;
        }

        using (document)
        {
            var timestamp = receivedAt;
            if (subscription.Timestamp is { } stamp)
            {
                if (!stamp.Path.TryEvaluate(document.RootElement, out var value))
                {
                    message.Reject(RejectReason.Payload, $"timestamp {stamp.Path} is not in the message");
                    return;
                }

                if (!TryTimestamp(value, stamp.Format, receivedAt, out timestamp, out var problem))
                {
                    message.Reject(RejectReason.Payload, $"timestamp {stamp.Path}: {problem}");
                    return;
                }
            }

            foreach (var field in subscription.Fields)
            {
                if (!field.Path!.TryEvaluate(document.RootElement, out var value))
                {
                    continue; // partial messages are common: a missing value is no reading, not an error
                }

                if (!TryNumber(value, out var raw))
                {
                    message.Reject(RejectReason.Payload, $"{field.Path} ({field.Field}) must be a number, got {Preview(value.GetRawText())}");
                    return;
                }

                message.Readings.Add(new MeterReading(meter, new Reading(timestamp, field.Field, field.Convert(raw))));
            }

            if (message.Readings.Count == 0)
            {
                message.Reject(RejectReason.Payload, $"none of the configured paths ({string.Join(", ", subscription.Fields.Select(f => f.Path!.Text))}) is in the message");
            }
        }
    }

    private static bool TryNumber(JsonElement value, out double number)
    {
        number = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDouble(out number) && double.IsFinite(number),
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number),
            _ => false,
        };
    }

    private static bool TryTimestamp(JsonElement value, JsonTimestampFormat format, DateTimeOffset receivedAt, out DateTimeOffset timestamp, out string? problem)
    {
        timestamp = default;
        problem = null;
        if (format == JsonTimestampFormat.Iso8601)
        {
            if (value.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp))
            {
                problem = $"expected an ISO 8601 date and time such as \"2025-03-01T10:15:00Z\", got {Preview(value.GetRawText())}";
                return false;
            }
        }
        else
        {
            if (!TryNumber(value, out var number))
            {
                problem = $"expected a number ({(format == JsonTimestampFormat.UnixSeconds ? "unix_s" : "unix_ms")}), got {Preview(value.GetRawText())}";
                return false;
            }

            var milliseconds = format == JsonTimestampFormat.UnixSeconds ? number * 1000 : number;
            if (milliseconds is < 0 or > 253_402_300_799_000)
            {
                problem = $"{Preview(value.GetRawText())} is out of range";
                return false;
            }

            // Whole milliseconds stay exact; fractions down to the 100 ns tick.
            timestamp = DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(milliseconds * TimeSpan.TicksPerMillisecond));
        }

        return CheckTimestamp(timestamp, receivedAt, out problem);
    }

    /// <summary>Refuses timestamps a day in the future or before 2000: a wrong clock or a unit mix-up, never a reading.</summary>
    internal static bool CheckTimestamp(DateTimeOffset timestamp, DateTimeOffset receivedAt, out string? problem)
    {
        problem = timestamp > receivedAt + MaxFuture ? $"{timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)} is in the future (unix_ms written as unix_s?)"
            : timestamp < MinTimestamp ? $"{timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)} is before 2000 (unix_s written as unix_ms? a device clock not set?)"
            : null;
        return problem is null;
    }

    private static void DecodeNumber(MqttSubscriptionSettings subscription, string meter, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt, DecodedMessage message)
    {
        var field = subscription.Fields[0];
        var text = Encoding.UTF8.GetString(payload.Span).Trim();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var raw) || !double.IsFinite(raw))
        {
            message.Reject(RejectReason.Payload, $"expected a plain number for {field.Field}, got {Preview(text)}");
            return;
        }

        message.Readings.Add(new MeterReading(meter, new Reading(receivedAt, field.Field, field.Convert(raw))));
    }

    /// <summary>
    /// Line protocol in the vocabulary: measurement <c>meter</c>, tags <c>site</c> (this agent's, or absent) and
    /// <c>meter</c> (or the topic's), numeric vocabulary fields. Other tags are dropped. A message is taken whole
    /// or refused whole.
    /// </summary>
    private void DecodeLineProtocol(MqttSubscriptionSettings subscription, string? topicMeter, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt, DecodedMessage message)
    {
        var precision = subscription.Precision switch
        {
            TimestampPrecision.Microseconds => LineProtocolPrecision.Microseconds,
            TimestampPrecision.Milliseconds => LineProtocolPrecision.Milliseconds,
            TimestampPrecision.Seconds => LineProtocolPrecision.Seconds,
            _ => LineProtocolPrecision.Nanoseconds,
        };
        var parsed = LineProtocolParser.ParseAll(payload.Span, precision, LineProtocolTime.DefaultTimestamp(receivedAt, LineProtocolPrecision.Nanoseconds));
        if (parsed.Errors.Count > 0)
        {
            message.Reject(RejectReason.Payload, $"line protocol {parsed.Errors[0].Message}" + (parsed.Errors.Count > 1 ? $" (and {parsed.Errors.Count - 1} more)" : string.Empty));
            return;
        }

        foreach (var line in parsed.Lines)
        {
            var at = $"line {line.LineNumber.ToString(CultureInfo.InvariantCulture)}";
            if (line.Measurement != "meter")
            {
                message.Reject(RejectReason.Payload, $"{at}: measurement must be 'meter', got '{line.Measurement}'");
                return;
            }

            string? meter = topicMeter;
            foreach (var (key, value) in line.Tags)
            {
                if (key == "site" && value != site)
                {
                    message.Reject(RejectReason.Site, $"{at}: site '{value}' is not this agent's site");
                    return;
                }

                if (key == "meter")
                {
                    if (!TryMeter(subscription, value, message, out var tagMeter))
                    {
                        return;
                    }

                    if (topicMeter is not null && tagMeter != topicMeter)
                    {
                        message.Reject(RejectReason.Meter, $"{at}: meter '{tagMeter}' contradicts the topic's meter '{topicMeter}'");
                        return;
                    }

                    meter = tagMeter;
                }
            }

            if (meter is null)
            {
                message.Reject(RejectReason.Meter, $"{at}: no meter tag, and the topic gives no meter");
                return;
            }

            var timestamp = LineProtocolTime.ToDateTimeOffset(line.Timestamp);
            if (!CheckTimestamp(timestamp, receivedAt, out var problem))
            {
                message.Reject(RejectReason.Payload, $"{at}: timestamp {problem} (precision {precision.ToShortName()})");
                return;
            }

            foreach (var field in line.Fields)
            {
                if (!FieldVocabulary.TryGet(field.Key, out _))
                {
                    message.Reject(RejectReason.Payload, $"{at}: '{field.Key}' is not a field of the vocabulary");
                    return;
                }

                double? value = field.Value switch
                {
                    double d => d,
                    long l => l,
                    ulong u => u,
                    _ => null,
                };
                if (value is null)
                {
                    message.Reject(RejectReason.Payload, $"{at}: field '{field.Key}' must be a number");
                    return;
                }

                message.Readings.Add(new MeterReading(meter, new Reading(timestamp, field.Key, value.Value)));
            }
        }
    }

    /// <summary>At most 80 characters of what was received, for a log line.</summary>
    internal static string Preview(string text) => text.Length <= 80 ? $"'{text}'" : $"'{text[..77]}...'";
}
