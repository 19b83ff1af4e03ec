using System.Collections.Frozen;
using System.Text;

using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation;

/// <summary>Outcome of a series lookup, precise enough for an ingestion error message.</summary>
public enum SeriesLookup
{
    Found,
    /// <summary>No meter or production counter with this id on this site (or no such site).</summary>
    UnknownMeter,
    /// <summary>The meter exists but the registry does not declare this field for it.</summary>
    UnknownField,
    /// <summary>Declared, but beyond the catalog's cardinality limit: counted, not aggregated.</summary>
    OverCardinality,
}

/// <summary>
/// The dense ids of every series the registry declares: (site, meter, field) for each field of each physical
/// meter and each production counter. Built once per registry; immutable and safe to read from any thread.
/// </summary>
/// <remarks>
/// Lookups from line protocol take the UTF-8 bytes of the (unescaped) tag and field names. The meter level is
/// a frozen dictionary keyed by (site, meter) UTF-8 bytes whose comparer also hashes a pair of
/// <see cref="ReadOnlySpan{T}"/> (<see cref="FrozenDictionary{TKey,TValue}.GetAlternateLookup{TAlternateKey}"/>):
/// no string, no transcoding, no concatenation buffer; <see cref="HashCode.AddBytes"/> is seeded per process,
/// so tag values chosen by a client cannot be crafted to collide. The field level is a linear scan of the
/// meter's few field names (at most a handful), cheaper than a second hash.
/// </remarks>
public sealed class SeriesCatalog
{
    /// <summary>Default cardinality limit.</summary>
    public const int DefaultMaxSeries = 100_000;

    private readonly SeriesInfo[] _series;
    private readonly FrozenDictionary<MeterKey, MeterSeries> _meters;
    private readonly FrozenDictionary<MeterKey, MeterSeries>.AlternateLookup<MeterKeySpan> _byBytes;
    private long _unknownLookups;
    private long _overflowLookups;

    private SeriesCatalog(SiteRegistry registry, SeriesInfo[] series, FrozenDictionary<MeterKey, MeterSeries> meters, int maxSeries, int overflowSeries)
    {
        Registry = registry;
        _series = series;
        _meters = meters;
        _byBytes = meters.GetAlternateLookup<MeterKeySpan>();
        MaxSeries = maxSeries;
        OverflowSeries = overflowSeries;
    }

    public SiteRegistry Registry { get; }
    public int Count => _series.Length;
    public int MaxSeries { get; }
    /// <summary>Series the registry declares that did not fit under <see cref="MaxSeries"/>.</summary>
    public int OverflowSeries { get; }
    /// <summary>Lookups of a series the registry does not declare.</summary>
    public long UnknownLookups => Interlocked.Read(ref _unknownLookups);
    /// <summary>Lookups of a declared series beyond the cardinality limit (its readings are dropped).</summary>
    public long OverflowLookups => Interlocked.Read(ref _overflowLookups);
    public IReadOnlyList<SeriesInfo> Series => _series;
    public SeriesInfo this[int id] => _series[id];

    public static SeriesCatalog Create(SiteRegistry registry, int maxSeries = DefaultMaxSeries)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeries);
        var series = new List<SeriesInfo>();
        var meters = new Dictionary<MeterKey, MeterSeries>(MeterKeyComparer.Instance);
        var overflow = 0;
        for (var siteIndex = 0; siteIndex < registry.Sites.Count; siteIndex++)
        {
            var site = registry.Sites[siteIndex];
            foreach (var meter in site.Meters.Where(m => !m.IsVirtual))
            {
                var fields = new List<(byte[] Name, int Id)>();
                foreach (var field in meter.Fields)
                {
                    var id = -1;
                    if (series.Count < maxSeries)
                    {
                        id = series.Count;
                        var rated = field.Kind == FieldKind.Counter && AppliesRatedRate(field) ? meter.RatedRate : null;
                        series.Add(new SeriesInfo(id, site, meter.Id, field.Name, field.Kind, field.Unit, field.Multiplier,
                            field.RolloverModulus, rated, meter, null, siteIndex));
                    }
                    else
                    {
                        overflow++;
                    }

                    fields.Add((Encoding.UTF8.GetBytes(field.Name), id));
                }

                meters.Add(new MeterKey(site.Id, meter.Id), new MeterSeries(site, meter.Id, fields));
            }

            foreach (var counter in site.ProductionCounters)
            {
                var id = -1;
                if (series.Count < maxSeries)
                {
                    id = series.Count;
                    series.Add(new SeriesInfo(id, site, counter.Id, counter.Field, FieldKind.Counter, counter.Unit, counter.Multiplier,
                        counter.RolloverModulus, null, null, counter, siteIndex));
                }
                else
                {
                    overflow++;
                }

                meters.Add(new MeterKey(site.Id, counter.Id), new MeterSeries(site, counter.Id, [(Encoding.UTF8.GetBytes(counter.Field), id)]));
            }
        }

        return new SeriesCatalog(registry, [.. series], meters.ToFrozenDictionary(MeterKeyComparer.Instance), maxSeries, overflow);
    }

    /// <summary>The meter (or production counter) for the UTF-8 <c>site</c> and <c>meter</c> tag values; null if unknown. Allocation-free.</summary>
    public MeterSeries? FindMeter(ReadOnlySpan<byte> site, ReadOnlySpan<byte> meter) =>
        _byBytes.TryGetValue(new MeterKeySpan(site, meter), out var found) ? found : null;

    /// <summary>The series id for UTF-8 site, meter and field names; counts unknown and over-limit lookups. Allocation-free.</summary>
    public SeriesLookup Find(ReadOnlySpan<byte> site, ReadOnlySpan<byte> meter, ReadOnlySpan<byte> field, out int id)
    {
        var found = FindMeter(site, meter);
        if (found is null)
        {
            id = -1;
            Interlocked.Increment(ref _unknownLookups);
            return SeriesLookup.UnknownMeter;
        }

        return Find(found, field, out id);
    }

    /// <summary>The series id of a field of a meter found by <see cref="FindMeter"/> (one meter lookup per line, one scan per field).</summary>
    public SeriesLookup Find(MeterSeries meter, ReadOnlySpan<byte> field, out int id)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var result = meter.FindField(field, out id);
        if (result == SeriesLookup.UnknownField)
        {
            Interlocked.Increment(ref _unknownLookups);
        }
        else if (result == SeriesLookup.OverCardinality)
        {
            Interlocked.Increment(ref _overflowLookups);
        }

        return result;
    }

    /// <summary>Convenience lookup by strings (tests, configuration, replacements); allocates, not for the hot path.</summary>
    public SeriesLookup Find(string site, string meter, string field, out int id)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(field);
        return Find(Encoding.UTF8.GetBytes(site), Encoding.UTF8.GetBytes(meter), Encoding.UTF8.GetBytes(field), out id);
    }

    public bool TryGetSeries(string site, string meter, string field, out int id) =>
        Find(site, meter, field, out id) == SeriesLookup.Found;

    /// <summary>Reactive energy may legitimately exceed the active rated rate (low power factor): no spike check on it.</summary>
    private static bool AppliesRatedRate(MeterField field) =>
        !string.Equals(field.Name, "reactive_energy_kvarh", StringComparison.Ordinal);

    internal sealed class MeterKey(string site, string meter)
    {
        public byte[] Site { get; } = Encoding.UTF8.GetBytes(site);
        public byte[] Meter { get; } = Encoding.UTF8.GetBytes(meter);
    }

    internal readonly ref struct MeterKeySpan(ReadOnlySpan<byte> site, ReadOnlySpan<byte> meter)
    {
        public ReadOnlySpan<byte> Site { get; } = site;
        public ReadOnlySpan<byte> Meter { get; } = meter;
    }

    internal sealed class MeterKeyComparer : IEqualityComparer<MeterKey>, IAlternateEqualityComparer<MeterKeySpan, MeterKey>
    {
        public static readonly MeterKeyComparer Instance = new();

        public bool Equals(MeterKey? x, MeterKey? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Site.AsSpan().SequenceEqual(y.Site) && x.Meter.AsSpan().SequenceEqual(y.Meter));

        public int GetHashCode(MeterKey obj) => Hash(obj.Site, obj.Meter);

        public bool Equals(MeterKeySpan alternate, MeterKey other) =>
            alternate.Site.SequenceEqual(other.Site) && alternate.Meter.SequenceEqual(other.Meter);

        public int GetHashCode(MeterKeySpan alternate) => Hash(alternate.Site, alternate.Meter);

        public MeterKey Create(MeterKeySpan alternate) =>
            new(Encoding.UTF8.GetString(alternate.Site), Encoding.UTF8.GetString(alternate.Meter));

        private static int Hash(ReadOnlySpan<byte> site, ReadOnlySpan<byte> meter)
        {
            var hash = default(HashCode);
            hash.AddBytes(site);
            hash.Add(site.Length);
            hash.AddBytes(meter);
            return hash.ToHashCode();
        }
    }
}

/// <summary>The series of one meter or production counter, for resolving the fields of one line-protocol line.</summary>
public sealed class MeterSeries
{
    private readonly byte[][] _fieldNames;
    private readonly int[] _ids;

    internal MeterSeries(Site site, string meterId, IReadOnlyList<(byte[] Name, int Id)> fields)
    {
        Site = site;
        MeterId = meterId;
        _fieldNames = [.. fields.Select(f => f.Name)];
        _ids = [.. fields.Select(f => f.Id)];
    }

    public Site Site { get; }
    public string MeterId { get; }

    internal SeriesLookup FindField(ReadOnlySpan<byte> field, out int id)
    {
        for (var i = 0; i < _fieldNames.Length; i++)
        {
            if (field.SequenceEqual(_fieldNames[i]))
            {
                id = _ids[i];
                return id < 0 ? SeriesLookup.OverCardinality : SeriesLookup.Found;
            }
        }

        id = -1;
        return SeriesLookup.UnknownField;
    }
}
