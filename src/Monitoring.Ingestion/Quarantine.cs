using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Monitoring.Ingestion;

/// <summary>A line set aside: well-formed but not usable as it stands (unknown meter or field, wrong type, too far ahead...).</summary>
public sealed record QuarantinedLine(DateTimeOffset At, string Source, long Line, RejectionReason Reason, string Message, string Text);

/// <summary>
/// Where readings that cannot be used go instead of being dropped: counted by reason, the latest kept in memory for
/// the API, every one appended (with its reason as a comment line) to <c>quarantine.lp</c> so that it can be fixed
/// and written again once the registry knows the meter. Thread-safe.
/// </summary>
public sealed class Quarantine : IAsyncDisposable
{
    private const int MaxTextLength = 1024;
    private static readonly int ReasonCount = Enum.GetValues<RejectionReason>().Length;

    private readonly long[] _counts = new long[ReasonCount];
    private readonly Queue<QuarantinedLine> _recent = new();
    private readonly Lock _lock = new();
    private readonly int _keep;
    private readonly TimeProvider _time;
    private readonly Channel<QuarantinedLine>? _toFile;
    private readonly Task _writer = Task.CompletedTask;
    private long _notPersisted;

    /// <param name="directory">Folder of <c>quarantine.lp</c>; null keeps the lines in memory only.</param>
    public Quarantine(string? directory, TimeProvider? time = null, int keep = 1000)
    {
        _time = time ?? TimeProvider.System;
        _keep = keep;
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            FilePath = Path.Combine(directory, "quarantine.lp");
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

    public void Add(string source, long line, RejectionReason reason, string message, ReadOnlySpan<byte> text)
    {
        Interlocked.Increment(ref _counts[(int)reason]);
        var entry = new QuarantinedLine(_time.GetUtcNow(), source, line, reason, message,
            Encoding.UTF8.GetString(text.Length > MaxTextLength ? text[..MaxTextLength] : text));
        lock (_lock)
        {
            _recent.Enqueue(entry);
            if (_recent.Count > _keep)
            {
                _recent.Dequeue();
            }
        }

        if (_toFile is not null && !_toFile.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _notPersisted);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _toFile?.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private static async Task WriteAsync(ChannelReader<QuarantinedLine> reader, string path)
    {
        await using var file = new StreamWriter(path, append: true, new UTF8Encoding(false));
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                await file.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"# {entry.At:O} {entry.Source} line {entry.Line}: {entry.Reason}: {entry.Message}")).ConfigureAwait(false);
                await file.WriteLineAsync(entry.Text).ConfigureAwait(false);
            }

            await file.FlushAsync().ConfigureAwait(false);
        }
    }
}
