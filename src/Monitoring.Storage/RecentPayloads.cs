using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Monitoring.Storage;

/// <summary>
/// The 128-bit digests (XXH128) of the last <c>capacity</c> payloads added, for an O(1) "was this appended
/// recently" test. Two different payloads share a digest with a probability of about 2⁻¹²⁸ per pair: far below
/// a disk's undetected error rate. Not thread-safe: <see cref="DiskBuffer"/> calls it under its lock.
/// </summary>
internal sealed class RecentPayloads
{
    private readonly UInt128[] _ring;
    private readonly Dictionary<UInt128, int> _counts;
    private int _next;
    private int _count;

    public RecentPayloads(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new UInt128[capacity];
        _counts = new Dictionary<UInt128, int>(capacity);
    }

    public void Add(ReadOnlySpan<byte> payload)
    {
        var digest = XxHash128.HashToUInt128(payload);
        if (_count == _ring.Length)
        {
            var oldest = _ring[_next];
            ref var left = ref CollectionsMarshal.GetValueRefOrNullRef(_counts, oldest);
            if (--left == 0)
            {
                _counts.Remove(oldest);
            }
        }
        else
        {
            _count++;
        }

        _ring[_next] = digest;
        _next = (_next + 1) % _ring.Length;
        CollectionsMarshal.GetValueRefOrAddDefault(_counts, digest, out _)++;
    }

    public bool Contains(ReadOnlySpan<byte> payload) => _counts.ContainsKey(XxHash128.HashToUInt128(payload));
}
