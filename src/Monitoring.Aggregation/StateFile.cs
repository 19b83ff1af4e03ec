using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Monitoring.Aggregation;

/// <summary>
/// Binary form of the aggregation state for checkpoints: a header naming the kind of state and the options that
/// shape its layout, the keys of what it holds (series <c>site/meter/field</c>, roll-up targets), then the arrays of
/// structs exactly as they are in memory, in key order. Loading maps every key to the current registry's index, so a
/// state saved under another registry loads: a series or target that is still there continues where it stood, a new
/// one starts fresh, one the registry no longer has is counted (<see cref="KeyMap.Removed"/>). The host writes and
/// reads it on one machine (same endianness and layout).
/// </summary>
internal static class StateFile
{
    private const uint Magic = 0x54534E4D; // "MNST"

    /// <summary>The format written: keyed, with the counters' remembered resets.</summary>
    public const int Version = 3;

    /// <summary>Keyed, without remembered resets (read as none remembered).</summary>
    public const int KeyedVersion = 2;

    /// <summary>The first format: arrays in the registry's order, refused unless the registry and options were the same.</summary>
    public const int LegacyVersion = 1;

    /// <summary>Writes the header and the layout options, each with its name (compared by <see cref="ReadHeader"/>).</summary>
    public static void WriteHeader(Stream stream, string kind, params ReadOnlySpan<(string Name, long Value)> layout)
    {
        Span<byte> header = stackalloc byte[4 + 4 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
        header[8..].Clear();
        Encoding.ASCII.GetBytes(kind, header[8..]);
        stream.Write(header);
        WriteInt64(stream, layout.Length);
        foreach (var (name, value) in layout)
        {
            WriteString(stream, name);
            WriteInt64(stream, value);
        }
    }

    /// <summary>
    /// Reads a header written by <see cref="WriteHeader"/> and returns its format: <see cref="LegacyVersion"/> for a
    /// state of the first format whose <paramref name="legacyFingerprint"/> (registry and options) matches, which the
    /// caller then reads as arrays in the registry's order. <see cref="StateLayoutException"/> when a layout option
    /// differs from <paramref name="layout"/> (the state cannot be read under it), naming the option and both values.
    /// </summary>
    public static int ReadHeader(Stream stream, string kind, Func<ulong> legacyFingerprint, params ReadOnlySpan<(string Name, long Value)> layout)
    {
        Span<byte> start = stackalloc byte[8];
        stream.ReadExactly(start);
        Span<byte> expectedKind = stackalloc byte[32];
        expectedKind.Clear();
        Encoding.ASCII.GetBytes(kind, expectedKind);
        var version = BinaryPrimitives.ReadInt32LittleEndian(start[4..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(start) != Magic || version is not (Version or KeyedVersion or LegacyVersion))
        {
            throw new InvalidDataException($"not a {kind} state of a format this version reads");
        }

        Span<byte> rest = stackalloc byte[version == LegacyVersion ? 8 + 32 : 32];
        stream.ReadExactly(rest);
        if (!rest[^32..].SequenceEqual(expectedKind))
        {
            throw new InvalidDataException($"not a {kind} state");
        }

        if (version == LegacyVersion)
        {
            if (BinaryPrimitives.ReadUInt64LittleEndian(rest) != legacyFingerprint())
            {
                throw new InvalidDataException(
                    $"the {kind} state is of the first checkpoint format and was saved under another registry or other options: start once with the registry it was saved under, then change it");
            }

            return LegacyVersion;
        }

        var saved = new Dictionary<string, long>(StringComparer.Ordinal);
        for (long i = 0, count = ReadInt64(stream); i < count; i++)
        {
            saved[ReadString(stream)] = ReadInt64(stream);
        }

        foreach (var (name, value) in layout)
        {
            if (saved.TryGetValue(name, out var old) && old != value)
            {
                throw new StateLayoutException(kind, name, old, value);
            }
        }

        return version;
    }

    /// <summary>The key map of a first-format state: the registry's own order (the fingerprint proved it the same).</summary>
    public static KeyMap Identity(int count) => new([.. Enumerable.Range(0, count)], [], 0);

    /// <summary>The fingerprint the first format kept of the series catalog (every id's site, meter, field and counter settings) and extra figures.</summary>
    public static ulong LegacyFingerprint(SeriesCatalog catalog, params ReadOnlySpan<long> figures)
    {
        var hash = new System.IO.Hashing.XxHash64();
        foreach (var series in catalog.Series)
        {
            hash.Append(Encoding.UTF8.GetBytes(series.ToString()));
            hash.Append(MemoryMarshal.AsBytes([series.Multiplier, series.RolloverModulus ?? 0]));
        }

        hash.Append(MemoryMarshal.AsBytes(figures));
        return hash.GetCurrentHashAsUInt64();
    }

    public static void WriteKeys(Stream stream, IReadOnlyList<string> keys)
    {
        WriteInt64(stream, keys.Count);
        foreach (var key in keys)
        {
            WriteString(stream, key);
        }
    }

    /// <summary>Reads the saved keys and maps each to the index <paramref name="indexOf"/> gives (-1: no longer there).</summary>
    public static KeyMap ReadKeys(Stream stream, Func<string, int> indexOf, int currentCount)
    {
        var count = ReadInt64(stream);
        if (count is < 0 or > 100_000_000)
        {
            throw new InvalidDataException("the state's key count is out of range");
        }

        var map = new int[count];
        var removed = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(stream);
            map[i] = indexOf(key);
            if (map[i] < 0)
            {
                removed.Add(key);
            }
        }

        return new KeyMap(map, removed, currentCount - (map.Length - removed.Count));
    }

    public static void WriteArray<T>(Stream stream, T[] array)
        where T : unmanaged
    {
        WriteInt64(stream, array.Length);
        stream.Write(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    /// <summary>Reads an array of exactly <paramref name="array"/>'s length (scalars, not keyed).</summary>
    public static void ReadArray<T>(Stream stream, T[] array)
        where T : unmanaged
    {
        if (ReadInt64(stream) != array.Length)
        {
            throw new InvalidDataException("the state's array sizes do not match this configuration");
        }

        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    /// <summary>
    /// Reads an array saved with <paramref name="perKey"/> elements per saved key and copies each key's block to the
    /// place its current index gives in <paramref name="array"/>; blocks of keys no longer there are skipped.
    /// </summary>
    public static void ReadKeyedArray<T>(Stream stream, T[] array, KeyMap keys, int perKey)
        where T : unmanaged
    {
        var length = ReadInt64(stream);
        if (length != (long)keys.Map.Length * perKey)
        {
            throw new InvalidDataException("the state's array sizes do not match its keys");
        }

        var saved = new T[length];
        stream.ReadExactly(MemoryMarshal.AsBytes(saved.AsSpan()));
        for (var i = 0; i < keys.Map.Length; i++)
        {
            if (keys.Map[i] >= 0)
            {
                saved.AsSpan(i * perKey, perKey).CopyTo(array.AsSpan(keys.Map[i] * perKey, perKey));
            }
        }
    }

    public static void WriteInt64(Stream stream, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    public static long ReadInt64(Stream stream)
    {
        Span<byte> bytes = stackalloc byte[8];
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt64(stream, bytes.Length);
        stream.Write(bytes);
    }

    private static string ReadString(Stream stream)
    {
        var length = ReadInt64(stream);
        if (length is < 0 or > 64 * 1024)
        {
            throw new InvalidDataException("the state's key length is out of range");
        }

        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }
}

/// <summary>How a saved state's keys map onto the current registry.</summary>
/// <param name="Map">For each saved key, its current index, or -1 when the registry no longer has it.</param>
/// <param name="Removed">The saved keys the registry no longer has.</param>
/// <param name="Added">How many current keys the state did not have (they start fresh).</param>
public sealed record KeyMap(int[] Map, IReadOnlyList<string> Removed, int Added)
{
    /// <summary>Saved keys that are still there.</summary>
    public int Kept => Map.Length - Removed.Count;
}

/// <summary>A checkpoint's state cannot be read under the current options: which option, its old and new value.</summary>
public sealed class StateLayoutException : Exception
{
    public StateLayoutException(string kind, string option, long saved, long current)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"{option} was {saved} when the {kind} state was saved and is {current} now: set it back to {saved}, or move the data folder's checkpoint away to start the aggregation afresh from the log"))
    {
        Option = option;
        Saved = saved;
        Current = current;
    }

    public StateLayoutException()
    {
        Option = "";
    }

    public StateLayoutException(string message)
        : base(message)
    {
        Option = "";
    }

    public StateLayoutException(string message, Exception innerException)
        : base(message, innerException)
    {
        Option = "";
    }

    public string Option { get; }

    public long Saved { get; }

    public long Current { get; }
}
