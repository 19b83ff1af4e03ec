using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>How long the <see cref="LatestIntervalStore"/> keeps a record.</summary>
public sealed record LatestIntervalStoreOptions
{
    /// <summary>
    /// Records whose interval ended more than this before the newest interval end seen are dropped. Event time,
    /// not the wall clock, so a replay of old data keeps what it needs. Memory is about 200 bytes per record:
    /// 45 days of quarter hours are 4 320 records per series or node and resolution.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(45);

    /// <summary>
    /// Day records are kept this long (4 years by default: a programme's baseline year and the years reported against
    /// it, for the KPI jobs; about 180 records per day for the example plants).
    /// </summary>
    public TimeSpan DayMaxAge { get; init; } = TimeSpan.FromDays(4 * 366);

    /// <summary>Month records are kept this long (20 years: trajectories from a baseline year to a target year).</summary>
    public TimeSpan MonthMaxAge { get; init; } = TimeSpan.FromDays(20 * 366);

    /// <summary>
    /// Nodes whose hour records are kept as long as day records (night base load and minimum night flow against a
    /// baseline year); null: none. Hours of every node would cost 24 times the days.
    /// </summary>
    public Func<RollupNode, bool>? KeepHoursLikeDays { get; init; }

    public void Validate()
    {
        if (MaxAge < TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAge), MaxAge, "MaxAge must be at least one day, so that day records can take their corrections.");
        }

        if (DayMaxAge < MaxAge || MonthMaxAge < DayMaxAge)
        {
            throw new ArgumentOutOfRangeException(nameof(DayMaxAge), DayMaxAge, "retention must not shrink with the resolution: MaxAge ≤ DayMaxAge ≤ MonthMaxAge.");
        }
    }

    /// <summary>How long a record of <paramref name="resolution"/> is kept (<paramref name="keepLong"/>: an hour of a <see cref="KeepHoursLikeDays"/> node).</summary>
    internal long MaxAgeMs(IntervalResolution resolution, bool keepLong = false) => (long)(resolution switch
    {
        IntervalResolution.Month => MonthMaxAge,
        IntervalResolution.Day => DayMaxAge,
        IntervalResolution.Hour when keepLong => DayMaxAge,
        _ => MaxAge,
    }).TotalMilliseconds;
}

/// <summary>What <see cref="LatestIntervalStore"/> did with a record.</summary>
public enum StoreOutcome
{
    /// <summary>A record written at close: kept (replacing any earlier one of the same key).</summary>
    Stored,
    /// <summary>A correction merged into the record it names: the merged record is kept.</summary>
    Merged,
    /// <summary>A correction whose record is not in the store (closed empty, never written): kept as the whole content.</summary>
    Unmatched,
    /// <summary>The interval ended before the store's horizon: not kept (a correction of it cannot be merged).</summary>
    Expired,
}

/// <summary>What <see cref="LatestIntervalStore.RestoreSnapshot"/> found.</summary>
/// <param name="Skipped">Records whose series, node or intensity the current registry no longer has.</param>
public sealed record StoreRestoreResult(int Restored, int Skipped);

/// <summary>
/// The latest merged record of every series, roll-up node and intensity, per resolution and interval start, for
/// the intervals that ended within the retention of their resolution (<see cref="LatestIntervalStoreOptions"/>) of the newest one. A correction
/// is merged into the record it names (so the sink can rewrite that point with merged values); it is also what the
/// HTTP API reads. Written by the aggregation thread, read from any thread; snapshot with the aggregation state.
/// </summary>
public sealed class LatestIntervalStore : IIntervalSink, IRollupSink
{
    private const uint SnapshotMagic = 0x5349_4C4D; // "MLIS" read as little-endian
    private const int SnapshotVersion = 1;
    // Daily: pruning shifts every timeline, so hourly pruning made a months-long backfill spend most of its time here.
    private static readonly long PruneEveryMs = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    private RollupTopology _topology;
    private readonly LatestIntervalStoreOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Index, IntervalResolution Resolution), Timeline<ClosedInterval>> _series = [];
    private readonly Dictionary<(int Index, IntervalResolution Resolution), Timeline<RollupInterval>> _nodes = [];
    private readonly Dictionary<(int Index, IntervalResolution Resolution), Timeline<IntensityInterval>> _intensities = [];
    private long _newestEndMs = long.MinValue;
    private long _prunedAtMs = long.MinValue;

    public LatestIntervalStore(RollupTopology topology, LatestIntervalStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        options ??= new LatestIntervalStoreOptions();
        options.Validate();
        _topology = topology;
        _options = options;
    }

    /// <summary>The registry's roll-up graph the records belong to (a reload replaces it: <see cref="Rebind"/>).</summary>
    public RollupTopology Topology
    {
        get
        {
            lock (_lock)
            {
                return _topology;
            }
        }
    }

    /// <summary>
    /// A registry reload: every record moves to <paramref name="topology"/> by key (as through a snapshot); records of
    /// series, nodes or intensities it no longer has are dropped (InfluxDB keeps their history).
    /// </summary>
    public StoreRestoreResult Rebind(RollupTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        using var snapshot = new MemoryStream();
        lock (_lock)
        {
            WriteSnapshot(snapshot);
            _topology = topology;
            snapshot.Position = 0;
            return RestoreSnapshot(snapshot);
        }
    }

    /// <summary>Records held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _series.Values.Sum(t => t.Count) + _nodes.Values.Sum(t => t.Count) + _intensities.Values.Sum(t => t.Count);
            }
        }
    }

    /// <summary>Quarter hours (and hours) that ended before this are no longer kept (null while empty); days and months are kept longer.</summary>
    public DateTimeOffset? Horizon
    {
        get
        {
            lock (_lock)
            {
                return _newestEndMs == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(_newestEndMs - _options.MaxAgeMs(IntervalResolution.FifteenMinutes));
            }
        }
    }

    /// <summary>The latest interval end seen (event time; null while empty): how far the data goes.</summary>
    public DateTimeOffset? NewestEnd
    {
        get
        {
            lock (_lock)
            {
                return _newestEndMs == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(_newestEndMs);
            }
        }
    }

    void IIntervalSink.Write(in ClosedInterval interval) => Apply(interval, out _);

    void IRollupSink.Write(in RollupInterval interval) => Apply(interval, out _);

    void IRollupSink.Write(in IntensityInterval intensity) => Apply(intensity, out _);

    /// <summary>Keeps a series record, or merges a correction into it; <paramref name="latest"/> is what the point should now hold.</summary>
    public StoreOutcome Apply(in ClosedInterval record, out ClosedInterval latest)
    {
        lock (_lock)
        {
            var (startMs, endMs) = (record.Start.ToUnixTimeMilliseconds(), record.End.ToUnixTimeMilliseconds());
            var outcome = Locate(_series, record.Series.Id, record.Resolution, _options.MaxAgeMs(record.Resolution), startMs, endMs, record.IsCorrection, out var timeline, out var stored);
            latest = outcome switch
            {
                StoreOutcome.Merged => stored.Merge(record),
                StoreOutcome.Unmatched => record with { IsCorrection = false },
                _ => record,
            };
            timeline?.Set(startMs, endMs, latest);
            return outcome;
        }
    }

    /// <summary>Keeps a meter or node record, or merges a correction into it.</summary>
    public StoreOutcome Apply(in RollupInterval record, out RollupInterval latest)
    {
        lock (_lock)
        {
            var (startMs, endMs) = (record.Start.ToUnixTimeMilliseconds(), record.End.ToUnixTimeMilliseconds());
            var outcome = Locate(_nodes, record.Node.Index, record.Resolution, NodeMaxAgeMs(record.Node, record.Resolution), startMs, endMs, record.IsCorrection, out var timeline, out var stored);
            latest = outcome switch
            {
                StoreOutcome.Merged => stored.Merge(record),
                StoreOutcome.Unmatched => record with { IsCorrection = false },
                _ => record,
            };
            timeline?.Set(startMs, endMs, latest);
            return outcome;
        }
    }

    /// <summary>Keeps an intensity record, or merges a correction into it.</summary>
    public StoreOutcome Apply(in IntensityInterval record, out IntensityInterval latest)
    {
        lock (_lock)
        {
            var (startMs, endMs) = (record.Start.ToUnixTimeMilliseconds(), record.End.ToUnixTimeMilliseconds());
            var outcome = Locate(_intensities, record.Definition.Index, record.Resolution, _options.MaxAgeMs(record.Resolution), startMs, endMs, record.IsCorrection, out var timeline, out var stored);
            latest = outcome switch
            {
                StoreOutcome.Merged => stored.Merge(record),
                StoreOutcome.Unmatched => record with { IsCorrection = false },
                _ => record,
            };
            timeline?.Set(startMs, endMs, latest);
            return outcome;
        }
    }

    /// <summary>The records of one series at one resolution whose start lies in [<paramref name="from"/>, <paramref name="to"/>), by start.</summary>
    public IReadOnlyList<ClosedInterval> GetSeriesIntervals(SeriesInfo series, IntervalResolution resolution, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(series);
        lock (_lock)
        {
            var result = new List<ClosedInterval>();
            // A series of the registry before a reload has another id now: it asks for nothing.
            if (series.Id < _topology.Catalog.Count && ReferenceEquals(_topology.Catalog[series.Id], series))
            {
                Collect(_series, series.Id, resolution, from, to, result);
            }

            return result;
        }
    }

    /// <summary>The records of one meter or node at one resolution whose start lies in [<paramref name="from"/>, <paramref name="to"/>), by start.</summary>
    public IReadOnlyList<RollupInterval> GetNodeIntervals(RollupNode node, IntervalResolution resolution, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_lock)
        {
            var result = new List<RollupInterval>();
            if (node.Index < _topology.Nodes.Count && ReferenceEquals(_topology.Nodes[node.Index], node))
            {
                Collect(_nodes, node.Index, resolution, from, to, result);
            }

            return result;
        }
    }

    /// <summary>
    /// The records of every node of <paramref name="level"/> (every site and carrier, or only those with id
    /// <paramref name="nodeId"/> and site <paramref name="siteId"/> when given) in [<paramref name="from"/>, <paramref name="to"/>),
    /// in topology order, then by start.
    /// </summary>
    public IReadOnlyList<RollupInterval> GetNodeIntervals(
        RollupLevel level, IntervalResolution resolution, DateTimeOffset from, DateTimeOffset to, string? nodeId = null, string? siteId = null)
    {
        lock (_lock)
        {
            var result = new List<RollupInterval>();
            foreach (var node in _topology.Nodes)
            {
                if (node.Level == level && (nodeId is null || node.Id == nodeId) && (siteId is null || node.SiteId == siteId))
                {
                    Collect(_nodes, node.Index, resolution, from, to, result);
                }
            }

            return result;
        }
    }

    /// <summary>The records of one intensity in [<paramref name="from"/>, <paramref name="to"/>), by start.</summary>
    public IReadOnlyList<IntensityInterval> GetIntensities(IntensityDefinition intensity, IntervalResolution resolution, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(intensity);
        lock (_lock)
        {
            var result = new List<IntensityInterval>();
            if (intensity.Index < _topology.Intensities.Count && ReferenceEquals(_topology.Intensities[intensity.Index], intensity))
            {
                Collect(_intensities, intensity.Index, resolution, from, to, result);
            }

            return result;
        }
    }

    /// <summary>The intensities of every line or site node with id <paramref name="nodeId"/> (every production counter and carrier when not given).</summary>
    public IReadOnlyList<IntensityInterval> GetIntensities(
        string nodeId, IntervalResolution resolution, DateTimeOffset from, DateTimeOffset to, string? counterId = null)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        lock (_lock)
        {
            var result = new List<IntensityInterval>();
            foreach (var intensity in _topology.Intensities)
            {
                if (intensity.Node.Id == nodeId && (counterId is null || intensity.Counter.Id == counterId))
                {
                    Collect(_intensities, intensity.Index, resolution, from, to, result);
                }
            }

            return result;
        }
    }

    /// <summary>
    /// Writes every record to <paramref name="stream"/>, keyed by registry ids (site, meter, field; level, node,
    /// carrier; production counter) rather than the dense indexes, so a snapshot survives registry changes.
    /// </summary>
    public void WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        lock (_lock)
        {
            writer.Write(SnapshotMagic);
            writer.Write(SnapshotVersion);
            writer.Write(_newestEndMs);
            writer.Write(_series.Count);
            foreach (var ((index, resolution), timeline) in _series)
            {
                var series = _topology.Catalog[index];
                writer.Write(series.SiteId);
                writer.Write(series.MeterId);
                writer.Write(series.Field);
                WriteTimeline(writer, resolution, timeline, WriteRecord);
            }

            writer.Write(_nodes.Count);
            foreach (var ((index, resolution), timeline) in _nodes)
            {
                WriteNodeKey(writer, _topology.Nodes[index]);
                WriteTimeline(writer, resolution, timeline, WriteRecord);
            }

            writer.Write(_intensities.Count);
            foreach (var ((index, resolution), timeline) in _intensities)
            {
                var intensity = _topology.Intensities[index];
                WriteNodeKey(writer, intensity.Node);
                writer.Write(intensity.Counter.Id);
                WriteTimeline(writer, resolution, timeline, WriteRecord);
            }
        }
    }

    /// <summary>Replaces the content with a snapshot written by <see cref="WriteSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not a snapshot of this version.</exception>
    public StoreRestoreResult RestoreSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (reader.ReadUInt32() != SnapshotMagic || reader.ReadInt32() != SnapshotVersion)
        {
            throw new InvalidDataException("not a latest-interval store snapshot of version " + SnapshotVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var intensities = _topology.Intensities.ToDictionary(i => (i.Node, i.Counter.Id));
        int restored = 0, skipped = 0;
        lock (_lock)
        {
            _series.Clear();
            _nodes.Clear();
            _intensities.Clear();
            _newestEndMs = reader.ReadInt64();
            _prunedAtMs = long.MinValue;

            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var (site, meter, field) = (reader.ReadString(), reader.ReadString(), reader.ReadString());
                SeriesInfo? series = _topology.Catalog.TryGetSeries(site, meter, field, out var id) ? _topology.Catalog[id] : null;
                ReadTimeline(reader, _series, series?.Id, resolution => _options.MaxAgeMs(resolution), (r, resolution) => ReadSeriesRecord(r, series, resolution), ref restored, ref skipped);
            }

            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var node = ReadNodeKey(reader);
                ReadTimeline(reader, _nodes, node?.Index, resolution => node is null ? 0 : NodeMaxAgeMs(node, resolution), (r, resolution) => ReadNodeRecord(r, node, resolution), ref restored, ref skipped);
            }

            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var node = ReadNodeKey(reader);
                var counter = reader.ReadString();
                var intensity = node is not null ? intensities.GetValueOrDefault((node, counter)) : null;
                ReadTimeline(reader, _intensities, intensity?.Index, resolution => _options.MaxAgeMs(resolution), (r, resolution) => ReadIntensityRecord(r, intensity, resolution), ref restored, ref skipped);
            }
        }

        return new StoreRestoreResult(restored, skipped);
    }

    /// <summary>Finds the timeline a record goes to (null when it expired) and, for a correction, the record it names.</summary>
    private StoreOutcome Locate<T>(
        Dictionary<(int, IntervalResolution), Timeline<T>> timelines, int index, IntervalResolution resolution, long maxAgeMs,
        long startMs, long endMs, bool isCorrection, out Timeline<T>? timeline, out T stored)
    {
        stored = default!;
        timeline = null;
        if (endMs > _newestEndMs)
        {
            _newestEndMs = endMs;
            if (_prunedAtMs == long.MinValue)
            {
                _prunedAtMs = endMs;
            }
            else if (_newestEndMs - _prunedAtMs >= PruneEveryMs)
            {
                Prune();
            }
        }

        if (endMs < _newestEndMs - maxAgeMs)
        {
            return StoreOutcome.Expired;
        }

        if (!timelines.TryGetValue((index, resolution), out timeline))
        {
            timeline = new Timeline<T>(maxAgeMs);
            timelines.Add((index, resolution), timeline);
        }

        if (!isCorrection)
        {
            return StoreOutcome.Stored;
        }

        return timeline.TryGet(startMs, out stored) ? StoreOutcome.Merged : StoreOutcome.Unmatched;
    }

    private long NodeMaxAgeMs(RollupNode node, IntervalResolution resolution) =>
        _options.MaxAgeMs(resolution, resolution == IntervalResolution.Hour && _options.KeepHoursLikeDays?.Invoke(node) == true);

    private void Prune()
    {
        _prunedAtMs = _newestEndMs;
        PruneAll(_series, _newestEndMs);
        PruneAll(_nodes, _newestEndMs);
        PruneAll(_intensities, _newestEndMs);
    }

    private static void PruneAll<T>(Dictionary<(int, IntervalResolution), Timeline<T>> timelines, long newestEndMs)
    {
        foreach (var timeline in timelines.Values)
        {
            timeline.RemoveEndedBefore(newestEndMs - timeline.MaxAgeMs);
        }
    }

    private static void Collect<T>(
        Dictionary<(int, IntervalResolution), Timeline<T>> timelines, int index, IntervalResolution resolution,
        DateTimeOffset from, DateTimeOffset to, List<T> result)
    {
        if (timelines.TryGetValue((index, resolution), out var timeline))
        {
            timeline.CopyRange(from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds(), result);
        }
    }

    private static void WriteTimeline<T>(BinaryWriter writer, IntervalResolution resolution, Timeline<T> timeline, Action<BinaryWriter, T> write)
    {
        writer.Write((byte)resolution);
        writer.Write(timeline.Count);
        foreach (var record in timeline.Records)
        {
            write(writer, record);
        }
    }

    private static void ReadTimeline<T>(
        BinaryReader reader, Dictionary<(int, IntervalResolution), Timeline<T>> timelines, int? index, Func<IntervalResolution, long> maxAgeMs,
        Func<BinaryReader, IntervalResolution, (long Start, long End, T Record)> read, ref int restored, ref int skipped)
    {
        var resolution = (IntervalResolution)reader.ReadByte();
        var count = reader.ReadInt32();
        var timeline = new Timeline<T>(maxAgeMs(resolution));
        for (var i = 0; i < count; i++)
        {
            var (start, end, record) = read(reader, resolution);
            timeline.Set(start, end, record);
        }

        if (index is { } known)
        {
            timelines[(known, resolution)] = timeline;
            restored += count;
        }
        else
        {
            skipped += count;
        }
    }

    private static void WriteNodeKey(BinaryWriter writer, RollupNode node)
    {
        writer.Write((byte)node.Level);
        writer.Write(node.SiteId ?? string.Empty);
        writer.Write(node.Id);
        writer.Write(node.CarrierName);
    }

    private RollupNode? ReadNodeKey(BinaryReader reader)
    {
        var level = (RollupLevel)reader.ReadByte();
        var site = reader.ReadString();
        var id = reader.ReadString();
        var carrierName = reader.ReadString();
        Carrier? carrier = null;
        if (carrierName != RollupNode.AllCarriers)
        {
            if (!CarrierNames.TryParse(carrierName, out var parsed))
            {
                return null;
            }

            carrier = parsed;
        }

        return _topology.Find(level, id, carrier, site.Length == 0 ? null : site);
    }

    private static void WriteRecord(BinaryWriter w, ClosedInterval r)
    {
        w.Write(r.Start.ToUnixTimeMilliseconds());
        w.Write(r.End.ToUnixTimeMilliseconds());
        w.Write(r.Consumption);
        w.Write(r.EstimatedConsumption);
        w.Write(r.PeakQuarterConsumption);
        w.Write(r.CoveredMilliseconds);
        w.Write(r.Count);
        w.Write(r.Sum);
        w.Write(r.Min);
        w.Write(r.Max);
        w.Write(r.Last);
        w.Write(r.LastTime.ToUnixTimeMilliseconds());
        w.Write((int)r.Flags);
    }

    // A record of a series the registry no longer has is read (to move past it) and dropped by the caller.
    private static (long, long, ClosedInterval) ReadSeriesRecord(BinaryReader r, SeriesInfo? series, IntervalResolution resolution)
    {
        var (start, end) = (r.ReadInt64(), r.ReadInt64());
        var record = new ClosedInterval
        {
            Series = series!,
            Resolution = resolution,
            Start = DateTimeOffset.FromUnixTimeMilliseconds(start),
            End = DateTimeOffset.FromUnixTimeMilliseconds(end),
            Consumption = r.ReadDouble(),
            EstimatedConsumption = r.ReadDouble(),
            PeakQuarterConsumption = r.ReadDouble(),
            CoveredMilliseconds = r.ReadInt64(),
            Count = r.ReadInt32(),
            Sum = r.ReadDouble(),
            Min = r.ReadDouble(),
            Max = r.ReadDouble(),
            Last = r.ReadDouble(),
            LastTime = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64()),
            Flags = (IntervalQuality)r.ReadInt32(),
        };
        return (start, end, record);
    }

    private static void WriteRecord(BinaryWriter w, RollupInterval r)
    {
        w.Write(r.Start.ToUnixTimeMilliseconds());
        w.Write(r.End.ToUnixTimeMilliseconds());
        w.Write(r.Consumption);
        w.Write(r.EstimatedConsumption);
        w.Write(r.GrossConsumption);
        w.Write(r.PeakQuarterConsumption);
        w.Write(r.EnergyKwh);
        w.Write(r.Co2eKg);
        w.Write(r.Co2eMarketKg);
        w.Write(r.ReactiveKvarh);
        w.Write(r.Inputs);
        w.Write(r.ExpectedInputs);
        w.Write(r.FactorYear);
        w.Write((int)r.Flags);
    }

    private static (long, long, RollupInterval) ReadNodeRecord(BinaryReader r, RollupNode? node, IntervalResolution resolution)
    {
        var (start, end) = (r.ReadInt64(), r.ReadInt64());
        var record = new RollupInterval
        {
            Node = node!,
            Resolution = resolution,
            Start = DateTimeOffset.FromUnixTimeMilliseconds(start),
            End = DateTimeOffset.FromUnixTimeMilliseconds(end),
            Consumption = r.ReadDouble(),
            EstimatedConsumption = r.ReadDouble(),
            GrossConsumption = r.ReadDouble(),
            PeakQuarterConsumption = r.ReadDouble(),
            EnergyKwh = r.ReadDouble(),
            Co2eKg = r.ReadDouble(),
            Co2eMarketKg = r.ReadDouble(),
            ReactiveKvarh = r.ReadDouble(),
            Inputs = r.ReadInt32(),
            ExpectedInputs = r.ReadInt32(),
            FactorYear = r.ReadInt32(),
            Flags = (IntervalQuality)r.ReadInt32(),
        };
        return (start, end, record);
    }

    private static void WriteRecord(BinaryWriter w, IntensityInterval r)
    {
        w.Write(r.Start.ToUnixTimeMilliseconds());
        w.Write(r.End.ToUnixTimeMilliseconds());
        w.Write(r.Consumption);
        w.Write(r.EnergyKwh);
        w.Write(r.Co2eKg);
        w.Write(r.Output);
        w.Write((int)r.Flags);
    }

    private static (long, long, IntensityInterval) ReadIntensityRecord(BinaryReader r, IntensityDefinition? intensity, IntervalResolution resolution)
    {
        var (start, end) = (r.ReadInt64(), r.ReadInt64());
        var record = new IntensityInterval
        {
            Definition = intensity!,
            Resolution = resolution,
            Start = DateTimeOffset.FromUnixTimeMilliseconds(start),
            End = DateTimeOffset.FromUnixTimeMilliseconds(end),
            Consumption = r.ReadDouble(),
            EnergyKwh = r.ReadDouble(),
            Co2eKg = r.ReadDouble(),
            Output = r.ReadDouble(),
            Flags = (IntervalQuality)r.ReadInt32(),
        };
        return (start, end, record);
    }

    /// <summary>The records of one key and resolution, sorted by start; intervals close roughly in order, so adding is an append.</summary>
    private sealed class Timeline<T>(long maxAgeMs)
    {
        private readonly List<(long Start, long End, T Record)> _entries = [];

        /// <summary>Records that ended this long before the newest end seen are dropped.</summary>
        public long MaxAgeMs => maxAgeMs;

        public int Count => _entries.Count;

        public IEnumerable<T> Records => _entries.Select(e => e.Record);

        public void Set(long start, long end, T record)
        {
            if (_entries.Count == 0 || _entries[^1].Start < start)
            {
                _entries.Add((start, end, record));
                return;
            }

            var i = Find(start);
            if (i < _entries.Count && _entries[i].Start == start)
            {
                _entries[i] = (start, end, record);
            }
            else
            {
                _entries.Insert(i, (start, end, record));
            }
        }

        public bool TryGet(long start, out T record)
        {
            var i = Find(start);
            if (i < _entries.Count && _entries[i].Start == start)
            {
                record = _entries[i].Record;
                return true;
            }

            record = default!;
            return false;
        }

        public void CopyRange(long from, long to, List<T> result)
        {
            for (var i = Find(from); i < _entries.Count && _entries[i].Start < to; i++)
            {
                result.Add(_entries[i].Record);
            }
        }

        public void RemoveEndedBefore(long cutoff)
        {
            var n = 0;
            while (n < _entries.Count && _entries[n].End < cutoff)
            {
                n++;
            }

            _entries.RemoveRange(0, n);
        }

        /// <summary>Index of the first entry starting at or after <paramref name="start"/>.</summary>
        private int Find(long start)
        {
            int lo = 0, hi = _entries.Count;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) / 2);
                if (_entries[mid].Start < start)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
