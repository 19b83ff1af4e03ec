using System.ComponentModel.DataAnnotations;

namespace Monitoring.Server.Hosting;

/// <summary>The HTTP write API (configuration section <c>Http</c>).</summary>
internal sealed class HttpIntakeOptions
{
    public const string Section = "Http";

    /// <summary>Largest body accepted, compressed or not (InfluxDB 1.x's <c>max-body-size</c> default): beyond it, 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 25_000_000;

    /// <summary>Retry-After sent with 503 when the write-ahead log queue is full.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>The MQTT intake (configuration section <c>Mqtt</c>).</summary>
internal sealed class MqttIntakeOptions
{
    public const string Section = "Mqtt";

    /// <summary><c>embedded</c> (the server's own broker, the default), <c>external</c> (subscribe on another broker) or <c>off</c>.</summary>
    [RegularExpression("^(embedded|external|off)$")]
    public string Mode { get; set; } = "embedded";

    /// <summary>Address the embedded broker listens on.</summary>
    public string Address { get; set; } = "127.0.0.1";

    [Range(0, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>Topic root of the edge uplink: <c>{prefix}/{site}/{agent}/lp</c>.</summary>
    [Required]
    public string TopicPrefix { get; set; } = "monitoring/v1";

    /// <summary>External broker host (mode <c>external</c>).</summary>
    public string? BrokerHost { get; set; }

    [Range(1, 65535)]
    public int BrokerPort { get; set; } = 1883;

    public string? BrokerUsername { get; set; }

    /// <summary>Environment variable holding the external broker's password (never the password itself).</summary>
    public string BrokerPasswordVariable { get; set; } = "MONITORING_MQTT_PASSWORD";

    /// <summary>MQTT 5 shared subscription group: several servers on one broker share the agents' messages.</summary>
    public string SharedGroup { get; set; } = "monitoring";
}
