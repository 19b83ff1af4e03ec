using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>Which write API the sink speaks.</summary>
public enum InfluxApiKind
{
    /// <summary>InfluxDB 1.x <c>POST /write?db=&amp;rp=&amp;precision=ms</c>.</summary>
    V1,
    /// <summary>The v2 write API <c>/api/v2/write?org=&amp;bucket=&amp;precision=ms</c> (InfluxDB 2.x, 3.x, 1.8+, VictoriaMetrics) through InfluxDB.Client.</summary>
    V2,
}

/// <summary>
/// The InfluxDB sink: where to write, how to batch, where to spool. The token and password are read by the host from
/// an environment variable or a file, never from the configuration in git; <see cref="ToString"/> never prints them.
/// </summary>
public sealed record InfluxSinkOptions
{
    public InfluxApiKind Kind { get; init; } = InfluxApiKind.V2;

    /// <summary>Base address of the server, e.g. <c>http://influxdb:8086</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>V1: the database.</summary>
    public string? Database { get; init; }

    /// <summary>V1: the retention policy (the database's default when not set).</summary>
    public string? RetentionPolicy { get; init; }

    /// <summary>V1: user name and password (sent as HTTP basic authentication).</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>V2: organization and bucket.</summary>
    public string? Organization { get; init; }

    public string? Bucket { get; init; }

    /// <summary><c>Authorization: Token</c> (V2, and V1 on InfluxDB 1.8+ as <c>user:password</c>).</summary>
    public string? Token { get; init; }

    /// <summary>Lines per spool record and per write request (InfluxDB's recommended batch).</summary>
    public int BatchLines { get; init; } = 5000;

    /// <summary>
    /// Write requests in flight at once while a backlog drains (each of about <see cref="BatchLines"/> lines, split by
    /// series so that two writes of one point are never reordered).
    /// </summary>
    public int MaxInFlight { get; init; } = 4;

    /// <summary>Compress each request (gzip, fastest level): less network, a little CPU. Off on loopback or a fast LAN.</summary>
    public bool Gzip { get; init; } = true;

    /// <summary>Folder of the spool (crash-safe, bounded); a batch leaves it when the server confirmed it.</summary>
    public required string SpoolDirectory { get; init; }

    /// <summary>Size of the spool; past it the oldest batches are dropped and counted.</summary>
    public long SpoolMaxBytes { get; init; } = 1L << 30;

    /// <summary>Batches older than this are dropped from the spool and counted.</summary>
    public TimeSpan SpoolMaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The per-series <c>interval_series</c> measurement (roll-ups are always written).</summary>
    public bool WriteSeriesIntervals { get; init; } = true;

    /// <summary>Raw readings as the <c>meter</c> measurement (off: intervals only).</summary>
    public bool WriteRawReadings { get; init; }

    /// <summary>Raw readings: at most one per series per this much event time (zero: every reading).</summary>
    public TimeSpan RawDownsampling { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How long the database keeps each resolution (keys <c>15m</c>, <c>1h</c>, <c>1d</c>, <c>1mo</c>, and <c>raw</c> for
    /// raw readings): a record whose interval ended longer ago than this, by the server's clock, is not sent (counted
    /// as <c>lines_beyond_retention</c>). Match the database's retention policies: InfluxDB 1.x refuses points older
    /// than a policy's duration, and a back-fill of years of quarter hours into a database that keeps 90 days of them
    /// is wasted work. Resolutions not named are always written. The API's store is not affected.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> Retention { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>One write request's time limit.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait after a transient failure; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long corrections can still be merged into a written record (<see cref="LatestIntervalStoreOptions.MaxAge"/>).</summary>
    public TimeSpan StoreMaxAge { get; init; } = TimeSpan.FromDays(45);

    /// <summary>How long day records stay in the store for the API and the KPI jobs (<see cref="LatestIntervalStoreOptions.DayMaxAge"/>).</summary>
    public TimeSpan StoreDayMaxAge { get; init; } = TimeSpan.FromDays(4 * 366);

    /// <summary>How long month records stay in the store (<see cref="LatestIntervalStoreOptions.MonthMaxAge"/>).</summary>
    public TimeSpan StoreMonthMaxAge { get; init; } = TimeSpan.FromDays(20 * 366);

    /// <summary>Rejected batches kept in <c>{spool}/rejected</c> for inspection; older files are deleted.</summary>
    public int MaxRejectedFiles { get; init; } = 100;

    /// <summary>The sink reports unhealthy when the oldest batch waits longer than this.</summary>
    public TimeSpan HealthyLag { get; init; } = TimeSpan.FromMinutes(5);

    public void Validate()
    {
        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Url '{Url}' must be an absolute http:// or https:// address.", nameof(Url));
        }

        switch (Kind)
        {
            case InfluxApiKind.V1 when string.IsNullOrWhiteSpace(Database):
                throw new ArgumentException("Database is required for the v1 write API.", nameof(Database));
            case InfluxApiKind.V1 when (Username is null) != (Password is null):
                throw new ArgumentException("Username and Password go together.", nameof(Username));
            case InfluxApiKind.V1 when Username is not null && Token is not null:
                throw new ArgumentException("Use either Username/Password or Token, not both.", nameof(Token));
            case InfluxApiKind.V2 when string.IsNullOrWhiteSpace(Organization) || string.IsNullOrWhiteSpace(Bucket):
                throw new ArgumentException("Organization and Bucket are required for the v2 write API.", nameof(Bucket));
            case InfluxApiKind.V2 when Username is not null:
                throw new ArgumentException("The v2 write API authenticates with Token only.", nameof(Username));
            default:
                break;
        }

        if (BatchLines is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchLines), BatchLines, "BatchLines must be between 1 and 100000.");
        }

        if (MaxInFlight is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, "MaxInFlight must be between 1 and 64.");
        }

        if (RawDownsampling < TimeSpan.Zero || Timeout <= TimeSpan.Zero || MinBackoff <= TimeSpan.Zero || MaxBackoff < MinBackoff
            || HealthyLag <= TimeSpan.Zero || MaxRejectedFiles < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(Timeout), "Timeout, MinBackoff and HealthyLag must be positive, MaxBackoff at least MinBackoff, RawDownsampling and MaxRejectedFiles not negative.");
        }

        foreach (var (key, age) in Retention)
        {
            if (RetentionIndex(key) < 0 || age <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(Retention), key, $"Retention '{key}' = {age}: the key must be raw, 15m, 1h, 1d or 1mo and the age positive.");
            }
        }

        SpoolOptions().Validate();
        StoreOptions().Validate();
    }

    /// <summary>Raw readings are slot 0 of the retention table, resolution r is slot r + 1; -1 for an unknown key.</summary>
    internal static int RetentionIndex(string key) =>
        key == "raw" ? 0 : IntervalResolutions.All.FirstOrDefault(r => r.ToName() == key, (IntervalResolution)(-1)) is var r and >= 0 ? (int)r + 1 : -1;

    /// <summary>The spool's <see cref="DiskBuffer"/> settings.</summary>
    public DiskBufferOptions SpoolOptions() => new()
    {
        Directory = SpoolDirectory,
        MaxBytes = SpoolMaxBytes,
        MaxAge = SpoolMaxAge,
        SegmentBytes = Math.Min(16L << 20, SpoolMaxBytes / 4),
    };

    public LatestIntervalStoreOptions StoreOptions() => new() { MaxAge = StoreMaxAge, DayMaxAge = StoreDayMaxAge, MonthMaxAge = StoreMonthMaxAge };

    /// <summary>Where the sink writes, without the token or password.</summary>
    public override string ToString() => Kind == InfluxApiKind.V1
        ? string.Create(CultureInfo.InvariantCulture, $"InfluxDB v1 {Url} db={Database} rp={RetentionPolicy ?? "(default)"}")
        : string.Create(CultureInfo.InvariantCulture, $"InfluxDB v2 {Url} org={Organization} bucket={Bucket}");
}
