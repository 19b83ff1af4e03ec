using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Configuration section <c>Influx</c>: where intervals (and optionally raw readings) go. No <c>Url</c>, no InfluxDB:
/// intervals stay in memory for the API. Secrets are read from environment variables named here, never from the file.
/// </summary>
internal sealed class InfluxConfiguration
{
    public const string Section = "Influx";

    /// <summary><c>v2</c> (InfluxDB 2.x/3.x/1.8+, VictoriaMetrics) or <c>v1</c> (InfluxDB 1.x <c>/write</c>).</summary>
    public string Kind { get; set; } = "v2";

    public Uri? Url { get; set; }

    public string? Database { get; set; }

    public string? RetentionPolicy { get; set; }

    public string? Username { get; set; }

    public string? Organization { get; set; }

    public string? Bucket { get; set; }

    /// <summary>Environment variable with the token (v2, or v1 with token authentication).</summary>
    public string TokenVariable { get; set; } = "MONITORING_INFLUX_TOKEN";

    /// <summary>Environment variable with the v1 password (with <see cref="Username"/>).</summary>
    public string PasswordVariable { get; set; } = "MONITORING_INFLUX_PASSWORD";

    public int BatchLines { get; set; } = 5000;

    public int MaxInFlight { get; set; } = 4;

    public bool Gzip { get; set; } = true;

    public long SpoolMaxBytes { get; set; } = 1L << 30;

    public bool WriteSeriesIntervals { get; set; } = true;

    public bool WriteRawReadings { get; set; }

    public TimeSpan RawDownsampling { get; set; } = TimeSpan.Zero;

    /// <summary>Per resolution (<c>raw</c>, <c>15m</c>, <c>1h</c>, <c>1d</c>, <c>1mo</c>): how long the database keeps it (<see cref="InfluxSinkOptions.Retention"/>).</summary>
    public Dictionary<string, TimeSpan> Retention { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The sink's options, or null when no InfluxDB is configured; throws when the section is inconsistent.</summary>
    public InfluxSinkOptions? ToOptions(string dataDirectory)
    {
        if (Url is null)
        {
            return null;
        }

        var kind = Kind.ToLowerInvariant() switch
        {
            "v1" => InfluxApiKind.V1,
            "v2" => InfluxApiKind.V2,
            _ => throw new ArgumentException($"Influx:Kind '{Kind}' is neither v1 nor v2"),
        };
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        var password = Username is null ? null : Environment.GetEnvironmentVariable(PasswordVariable)
            ?? throw new ArgumentException($"Influx:Username is set but the environment variable {PasswordVariable} is not");
        var options = new InfluxSinkOptions
        {
            Kind = kind,
            Url = Url,
            Database = Database,
            RetentionPolicy = RetentionPolicy,
            Username = Username,
            Password = password,
            Organization = Organization,
            Bucket = Bucket,
            Token = string.IsNullOrEmpty(token) || Username is not null ? null : token,
            BatchLines = BatchLines,
            MaxInFlight = MaxInFlight,
            Gzip = Gzip,
            SpoolDirectory = Path.Combine(dataDirectory, "spool"),
            SpoolMaxBytes = SpoolMaxBytes,
            WriteSeriesIntervals = WriteSeriesIntervals,
            WriteRawReadings = WriteRawReadings,
            RawDownsampling = RawDownsampling,
            Retention = Retention,
            Timeout = Timeout,
            MaxBackoff = MaxBackoff,
        };
        options.Validate();
        return options;
    }
}
