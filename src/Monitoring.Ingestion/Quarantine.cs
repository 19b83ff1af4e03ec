using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Monitoring.Ingestion;

/// <summary>A line set aside: well-formed but not usable as it stands (unknown meter or field, wrong type, too far ahead...).</summary>
public sealed record QuarantinedLine(DateTimeOffset At, string Source, long Line, RejectionReason Reason, string Message, string Text);

/// <summary>How many readings of a site were set aside for a reason in one hour (of their timestamp, or of arrival when it has none or is ahead).</summary>
public sealed record QuarantineHour(string Site, RejectionReason Reason, DateTimeOffset Hour, long Count);

/// <summary>
/// Where readings that cannot be used go instead of being dropped: counted by reason, the latest kept in memory for
/// the API, every one appended (with its reason as a comment line) to <c>quarantine.lp</c> so that it can be fixed
/// and written again once the registry knows the meter; counted per site, reason and hour for the <c>quarantine</c>
/// series. Bounded: the file rotates at <see cref="MaxFileBytes"/> (<c>quarantine.lp.1</c> … <c>.3</c> kept), the hour
/// index drops its oldest hour in O(log n). A failing disk never stops intake: lines that cannot be written are
/// counted (<see cref="NotPersisted"/>) and the writer tries again with the next ones. Thread-safe.
/// </summary>
public sealed class Quarantine : IAsyncDisposable
{
    private const int MaxTextLength = 1024;

    /// <summary>The site of a line whose site the registry does not know (its own value would grow the series without bound).</summary>
    public const string UnknownSite = "unknown";

    /// <summary>Hour buckets kept (about 40 days of 10 sites × 2 reasons); the oldest hour goes first.</summary>
    private const int MaxHours = 10_000;
    private const long HourMs = 3_600_000;

    /// <summary>Size at which <c>quarantine.lp</c> is rotated.</summary>
    public const long MaxFileBytes = 64L << 20;

    private const int RotatedFiles = 3;
    private static readonly int ReasonCount = Enum.GetValues<RejectionReason>().Length;

    private readonly long[] _counts = new long[ReasonCount];
    private readonly Queue<QuarantinedLine> _recent = new();
    private readonly Dictionary<(string Site, RejectionReason Reason, long HourMs), long> _hours = [];
    private readonly SortedDictionary<long, List<(string Site, RejectionReason Reason)>> _keysByHour = [];
    private readonly Lock _lock = new();
    private readonly int _keep;
    private readonly TimeProvider _time;
    private readonly Channel<QuarantinedLine>? _toFile;
    private readonly Task _writer = Task.CompletedTask;
    private readonly string? _hoursPath;
    private bool _hoursChanged;
    private long _notPersisted;
    private string? _lastWriteError;

    /// <param name="directory">Folder of <c>quarantine.lp</c>; null keeps the lines in memory only.</param>
    public Quarantine(string? directory, TimeProvider? time = null, int keep = 1000)
    {
        _time = time ?? TimeProvider.System;
        _keep = keep;
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            FilePath = Path.Combine(directory, "quarantine.lp");
            _hoursPath = Path.Combine(directory, "hours.csv");
            LoadHours(_hoursPath);
            _toFile = Channel.CreateBounded<QuarantinedLine>(new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
            _writer = WriteAsync(_toFile.Reader, FilePath);
        }
    }

    public string? FilePath { get; }

    public long Total => _counts.Sum();

    /// <summary>Lines that could not be appended to the file because the writer fell behind (kept in memory and counted only).</summary>
    public long NotPersisted => Interlocked.Read(ref _notPersisted);

    public long Count(RejectionReason reason) => Interlocked.Read(ref _counts[(int)reason]);

    /// <summary>The latest lines set aside, newest last.</summary>
    public IReadOnlyList<QuarantinedLine> Recent()
    {
        lock (_lock)
        {
            return [.. _recent];
        }
    }

    /// <summary>The hourly counts held, oldest hour first.</summary>
    public IReadOnlyList<QuarantineHour> HourlyCounts()
    {
        lock (_lock)
        {
            return [.. _hours.OrderBy(h => h.Key.HourMs).ThenBy(h => h.Key.Site, StringComparer.Ordinal).ThenBy(h => h.Key.Reason)
                .Select(h => new QuarantineHour(h.Key.Site, h.Key.Reason, DateTimeOffset.FromUnixTimeMilliseconds(h.Key.HourMs), h.Value))];
        }
    }

    /// <param name="site">A registry site, or null (counted as <see cref="UnknownSite"/>).</param>
    /// <param name="timestampMs">The reading's timestamp (Unix ms), or null when it has none that can be trusted.</param>
    public void Add(string source, long line, RejectionReason reason, string message, ReadOnlySpan<byte> text, string? site = null, long? timestampMs = null)
    {
        Interlocked.Increment(ref _counts[(int)reason]);
        var now = _time.GetUtcNow();
        var entry = new QuarantinedLine(now, source, line, reason, message,
            Encoding.UTF8.GetString(text.Length > MaxTextLength ? text[..MaxTextLength] : text));
        var nowMs = now.ToUnixTimeMilliseconds();
        var at = timestampMs is { } t && t <= nowMs && t >= 0 ? t : nowMs;
        lock (_lock)
        {
            _recent.Enqueue(entry);
            if (_recent.Count > _keep)
            {
                _recent.Dequeue();
            }

            Count(site ?? UnknownSite, reason, at - (at % HourMs), 1);
            _hoursChanged = true;
        }

        if (_toFile is not null && !_toFile.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _notPersisted);
        }
    }

    /// <summary>Adds to an hour's count; past <see cref="MaxHours"/> keys the oldest hour goes. Caller holds the lock.</summary>
    private void Count(string site, RejectionReason reason, long hourMs, long count)
    {
        var key = (site, reason, hourMs);
        if (_hours.TryGetValue(key, out var held))
        {
            _hours[key] = held + count;
            return;
        }

        _hours[key] = count;
        if (!_keysByHour.TryGetValue(hourMs, out var keys))
        {
            _keysByHour[hourMs] = keys = [];
        }

        keys.Add((site, reason));
        while (_hours.Count > MaxHours && _keysByHour.Count > 1)
        {
            var (oldest, stale) = _keysByHour.First();
            _keysByHour.Remove(oldest);
            foreach (var (staleSite, staleReason) in stale)
            {
                _hours.Remove((staleSite, staleReason, oldest));
            }
        }
    }

    /// <summary>
    /// Saves the hourly counts next to <c>quarantine.lp</c> (<c>hours.csv</c>, replaced atomically), so that a restart
    /// goes on counting the same hours rather than rewriting them from zero. The pipeline calls it at each checkpoint.
    /// </summary>
    public void SaveHours()
    {
        lock (_lock)
        {
            // Checkpoints come every 30 s; most find nothing new to save.
            if (_hoursPath is null || !_hoursChanged)
            {
                return;
            }

            _hoursChanged = false;
        }

        var rows = HourlyCounts().Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Site},{h.Reason},{h.Hour.ToUnixTimeMilliseconds()},{h.Count}"));
        var temporary = _hoursPath + ".tmp";
        try
        {
            File.WriteAllLines(temporary, rows);
            File.Move(temporary, _hoursPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not saved: the next checkpoint tries again.
            lock (_lock)
            {
                _hoursChanged = true;
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _toFile?.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        SaveHours();
    }

    /// <summary>Reads what <see cref="SaveHours"/> wrote; a row that does not parse (a hand-edited file) is skipped.</summary>
    private void LoadHours(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        foreach (var fields in File.ReadLines(path).Select(l => l.Split(',')))
        {
            if (fields.Length == 4 && Enum.TryParse<RejectionReason>(fields[1], out var reason)
                && long.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var hourMs)
                && long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
            {
                Count(fields[0], reason, hourMs, count);
            }
        }
    }

    private async Task WriteAsync(ChannelReader<QuarantinedLine> reader, string path)
    {
        var pending = new List<QuarantinedLine>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (pending.Count < 10_000 && reader.TryRead(out var entry))
            {
                pending.Add(entry);
            }

            try
            {
                if (File.Exists(path) && new FileInfo(path).Length >= MaxFileBytes)
                {
                    Rotate(path);
                }

                await using var file = new StreamWriter(path, append: true, new UTF8Encoding(false));
                foreach (var entry in pending)
                {
                    await file.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"# {entry.At:O} {entry.Source} line {entry.Line}: {entry.Reason}: {entry.Message}")).ConfigureAwait(false);
                    await file.WriteLineAsync(entry.Text).ConfigureAwait(false);
                }

                await file.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full or failing disk: these lines are counted (and still in the API's recent list), intake goes on.
                Interlocked.Add(ref _notPersisted, pending.Count);
                Volatile.Write(ref _lastWriteError, ex.Message);
            }

            pending.Clear();
        }
    }

    /// <summary>The last reason a line could not be written to the file, if any.</summary>
    public string? LastWriteError => Volatile.Read(ref _lastWriteError);

    private static void Rotate(string path)
    {
        File.Delete($"{path}.{RotatedFiles}");
        for (var i = RotatedFiles - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }

        File.Move(path, path + ".1");
    }
}
