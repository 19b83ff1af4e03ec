using System.Text;

namespace Monitoring.Ingestion;

/// <summary>
/// The batch ids of the latest writes, so that a batch an agent sends again (its acknowledgement was lost) is
/// acknowledged without being stored twice. Bounded: the oldest ids leave first. Thread-safe.
/// </summary>
public sealed class BatchIdWindow(int capacity = 100_000)
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
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

    /// <summary>Claims <paramref name="batchId"/> for a write; false when it was seen already (a duplicate).</summary>
    public bool TryClaim(string batchId)
    {
        lock (_lock)
        {
            if (!_ids.Add(batchId))
            {
                return false;
            }

            _order.Enqueue(batchId);
            while (_order.Count > capacity)
            {
                _ids.Remove(_order.Dequeue());
            }

            return true;
        }
    }

    /// <summary>Gives a claim back (the write failed, the sender will retry).</summary>
    public void Release(string batchId)
    {
        lock (_lock)
        {
            _ids.Remove(batchId);
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
        }
    }

    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            TryClaim(reader.ReadString());
        }
    }

    /// <summary>Claims every id of <paramref name="other"/>, oldest first.</summary>
    public void Load(BatchIdWindow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        string[] ids;
        lock (other._lock)
        {
            ids = other._order.Where(other._ids.Contains).ToArray();
        }

        foreach (var id in ids)
        {
            TryClaim(id);
        }
    }

    internal static string? ToId(ReadOnlySpan<byte> batchId) => batchId.IsEmpty ? null : Encoding.UTF8.GetString(batchId);
}
