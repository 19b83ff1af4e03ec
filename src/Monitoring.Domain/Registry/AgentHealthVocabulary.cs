namespace Monitoring.Domain.Registry;

/// <summary>
/// The <c>edge_status</c> vocabulary (DESIGN §4, docs/edge.md health fields): what an edge agent reports about
/// itself. The server takes agent health lines with these tags and fields only, so that a writer cannot grow the
/// health series without bound or smuggle arbitrary data through them.
/// </summary>
public static class AgentHealthVocabulary
{
    /// <summary>The measurement of agent health lines.</summary>
    public const string Measurement = "edge_status";

    /// <summary>Longest site or agent tag value.</summary>
    public const int MaxTagLength = 64;

    /// <summary>The numeric fields an agent may report.</summary>
    public static IReadOnlySet<string> Fields { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "buffer_records", "buffer_bytes", "buffer_oldest_s", "dropped_total", "dropped_gauges_full", "dropped_counters_full",
        "dropped_expired", "device_errors_total", "invalid_values_total", "uplink_up", "uplink_lag_s", "uplink_batches_sent",
        "uplink_failures_total", "uplink_records_rejected",
        "buffer_writable", "buffer_append_failures_total", "buffer_cursor_write_failures_total", "readings_lost_total",
        "status_sent_directly_total", "loop_restarts_total", "modbus_crc_errors_total",
        "mqtt_up", "mqtt_connects_total", "mqtt_connect_failures_total", "mqtt_messages_total", "mqtt_readings_total",
        "mqtt_rejected_total", "mqtt_rejected_payload", "mqtt_rejected_site", "mqtt_rejected_meter", "mqtt_rejected_topic",
        "mqtt_append_failures_total", "mqtt_rebirths_total", "mqtt_seq_gaps_total", "mqtt_unknown_aliases_total",
        "mqtt_backfilled_total", "mqtt_redelivered_duplicates_total", "mqtt_devices_offline",
        "mqtt_states_published_total",
    };

    /// <summary>A site or agent name as a tag value: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidName(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxTagLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
