using System.Globalization;
using System.Text;

namespace Monitoring.Ingestion;

/// <summary>
/// The batch keys of the latest writes, so that a batch sent again (its acknowledgement was lost) is acknowledged
/// without being stored twice. A key is the writer's identity and its batch id (<see cref="Key"/>), so two writers
/// never take each other's batches for duplicates. An edge agent's batch id names its buffer's sequence range
/// (<c>{agent}@{instance}:{first}-{last}</c>): for those the window also keeps each stream's high-water mark, so a
/// batch at or below it is a duplicate however long ago it came, and a reinstalled agent (a new instance) starts a
/// stream of its own. Bounded: the oldest keys and streams leave first. Thread-safe.
/// </summary>
public sealed class BatchIdWindow(int capacity = 100_000, int maxStreams = 100_000)
{
    /// <summary>Separates the writer's identity from its batch id in a key.</summary>
    public const char Separator = '\u001f';

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Dictionary<string, long> _highWater = new(StringComparer.Ordinal);
    private readonly Queue<string> _streams = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ids.Count;
            }
        }
    }

    /// <summary>The key of a writer's batch, as the write-ahead log stores it; empty when the write has no batch id.</summary>
    public static byte[] Key(string writer, ReadOnlySpan<byte> batchId) =>
        batchId.IsEmpty ? [] : [.. Encoding.UTF8.GetBytes(writer + Separator), .. batchId];

    /// <summary>Whether the key was added, or lies at or below its stream's high-water mark.</summary>
    public bool Contains(string key)
    {
        lock (_lock)
        {
            return ContainsLocked(key);
        }
    }

    /// <summary>Adds <paramref name="key"/>; false when it was there already (a duplicate).</summary>
    public bool TryClaim(string key)
    {
        lock (_lock)
        {
            if (ContainsLocked(key))
            {
                return false;
            }

            _ids.Add(key);
            _order.Enqueue(key);
            while (_order.Count > capacity)
            {
                _ids.Remove(_order.Dequeue());
            }

            if (TryParseRange(key, out var stream, out _, out var last))
            {
                Raise(stream, last);
            }

            return true;
        }
    }

    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_lock)
        {
            var live = _order.Where(_ids.Contains).ToArray();
            writer.Write(live.Length);
            foreach (var id in live)
            {
                writer.Write(id);
            }

            writer.Write(_highWater.Count);
            foreach (var stream in _streams.Where(_highWater.ContainsKey))
            {
                writer.Write(stream);
                writer.Write(_highWater[stream]);
            }
        }
    }

    /// <param name="withHighWater">False for checkpoints written before the high-water marks were kept.</param>
    public void Load(BinaryReader reader, bool withHighWater = true)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            TryClaim(reader.ReadString());
        }

        if (!withHighWater)
        {
            return;
        }

        var streams = reader.ReadInt32();
        lock (_lock)
        {
            for (var i = 0; i < streams; i++)
            {
                var stream = reader.ReadString();
                Raise(stream, reader.ReadInt64());
            }
        }
    }

    /// <summary>Takes every key and high-water mark of <paramref name="other"/>, oldest first.</summary>
    public void Load(BatchIdWindow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        string[] ids;
        KeyValuePair<string, long>[] marks;
        lock (other._lock)
        {
            ids = other._order.Where(other._ids.Contains).ToArray();
            marks = [.. other._streams.Where(other._highWater.ContainsKey).Select(s => KeyValuePair.Create(s, other._highWater[s]))];
        }

        foreach (var id in ids)
        {
            TryClaim(id);
        }

        lock (_lock)
        {
            foreach (var (stream, last) in marks)
            {
                Raise(stream, last);
            }
        }
    }

    /// <summary>
    /// <c>…{agent}@{instance}:{first}-{last}</c> (an edge agent's buffer range): the stream is everything before the
    /// last colon. Other batch ids have no range.
    /// </summary>
    internal static bool TryParseRange(string key, out string stream, out long first, out long last)
    {
        (stream, first, last) = ("", 0, 0);
        var separator = key.IndexOf(Separator, StringComparison.Ordinal);
        var colon = key.LastIndexOf(':');
        if (separator < 0 || colon <= separator + 1 || key.IndexOf('@', separator + 1) is var at && (at < 0 || at > colon))
        {
            return false;
        }

        var range = key.AsSpan(colon + 1);
        var dash = range.IndexOf('-');
        if (dash <= 0
            || !long.TryParse(range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !long.TryParse(range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || to < from)
        {
            return false;
        }

        (stream, first, last) = (key[..colon], from, to);
        return true;
    }

    internal static string? ToId(ReadOnlySpan<byte> batchId) => batchId.IsEmpty ? null : Encoding.UTF8.GetString(batchId);

    private bool ContainsLocked(string key) =>
        _ids.Contains(key) || (TryParseRange(key, out var stream, out _, out var last) && _highWater.TryGetValue(stream, out var mark) && last <= mark);

    private void Raise(string stream, long last)
    {
        if (_highWater.TryGetValue(stream, out var mark))
        {
            if (last > mark)
            {
                _highWater[stream] = last;
            }

            return;
        }

        _highWater[stream] = last;
        _streams.Enqueue(stream);
        while (_streams.Count > maxStreams)
        {
            _highWater.Remove(_streams.Dequeue());
        }
    }
}
