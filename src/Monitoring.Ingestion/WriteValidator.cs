using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Monitoring.Aggregation;
using Monitoring.Domain.Registry;
using Monitoring.LineProtocol;

namespace Monitoring.Ingestion;

/// <summary>A line of a write that was not taken as it stands: where (1-based line and byte column) and why.</summary>
public sealed record LineProblem(long Line, int Column, string Reason, bool Quarantined)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"line {Line}, column {Column}: {Reason}");
}

/// <summary>
/// Checks one write (an HTTP body or an MQTT message) line by line against the registry while it is parsed:
/// readings of declared series become <see cref="PointRecord"/>s, agent health lines pass through, well-formed lines
/// that cannot be used go to the <see cref="Quarantine"/> with their reason, malformed ones are reported. A reading
/// for a site outside the writer's scope makes the whole write forbidden. One instance per write; not thread-safe.
/// </summary>
public sealed class WriteValidator : ILineProtocolHandler, IDisposable
{
    /// <summary>Measurement of readings (DESIGN §4).</summary>
    public static ReadOnlySpan<byte> ReadingMeasurement => "meter"u8;

    /// <summary>Measurement of edge agent health, kept as it is for the dashboards.</summary>
    public static ReadOnlySpan<byte> AgentHealthMeasurement => "edge_status"u8;

    private readonly SeriesCatalog _catalog;
    private readonly IReadOnlyList<byte[]>? _allowedSites;
    private readonly Quarantine _quarantine;
    private readonly string _source;
    private readonly long _latestAllowedMs;
    private readonly long _earliestAllowedMs;
    private readonly int _maxProblems;
    private readonly IngestBatchBuilder _batch = new();
    private readonly AgentDirectory? _agents;
    private readonly List<LineProblem> _problems = [];
    private readonly byte[] _lineBuffer = new byte[256];

    /// <param name="allowedSites">Sites the writer may write; null for every site.</param>
    /// <param name="earliestAllowedMs">Readings stamped before this (Unix ms) are quarantined as too old.</param>
    /// <param name="latestAllowedMs">Readings stamped after this (Unix ms) are quarantined as being in the future.</param>
    /// <param name="agents">The agents each site has; null admits any agent name (tests).</param>
    public WriteValidator(SeriesCatalog catalog, IReadOnlyCollection<string>? allowedSites, Quarantine quarantine, string source,
        long earliestAllowedMs, long latestAllowedMs, int maxProblems = 100, AgentDirectory? agents = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(quarantine);
        _catalog = catalog;
        _agents = agents;
        _allowedSites = allowedSites?.Select(Encoding.UTF8.GetBytes).ToArray();
        _quarantine = quarantine;
        _source = source;
        _latestAllowedMs = latestAllowedMs;
        _earliestAllowedMs = earliestAllowedMs;
        _maxProblems = maxProblems;
    }

    public int Readings => _batch.PointCount;

    public int PassthroughBytes => _batch.PassthroughLength;

    public long Quarantined { get; private set; }

    public long SyntaxErrors { get; private set; }

    /// <summary>The first problems (syntax errors and quarantined lines), in line order.</summary>
    public IReadOnlyList<LineProblem> Problems => _problems;

    public long ProblemCount => Quarantined + SyntaxErrors;

    /// <summary>The first site of the write outside the writer's scope; the write must then be refused as a whole.</summary>
    public string? ForbiddenSite { get; private set; }

    public bool HasData => !_batch.IsEmpty;

    public IngestBatch Build(ReadOnlySpan<byte> batchId) => _batch.Build(batchId);

    /// <inheritdoc cref="IngestBatch.CreateRecords"/>
    public IReadOnlyList<IngestBatch> BuildRecords(ReadOnlySpan<byte> batchId, int maxRecordBytes) => _batch.BuildRecords(batchId, maxRecordBytes);

    /// <inheritdoc cref="IngestBatchBuilder.ContentDigest"/>
    public string ContentDigest() => _batch.ContentDigest();

    public void OnPoint(in LineProtocolPoint point)
    {
        if (ForbiddenSite is not null)
        {
            return;
        }

        var isReading = point.RawMeasurement.SequenceEqual(ReadingMeasurement);
        if (!isReading && !point.RawMeasurement.SequenceEqual(AgentHealthMeasurement))
        {
            Set(point, point.RawMeasurement, RejectionReason.UnknownMeasurement,
                $"measurement '{point.GetMeasurement()}' is neither 'meter' (readings) nor 'edge_status' (agent health)");
            return;
        }

        if (!point.Tags.TryGetValue("site"u8, out var site))
        {
            Set(point, point.RawMeasurement, RejectionReason.MissingTag, "the 'site' tag is missing");
            return;
        }

        if (!Allowed(site.RawValue))
        {
            ForbiddenSite = site.GetValue();
            return;
        }

        if (!isReading)
        {
            if (CheckAgentHealth(point, site))
            {
                AddPassthrough(point);
            }

            return;
        }

        if (!point.Tags.TryGetValue("meter"u8, out var meterTag))
        {
            Set(point, point.RawMeasurement, RejectionReason.MissingTag, "the 'meter' tag is missing");
            return;
        }

        var meter = _catalog.FindMeter(site.RawValue, meterTag.RawValue);
        if (meter is null)
        {
            Set(point, meterTag.RawValue, RejectionReason.UnknownMeter, $"no meter '{meterTag.GetValue()}' at site '{site.GetValue()}' in the registry");
            return;
        }

        var timestampMs = point.Timestamp / 1_000_000;
        if (timestampMs > _latestAllowedMs)
        {
            Set(point, point.Line[^1..], RejectionReason.FutureTimestamp, string.Create(CultureInfo.InvariantCulture,
                $"timestamp {DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timestampMs, -62135596800000, 253402300799999)):O} is ahead of the server's clock by more than the allowed skew"));
            return;
        }

        if (timestampMs < _earliestAllowedMs)
        {
            Set(point, point.Line[^1..], RejectionReason.TooOld, string.Create(CultureInfo.InvariantCulture,
                $"timestamp {DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timestampMs, -62135596800000, 253402300799999)):O} is older than the aggregation accepts (Aggregation:MaxAge); check the precision and the sender's clock"));
            return;
        }

        var problem = false;
        foreach (var field in point.Fields)
        {
            var lookup = _catalog.Find(meter, field.RawKey, out var id);
            if (lookup != SeriesLookup.Found)
            {
                if (!problem)
                {
                    problem = true;
                    var reason = lookup == SeriesLookup.OverCardinality ? RejectionReason.OverCardinality : RejectionReason.UnknownField;
                    Set(point, field.RawKey, reason, $"meter '{meter.MeterId}' has no field '{Encoding.UTF8.GetString(field.RawKey)}' in the registry");
                }

                continue;
            }

            if (!field.TryGetNumber(out var value))
            {
                if (!problem)
                {
                    problem = true;
                    Set(point, field.RawKey, RejectionReason.NotANumber,
                        $"field '{Encoding.UTF8.GetString(field.RawKey)}' must be a number, got {field.Kind.ToString().ToLowerInvariant()}");
                }

                continue;
            }

            _batch.Add(id, timestampMs, value);
        }
    }

    public void OnError(in LineProtocolSyntaxError syntaxError)
    {
        SyntaxErrors++;
        if (_problems.Count < _maxProblems)
        {
            var error = syntaxError.ToError();
            _problems.Add(new LineProblem(error.Line, error.Column, error.Reason, Quarantined: false));
        }
    }

    public void Dispose() => _batch.Dispose();

    private bool Allowed(ReadOnlySpan<byte> site)
    {
        if (_allowedSites is null)
        {
            return true;
        }

        foreach (var allowed in _allowedSites)
        {
            if (site.SequenceEqual(allowed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An agent health line carries a registry site, an agent name and the agent vocabulary's numeric fields only,
    /// and its site has room for its agent: anything else is quarantined with its reason.
    /// </summary>
    private bool CheckAgentHealth(in LineProtocolPoint point, LineProtocolTag site)
    {
        var siteId = site.GetValue();
        if (_catalog.Registry.FindSite(siteId) is null)
        {
            Set(point, site.RawValue, RejectionReason.UnknownMeter, $"agent health of site '{siteId}', which the registry does not have");
            return false;
        }

        if (!point.Tags.TryGetValue("agent"u8, out var agentTag))
        {
            Set(point, point.RawMeasurement, RejectionReason.MissingTag, "the 'agent' tag is missing");
            return false;
        }

        var agent = agentTag.GetValue();
        if (!AgentHealthVocabulary.IsValidName(agent))
        {
            Set(point, agentTag.RawValue, RejectionReason.InvalidTag,
                $"agent name '{(agent.Length > 80 ? agent[..80] + "…" : agent)}' is not 1 to {AgentHealthVocabulary.MaxTagLength} letters, digits, '.', '_' or '-'");
            return false;
        }

        foreach (var tag in point.Tags)
        {
            if (!tag.RawKey.SequenceEqual("site"u8) && !tag.RawKey.SequenceEqual("agent"u8))
            {
                Set(point, tag.RawKey, RejectionReason.InvalidTag, $"agent health takes the tags 'site' and 'agent' only, not '{Encoding.UTF8.GetString(tag.RawKey)}'");
                return false;
            }
        }

        foreach (var field in point.Fields)
        {
            var name = Encoding.UTF8.GetString(field.RawKey);
            if (!AgentHealthVocabulary.Fields.Contains(name))
            {
                Set(point, field.RawKey, RejectionReason.UnknownField, $"agent health has no field '{(name.Length > 80 ? name[..80] + "…" : name)}' (docs/edge.md lists them)");
                return false;
            }

            if (field.Kind != LineProtocolFieldKind.Boolean && !field.TryGetNumber(out _))
            {
                Set(point, field.RawKey, RejectionReason.NotANumber, $"agent health field '{name}' must be a number or a boolean, got {field.Kind.ToString().ToLowerInvariant()}");
                return false;
            }
        }

        if (_agents is not null && !_agents.TryAdmit(siteId, agent))
        {
            Set(point, agentTag.RawValue, RejectionReason.TooManyAgents,
                $"site '{siteId}' has {_agents.MaxAgentsPerSite} agents already (Ingestion:MaxAgentsPerSite): agent '{agent}' is refused");
            return false;
        }

        return true;
    }

    /// <summary>Agent health goes to the raw sink with a millisecond timestamp (the sinks' precision), whatever precision the writer used.</summary>
    private void AddPassthrough(in LineProtocolPoint point)
    {
        var line = point.Line.TrimEnd((byte)' ');
        if (point.HasTimestamp)
        {
            line = line[..line.LastIndexOf((byte)' ')].TrimEnd((byte)' ');
        }

        Span<byte> stamp = stackalloc byte[24];
        stamp[0] = (byte)' ';
        (point.Timestamp / 1_000_000).TryFormat(stamp[1..], out var written, default, CultureInfo.InvariantCulture);
        var length = line.Length + 1 + written;
        var buffer = length <= _lineBuffer.Length ? _lineBuffer : new byte[length];
        line.CopyTo(buffer);
        stamp[..(written + 1)].CopyTo(buffer.AsSpan(line.Length));
        _batch.AddPassthrough(buffer.AsSpan(0, length));
    }

    private void Set(in LineProtocolPoint point, ReadOnlySpan<byte> at, RejectionReason reason, string message)
    {
        Quarantined++;
        // Counted per site and hour of the reading: only registry sites (bounded tags) and a timestamp the validator accepted.
        var site = point.Tags.TryGetValue("site"u8, out var siteTag) && _catalog.Registry.FindSite(siteTag.GetValue()) is { } known ? known.Id : null;
        long? timestampMs = point.HasTimestamp && reason is not (RejectionReason.FutureTimestamp or RejectionReason.TooOld) ? point.Timestamp / 1_000_000 : null;
        _quarantine.Add(_source, point.LineNumber, reason, message, point.Line, site, timestampMs);
        if (_problems.Count < _maxProblems)
        {
            _problems.Add(new LineProblem(point.LineNumber, ColumnOf(point.Line, at), $"{message} (quarantined)", Quarantined: true));
        }
    }

    private static int ColumnOf(ReadOnlySpan<byte> line, ReadOnlySpan<byte> part)
    {
        var offset = (long)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(line), ref MemoryMarshal.GetReference(part));
        return offset >= 0 && offset < line.Length ? (int)offset + 1 : 1;
    }
}
