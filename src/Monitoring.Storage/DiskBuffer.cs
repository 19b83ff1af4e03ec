using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Monitoring.Storage;

/// <summary>
/// The edge agent's store-and-forward buffer: append-only segment files of checksummed records, group-committed
/// with fsync, bounded by size and age, replayed in order from the last acknowledged record after a restart.
/// A record leaves only when the uplink acknowledges it. A torn or damaged file is repaired at start-up, never a
/// reason to refuse to start. Thread-safe: inputs append while the uplink reads and acknowledges.
/// </summary>
public sealed class DiskBuffer : IAsyncDisposable
{
    private const string SegmentExtension = ".seg";
    private const string CursorFile = "cursor";
    private const string InstanceFile = "instance";

    private readonly DiskBufferOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<Segment> _segments = [];
    private readonly List<(long Sequence, TaskCompletionSource Durable)> _waiting = [];
    private readonly SemaphoreSlim _commitSignal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _committer;
    private readonly RecentPayloads? _recent;
    private SafeFileHandle? _active;
    private long _nextSequence;
    private long _durableThrough;
    private long _acknowledged;
    private (long SegmentFirst, long Offset) _cursor;
    private long _appended;
    private long _acknowledgedCount;
    private long _droppedGauges;
    private long _droppedCounters;
    private long _expired;
    private long _refused;
    private long _writeFailures;
    private long _cursorWriteFailures;
    private bool _cursorStale;

    /// <summary>The largest payload one record holds.</summary>
    public const int MaxPayloadLength = BufferRecordFormat.MaxPayloadLength;

    /// <summary>
    /// A random id given to the buffer when it is created (kept in its <c>instance</c> file): sequence numbers are unique
    /// only within one instance, so a wiped or recreated buffer, whose sequences start again at 1, has another.
    /// </summary>
    public string InstanceId { get; private set; } = "";

    private DiskBuffer(DiskBufferOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _committer = options.Fsync ? CommitLoopAsync(_stopping.Token) : Task.CompletedTask;
        _recent = options.RedeliveryWindow > 0 ? new RecentPayloads(options.RedeliveryWindow) : null;
    }

    /// <summary>Opens (and if needed repairs) the buffer in <see cref="DiskBufferOptions.Directory"/>.</summary>
    public static DiskBuffer Open(DiskBufferOptions options, out BufferRecoveryReport report, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.Directory);
        var buffer = new DiskBuffer(options, time ?? TimeProvider.System);
        report = buffer.Recover();
        return buffer;
    }

    /// <summary>
    /// Appends a record and returns its sequence number once it is durable (fsynced, or handed to the OS when
    /// <see cref="DiskBufferOptions.Fsync"/> is off). Returns -1 when the buffer is full and the record is a gauge:
    /// it was dropped and counted.
    /// </summary>
    public async ValueTask<long> AppendAsync(RecordPriority priority, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > BufferRecordFormat.MaxPayloadLength)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, $"Records hold at most {BufferRecordFormat.MaxPayloadLength} bytes.");
        }

        TaskCompletionSource? durable = null;
        long sequence;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            var size = BufferRecordFormat.Size(payload.Length);
            ExpireOldSegments();
            if (!MakeRoom(size, priority))
            {
                if (_options.RefuseWhenFull)
                {
                    _refused++;
                }
                else
                {
                    _droppedGauges++;
                }

                return -1;
            }

            sequence = _nextSequence;
            try
            {
                Write(sequence, priority, payload.Span, size);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Disk full, EFBIG, a read-only remount: the record is not in the buffer and its sequence is not used.
                Interlocked.Increment(ref _writeFailures);
                throw;
            }

            _nextSequence++;
            _appended++;
            if (!_options.Fsync)
            {
                _durableThrough = sequence;
            }
            else
            {
                durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((sequence, durable));
            }
        }

        if (durable is not null)
        {
            _commitSignal.Release();
            try
            {
                await durable.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The fsync failed: the record is written but not known durable, so the append is not confirmed.
                Interlocked.Increment(ref _writeFailures);
                throw;
            }
        }

        return sequence;
    }

    /// <summary>
    /// The oldest unacknowledged durable records, in order, without removing them. Records not yet fsynced are
    /// never handed out: a power cut could tear them and their sequence numbers would be given to other records.
    /// </summary>
    public IReadOnlyList<BufferedRecord> Peek(int maxRecords, int maxBytes = int.MaxValue) => Peek(maxRecords, maxBytes, after: 0);

    /// <summary>
    /// As <see cref="Peek(int, int)"/>, from the first unacknowledged record after <paramref name="after"/>: pages
    /// through what is pending without acknowledging it (a write-ahead log replayed at start).
    /// </summary>
    public IReadOnlyList<BufferedRecord> Peek(int maxRecords, int maxBytes, long after)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        var records = new List<BufferedRecord>();
        lock (_lock)
        {
            var bytes = 0;
            foreach (var (segment, offset) in SegmentsFromCursor())
            {
                var data = ReadSegment(segment, offset);
                var position = 0;
                while (position < data.Length && records.Count < maxRecords)
                {
                    var length = BufferRecordFormat.TryRead(data.AsSpan(position), segment.Seed, out var header);
                    if (length == 0 || header.Sequence > _durableThrough || (records.Count > 0 && bytes + header.PayloadLength > maxBytes))
                    {
                        return records;
                    }

                    if (header.Sequence > _acknowledged && header.Sequence > after)
                    {
                        var payload = data.AsMemory(position + BufferRecordFormat.HeaderLength, header.PayloadLength);
                        records.Add(new BufferedRecord(header.Sequence, DateTimeOffset.FromUnixTimeMilliseconds(header.UnixMilliseconds), header.Priority, payload));
                        bytes += header.PayloadLength;
                    }

                    position += length;
                }

                if (records.Count >= maxRecords)
                {
                    break;
                }
            }
        }

        return records;
    }

    /// <summary>
    /// Whether a record with exactly <paramref name="payload"/> is among the newest
    /// <see cref="DiskBufferOptions.RedeliveryWindow"/> records appended, acknowledged or not, in this run or before a
    /// restart (always false when the window is zero). For redelivered input messages: an O(1) look-up of a digest.
    /// </summary>
    public bool ContainsRecent(ReadOnlyMemory<byte> payload)
    {
        lock (_lock)
        {
            return _recent?.Contains(payload.Span) == true;
        }
    }

    /// <summary>The uplink confirmed every record through <paramref name="sequence"/>: they leave the buffer.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_lock)
        {
            if (sequence <= _acknowledged)
            {
                return;
            }

            sequence = Math.Min(sequence, _nextSequence - 1);
            foreach (var segment in _segments)
            {
                if (segment.LastSequence <= _acknowledged)
                {
                    continue;
                }

                if (segment.LastSequence <= sequence)
                {
                    _acknowledgedCount += segment.Unacknowledged;
                    segment.Unacknowledged = 0;
                    segment.UnacknowledgedGauges = 0;
                    continue;
                }

                if (segment.FirstSequence <= sequence)
                {
                    AcknowledgeWithin(segment, sequence);
                }

                break;
            }

            _acknowledged = sequence;
            WriteCursorOrRetryLater();
            DeleteAcknowledgedSegments();
        }
    }

    public BufferStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                var records = _segments.Sum(s => s.Unacknowledged);
                var oldest = _segments.FirstOrDefault(s => s.Unacknowledged > 0)?.FirstUnixMs;
                var age = oldest is { } ms ? _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms) : TimeSpan.Zero;
                return new BufferStatistics(records, _segments.Sum(s => s.Bytes), age, _appended, _acknowledgedCount, _droppedGauges, _droppedCounters, _expired, _refused)
                {
                    WriteFailures = Interlocked.Read(ref _writeFailures),
                    CursorWriteFailures = _cursorWriteFailures,
                    CursorStale = _cursorStale,
                };
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
        }

        await _committer.ConfigureAwait(false);
        lock (_lock)
        {
            Commit();
            _active?.Dispose();
            _active = null;
        }

        _stopping.Dispose();
        _commitSignal.Dispose();
    }

    private Segment? ActiveSegment => _active is null ? null : _segments[^1];

    private BufferRecoveryReport Recover()
    {
        var problems = new List<string>();
        InstanceId = ReadOrCreateInstance(problems);
        _acknowledged = ReadCursor(problems);
        long records = 0, discardedRecords = 0, discardedBytes = 0;
        foreach (var path in Directory.EnumerateFiles(_options.Directory, "*" + SegmentExtension).Order(StringComparer.Ordinal))
        {
            var data = File.ReadAllBytes(path);
            var segment = new Segment(path);
            var seed = segment.Seed;
            var kept = new MemoryStream();
            var position = 0;
            var damaged = false;
            while (position < data.Length)
            {
                var length = BufferRecordFormat.TryRead(data.AsSpan(position), seed, out var header);
                if (length > 0 && header.Sequence > segment.LastSequence)
                {
                    segment.Add(header, length, header.Sequence > _acknowledged);
                    _recent?.Add(data.AsSpan(position + BufferRecordFormat.HeaderLength, header.PayloadLength));
                    kept.Write(data, position, length);
                    position += length;
                    continue;
                }

                // Damage: skip to the next place where a whole record starts, or to the end (a torn tail).
                damaged = true;
                var next = NextRecordStart(data, position + 1, segment.LastSequence, seed);
                discardedBytes += next - position;
                discardedRecords++;
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}: discarded {next - position} damaged bytes at offset {position}"));
                position = next;
            }

            if (damaged)
            {
                ReplaceFile(path, kept.ToArray());
            }

            if (segment.Records == 0)
            {
                File.Delete(path);
                continue;
            }

            records += segment.Unacknowledged;
            _segments.Add(segment);
        }

        DeleteAcknowledgedSegments();

        _durableThrough = Math.Max(_acknowledged, _segments.Count > 0 ? _segments[^1].LastSequence : 0);
        _nextSequence = _durableThrough + 1;
        return new BufferRecoveryReport(_segments.Count(s => s.Unacknowledged > 0), records, discardedRecords, discardedBytes, problems);
    }

    /// <summary>
    /// Where the next whole record starts after damage. In a keyed segment only a record with the segment's seed
    /// counts, so a record-shaped payload inside a damaged record (bytes a writer chose) is never taken for one.
    /// </summary>
    private static int NextRecordStart(byte[] data, int from, long afterSequence, ulong? seed)
    {
        for (var position = from; position < data.Length; position++)
        {
            if (BufferRecordFormat.TryRead(data.AsSpan(position), seed, out var header) > 0 && header.Sequence > afterSequence)
            {
                return position;
            }
        }

        return data.Length;
    }

    private void Write(long sequence, RecordPriority priority, ReadOnlySpan<byte> payload, int size)
    {
        if (_active is not null && ActiveSegment!.Bytes + size > _options.SegmentBytes)
        {
            SealActive();
        }

        if (_active is null)
        {
            var seed = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            var path = Path.Combine(_options.Directory, string.Create(CultureInfo.InvariantCulture, $"{sequence:D20}-{seed:x16}{SegmentExtension}"));
            _active = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            _segments.Add(new Segment(path));
            if (_options.Fsync)
            {
                // The new file's name must be durable before any record in it is said to be.
                DirectorySync.Flush(_options.Directory);
            }
        }

        var segment = ActiveSegment!;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            BufferRecordFormat.Write(buffer, segment.Seed!.Value, sequence, now, priority, payload);
            RandomAccess.Write(_active, buffer.AsSpan(0, size), segment.Bytes);
            segment.Add(new BufferedRecordHeader(sequence, now, priority, payload.Length), size, unacknowledged: true);
            _recent?.Add(payload);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DiscardFailedWrite(segment);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// After a failed write: the torn bytes past the segment's last record are cut off (the next record is written over
    /// them anyway), and a segment that got no record at all is removed, so that no empty file outlives the failure.
    /// </summary>
    private void DiscardFailedWrite(Segment segment)
    {
        try
        {
            if (segment.Records > 0)
            {
                RandomAccess.SetLength(_active!, segment.Bytes);
                return;
            }

            _active!.Dispose();
            _active = null;
            _segments.Remove(segment);
            File.Delete(segment.Path);
        }
        catch (IOException)
        {
            // Best effort: recovery at the next start drops a torn tail or an empty segment by itself.
        }
    }

    private void SealActive()
    {
        Commit();
        _active!.Dispose();
        _active = null;
    }

    /// <summary>Frees room for a record: gauges go first (new ones refused, old ones compacted away), then the oldest segment.</summary>
    private bool MakeRoom(int size, RecordPriority priority)
    {
        while (_segments.Sum(s => s.Bytes) + size > _options.MaxBytes)
        {
            if (priority == RecordPriority.Gauge || _options.RefuseWhenFull)
            {
                return false;
            }

            var sealedSegments = _segments.Where(s => s != ActiveSegment).ToList();
            var acknowledged = sealedSegments.FirstOrDefault(s => s.Unacknowledged == 0);
            if (acknowledged is not null)
            {
                // Kept only for the redelivery window: room for a record of data comes first.
                DeleteSegments(s => s == acknowledged);
                continue;
            }

            var withGauges = sealedSegments.FirstOrDefault(s => s.UnacknowledgedGauges > 0);
            if (withGauges is not null)
            {
                CompactAwayGauges(withGauges);
                continue;
            }

            if (sealedSegments.Count == 0)
            {
                SealActive();
                continue;
            }

            var oldest = sealedSegments[0];
            _droppedCounters += oldest.Unacknowledged;
            DeleteSegments(s => s == oldest);
        }

        return true;
    }

    private void CompactAwayGauges(Segment segment)
    {
        var data = ReadSegment(segment, 0);
        var kept = new MemoryStream();
        var compacted = new Segment(segment.Path);
        var position = 0;
        while (position < data.Length)
        {
            var length = BufferRecordFormat.TryRead(data.AsSpan(position), segment.Seed, out var header);
            if (length == 0)
            {
                break;
            }

            var unacknowledged = header.Sequence > _acknowledged;
            if (header.Priority == RecordPriority.Counter && unacknowledged)
            {
                kept.Write(data, position, length);
                compacted.Add(header, length, unacknowledged: true);
            }
            else if (unacknowledged)
            {
                _droppedGauges++;
            }

            position += length;
        }

        ReplaceFile(segment.Path, kept.ToArray());
        _segments[_segments.IndexOf(segment)] = compacted;
        _cursor = default;
        if (compacted.Records == 0)
        {
            DeleteSegments(s => s == compacted);
        }
    }

    private void ExpireOldSegments()
    {
        var limit = (_time.GetUtcNow() - _options.MaxAge).ToUnixTimeMilliseconds();
        if (_segments.Count == 0 || _segments[0].LastUnixMs >= limit)
        {
            return;
        }

        foreach (var segment in _segments.Where(s => s.LastUnixMs < limit).ToList())
        {
            if (segment == ActiveSegment)
            {
                SealActive();
            }

            _expired += segment.Unacknowledged;
            DeleteSegments(s => s == segment);
        }
    }

    /// <summary>
    /// Deletes the sealed segments whose records are all acknowledged, except those still holding part of the newest
    /// <see cref="DiskBufferOptions.RedeliveryWindow"/> records (so that a restart finds them for <see cref="ContainsRecent"/>).
    /// </summary>
    private void DeleteAcknowledgedSegments()
    {
        var newer = 0L;
        var deleted = false;
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            var segment = _segments[i];
            if (segment != ActiveSegment && segment.LastSequence <= _acknowledged && newer >= _options.RedeliveryWindow)
            {
                File.Delete(segment.Path);
                _segments.RemoveAt(i);
                deleted = true;
                continue;
            }

            newer += segment.Records;
        }

        if (deleted)
        {
            _cursor = default;
        }
    }

    private void DeleteSegments(Func<Segment, bool> predicate)
    {
        foreach (var segment in _segments.Where(predicate).ToList())
        {
            File.Delete(segment.Path);
            _segments.Remove(segment);
        }

        _cursor = default;
    }

    /// <summary>Segments holding unacknowledged records, with the offset to start reading each from.</summary>
    private IEnumerable<(Segment Segment, long Offset)> SegmentsFromCursor()
    {
        foreach (var segment in _segments)
        {
            if (segment.LastSequence <= _acknowledged)
            {
                continue;
            }

            yield return (segment, segment.FirstSequence == _cursor.SegmentFirst ? _cursor.Offset : 0);
        }
    }

    /// <summary>Acknowledges the records of one segment through <paramref name="sequence"/> and moves the read cursor past them.</summary>
    private void AcknowledgeWithin(Segment segment, long sequence)
    {
        var offset = segment.FirstSequence == _cursor.SegmentFirst ? _cursor.Offset : 0;
        var data = ReadSegment(segment, offset);
        var position = 0;
        while (position < data.Length)
        {
            var length = BufferRecordFormat.TryRead(data.AsSpan(position), segment.Seed, out var header);
            if (length == 0 || header.Sequence > sequence)
            {
                break;
            }

            if (header.Sequence > _acknowledged)
            {
                _acknowledgedCount++;
                segment.Unacknowledged--;
                segment.UnacknowledgedGauges -= header.Priority == RecordPriority.Gauge ? 1 : 0;
            }

            position += length;
        }

        _cursor = (segment.FirstSequence, offset + position);
    }

    private static byte[] ReadSegment(Segment segment, long offset)
    {
        using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var data = new byte[segment.Bytes - offset];
        var read = 0;
        while (read < data.Length)
        {
            var n = RandomAccess.Read(handle, data.AsSpan(read), offset + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return data;
    }

    private async Task CommitLoopAsync(CancellationToken stopping)
    {
        var batch = new List<(long Sequence, TaskCompletionSource Durable)>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _commitSignal.WaitAsync(stopping).ConfigureAwait(false);
                if (_options.CommitInterval > TimeSpan.Zero)
                {
                    await Task.Delay(_options.CommitInterval, _time, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            CommitOutsideLock(batch);
        }
    }

    /// <summary>
    /// One group commit without holding the lock during the fsync, so that appends go on meanwhile (the next commit
    /// covers them). The handle is ref-counted for the flush; if a segment rotation closed it meanwhile, the rotation
    /// fsynced it first, so the records taken here are durable either way.
    /// </summary>
    private void CommitOutsideLock(List<(long Sequence, TaskCompletionSource Durable)> batch)
    {
        SafeFileHandle? handle;
        var added = false;
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                return;
            }

            batch.AddRange(_waiting);
            _waiting.Clear();
            handle = _active;
            handle?.DangerousAddRef(ref added);
        }

        try
        {
            if (handle is not null && !handle.IsClosed)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }
        catch (ObjectDisposedException)
        {
            // Rotated meanwhile: SealActive fsynced the segment before closing it.
        }
        catch (IOException ex)
        {
            // Not durable: the appends fail (their writers retry) and the loop goes on.
            foreach (var (_, durable) in batch)
            {
                durable.TrySetException(ex);
            }

            batch.Clear();
            return;
        }
        finally
        {
            if (added)
            {
                handle!.DangerousRelease();
            }
        }

        lock (_lock)
        {
            foreach (var (sequence, durable) in batch)
            {
                _durableThrough = Math.Max(_durableThrough, sequence);
                durable.TrySetResult();
            }
        }

        batch.Clear();
    }

    /// <summary>fsyncs the active segment and releases every append waiting for it. Caller holds the lock.</summary>
    private void Commit()
    {
        if (_active is not null && _options.Fsync)
        {
            RandomAccess.FlushToDisk(_active);
        }

        foreach (var (sequence, durable) in _waiting)
        {
            _durableThrough = Math.Max(_durableThrough, sequence);
            durable.TrySetResult();
        }

        _waiting.Clear();
    }

    private string ReadOrCreateInstance(List<string> problems)
    {
        var path = Path.Combine(_options.Directory, InstanceFile);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length == 16 && text.All(char.IsAsciiHexDigitLower))
            {
                return text;
            }

            problems.Add($"{InstanceFile}: unreadable ('{text}'); the buffer gets a new instance id");
        }

        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        ReplaceFile(path, System.Text.Encoding.ASCII.GetBytes(id + "\n"));
        return id;
    }

    private long ReadCursor(List<string> problems)
    {
        var path = Path.Combine(_options.Directory, CursorFile);
        if (!File.Exists(path))
        {
            return 0;
        }

        var text = File.ReadAllText(path).Trim();
        if (text.StartsWith("acknowledged=", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan("acknowledged=".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return sequence;
        }

        problems.Add($"{CursorFile}: unreadable ('{text}'); every buffered record will be sent again");
        return 0;
    }

    /// <summary>
    /// The acknowledged position survives a full disk: if its file cannot be replaced, the position holds in memory,
    /// acknowledged segments are still deleted (which frees space), and the next acknowledgement writes it again.
    /// A crash meanwhile resends what was acknowledged since the last written position (at least once, never lost).
    /// </summary>
    private void WriteCursorOrRetryLater()
    {
        try
        {
            WriteCursor();
            _cursorStale = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _cursorWriteFailures++;
            _cursorStale = true;
        }
    }

    private void WriteCursor() =>
        ReplaceFile(Path.Combine(_options.Directory, CursorFile), System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"acknowledged={_acknowledged}\n")));

    /// <summary>Writes a whole file atomically: a temporary file, fsynced, renamed over the old one.</summary>
    private void ReplaceFile(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, content, 0);
            if (_options.Fsync)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }

        File.Move(temporary, path, overwrite: true);
        if (_options.Fsync)
        {
            DirectorySync.Flush(_options.Directory);
        }
    }

    /// <summary>What the buffer knows of a segment file without reading it.</summary>
    private sealed class Segment(string path)
    {
        public string Path { get; } = path;

        /// <summary>The seed of a keyed segment (<c>{sequence}-{seed}.seg</c>), null for a legacy one (<c>{sequence}.seg</c>, CRC-32).</summary>
        public ulong? Seed { get; } = SeedOf(path);

        public long FirstSequence { get; private set; }

        public long LastSequence { get; private set; }

        public long FirstUnixMs { get; private set; }

        public long LastUnixMs { get; private set; }

        public long Bytes { get; private set; }

        public int Records { get; private set; }

        public int Unacknowledged { get; set; }

        public int UnacknowledgedGauges { get; set; }

        private static ulong? SeedOf(string path)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            return name.Length == 37 && name[20] == '-'
                && ulong.TryParse(name.AsSpan(21), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var seed) ? seed : null;
        }

        public void Add(BufferedRecordHeader header, int size, bool unacknowledged)
        {
            if (Records == 0)
            {
                FirstSequence = header.Sequence;
                FirstUnixMs = header.UnixMilliseconds;
            }

            LastSequence = header.Sequence;
            LastUnixMs = header.UnixMilliseconds;
            Bytes += size;
            Records++;
            if (unacknowledged)
            {
                Unacknowledged++;
                UnacknowledgedGauges += header.Priority == RecordPriority.Gauge ? 1 : 0;
            }
        }
    }
}
