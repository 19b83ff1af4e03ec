using Monitoring.Ingestion;

namespace Monitoring.Server.Hosting;

/// <summary>What one write (HTTP body or MQTT message) became, whatever the transport.</summary>
internal sealed record WriteOutcome(
    WriteStatus Status,
    string Message,
    long Readings = 0,
    IReadOnlyList<LineProblem>? Problems = null,
    long ProblemCount = 0);

internal enum WriteStatus
{
    /// <summary>Every line taken (stored, or a duplicate batch).</summary>
    Accepted,

    /// <summary>The valid lines were stored; others were quarantined or malformed (InfluxDB's partial write).</summary>
    Partial,

    /// <summary>A reading for a site outside the writer's scope: nothing stored.</summary>
    Forbidden,

    /// <summary>Larger than the limit: nothing stored.</summary>
    TooLarge,

    /// <summary>The server cannot store it now: retry.</summary>
    Unavailable,
}
