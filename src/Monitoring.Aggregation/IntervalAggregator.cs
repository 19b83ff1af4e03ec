using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation;

/// <summary>
/// Turns readings of the catalog's series into closed 15-minute, hourly, daily and monthly intervals
/// (methods.md §Counters; docs/data-model.md). Event time with a per-series watermark and allowed lateness;
/// data arriving after its interval closed produces correction records.
/// </summary>
/// <remarks>
/// <para>Single owner: not thread-safe. The host feeds it from one consumer of a bounded channel and calls
/// <see cref="FlushIdle"/> on the same thread (e.g. a timer posting a tick into that channel).</para>
/// <para>All per-series state lives in arrays of structs preallocated from the catalog; in steady state (readings
/// in order or within the allowed lateness) an update allocates nothing, closed intervals included.</para>
/// <para>Per series: readings wait, sorted, in a small pending buffer until the watermark (newest event time of
/// the series − allowed lateness) passes them; they are then final and processed strictly in event-time order,
/// so readings shuffled within the lateness give exactly the in-order result. Counter deltas are spread over
/// their reading span by duration, split at quarter hours, into one open accumulator per resolution; an
/// interval closes when final data covers its end (counters: a final reading at or after it; gauges: the
/// watermark) or an idle flush forces it.</para>
/// </remarks>
public sealed class IntervalAggregator
{
    private const int Resolutions = IntervalResolutions.Count;
    private const double CorrectionTolerance = 1e-9;

    // Resets remembered per counter series (the latest ones): a replacement declared after its readings left the
    // history turns the reset it explains into corrections from these alone.
    private const int ResetMemory = 4;

    private readonly SeriesCatalog _catalog;
    private readonly IIntervalSink _sink;
    private readonly TimeProvider _time;
    private readonly long _lateness;
    private readonly long _idleTimeout;
    private readonly long _gapThreshold;
    private readonly long _maxFutureSkew;
    private readonly long _maxAge;
    private readonly long _maxBackfill;
    private readonly int _pendingCapacity;
    private readonly int _historyDepth;
    private readonly CounterSettings[] _settings;
    private readonly SiteCalendar[] _calendars;
    private readonly SeriesState[] _state;
    private readonly Accumulator[] _open;
    private readonly Reading[] _pending;
    private readonly HistoryEntry[] _history;
    private readonly ReplacementPoint[]?[] _replacements;
    private readonly ResetSpan[] _resets;
    private readonly List<Correction> _corrections = new(64);
    private readonly List<(int Id, ReplacementPoint[] Before)> _changedReplacements = [];
    private long _globalMaxEventTime = long.MinValue;

    private long _accepted;
    private long _reordered;
    private long _corrected;
    private long _duplicates;
    private long _tooLate;
    private long _rejectedInvalid;
    private long _rejectedFuture;
    private long _pendingOverflow;
    private long _intervals;
    private long _correctionRecords;

    public IntervalAggregator(SeriesCatalog catalog, IIntervalSink sink, AggregatorOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new AggregatorOptions();
        options.Validate();
        _catalog = catalog;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _lateness = (long)options.AllowedLateness.TotalMilliseconds;
        _idleTimeout = (long)options.IdleTimeout.TotalMilliseconds;
        _gapThreshold = (long)options.GapThreshold.TotalMilliseconds;
        _maxFutureSkew = (long)options.MaxFutureSkew.TotalMilliseconds;
        _maxAge = (long)Math.Min(options.MaxAge.TotalMilliseconds, long.MaxValue / 4);
        _maxBackfill = (long)Math.Min(options.MaxBackfillSpan.TotalMilliseconds, long.MaxValue / 4);
        _pendingCapacity = options.PendingCapacity;
        _historyDepth = options.HistoryDepth;

        var n = catalog.Count;
        _settings = new CounterSettings[n];
        _state = new SeriesState[n];
        _open = new Accumulator[n * Resolutions];
        _pending = new Reading[n * _pendingCapacity];
        _history = new HistoryEntry[n * _historyDepth];
        _replacements = new ReplacementPoint[]?[n];
        _resets = new ResetSpan[n * ResetMemory];
        _calendars = new SiteCalendar[n];
        var siteCalendars = catalog.Registry.Sites.Select(site => new SiteCalendar(site.TimeZone)).ToArray();
        for (var id = 0; id < n; id++)
        {
            var info = catalog[id];
            _calendars[id] = siteCalendars[info.SiteIndex];
            _settings[id] = new CounterSettings(info.Multiplier, info.RolloverModulus, info.RatedRate, options.SpikeFactor);
            _state[id] = SeriesState.Empty;
            if (info.Kind == FieldKind.Counter && info.Meter?.Replacements.Where(r => r.Field == info.Field).ToList() is { Count: > 0 } registered)
            {
                _replacements[id] = [.. registered.Select(r => new ReplacementPoint(r.At.ToUnixTimeMilliseconds(), r.OldFinal, r.NewInitial))];
            }
        }
    }

    public SeriesCatalog Catalog => _catalog;

    /// <summary>
    /// The aggregator-wide event-time watermark (newest event time of any series − allowed lateness), up to which
    /// <see cref="FlushIdle"/> closes idle series; null before the first reading. Roll-ups advance with it.
    /// </summary>
    public DateTimeOffset? Watermark => _globalMaxEventTime == long.MinValue
        ? null
        : DateTimeOffset.FromUnixTimeMilliseconds(_globalMaxEventTime - _lateness);

    public AggregatorCounters Counters => new(
        _accepted, _reordered, _corrected, _duplicates, _tooLate, _rejectedInvalid, _rejectedFuture, _pendingOverflow, _intervals, _correctionRecords);

    /// <summary>Registers a counter replacement. Register it before the readings around it arrive: it is not applied retroactively.</summary>
    public void RegisterReplacement(MeterReplacement replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (_catalog.Find(replacement.SiteId, replacement.MeterId, replacement.Field, out var id) != SeriesLookup.Found)
        {
            throw new ArgumentException($"meter replacement for unknown series {replacement.SiteId}/{replacement.MeterId}/{replacement.Field}", nameof(replacement));
        }

        if (_catalog[id].Kind != FieldKind.Counter)
        {
            throw new ArgumentException($"meter replacement for {_catalog[id]}: only counters are replaced", nameof(replacement));
        }

        var point = new ReplacementPoint(replacement.At.ToUnixTimeMilliseconds(), replacement.OldFinal, replacement.NewInitial);
        _replacements[id] = [.. (_replacements[id] ?? []).Append(point).OrderBy(p => p.At)];
    }

    public UpdateResult Update(int seriesId, DateTimeOffset timestamp, double value) =>
        Update(seriesId, timestamp.ToUnixTimeMilliseconds(), value);

    /// <summary>Adds one reading (<paramref name="timestampMs"/>: UTC Unix milliseconds; <paramref name="value"/>: raw, before the multiplier).</summary>
    public UpdateResult Update(int seriesId, long timestampMs, double value) =>
        Update(seriesId, timestampMs, value, _time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>
    /// Adds one reading of a batch whose arrival time <paramref name="now"/> (Unix ms, from the aggregator's
    /// <see cref="TimeProvider"/>) the caller read once: reading the clock per reading cost 6 % of the server's time.
    /// </summary>
    public UpdateResult Update(int seriesId, long timestampMs, double value, long now)
    {
        if ((uint)seriesId >= (uint)_state.Length || !double.IsFinite(value))
        {
            _rejectedInvalid++;
            return UpdateResult.Rejected;
        }

        if (timestampMs > now + _maxFutureSkew)
        {
            _rejectedFuture++;
            return UpdateResult.Rejected;
        }

        if (timestampMs < now - _maxAge)
        {
            _rejectedInvalid++;
            return UpdateResult.Rejected;
        }

        ref var s = ref _state[seriesId];
        s.LastArrival = now;
        if (timestampMs > _globalMaxEventTime)
        {
            _globalMaxEventTime = timestampMs;
        }

        if (timestampMs <= s.FinalUntil)
        {
            return Late(seriesId, ref s, timestampMs, value);
        }

        if (s.PendingCount == _pendingCapacity)
        {
            // Full: process the oldest early rather than lose anything.
            _pendingOverflow++;
            s.FinalUntil = _pending[seriesId * _pendingCapacity].Time;
            FinalizePending(seriesId, ref s);
            if (timestampMs <= s.FinalUntil)
            {
                return Late(seriesId, ref s, timestampMs, value);
            }
        }

        if (!InsertPending(seriesId, ref s, timestampMs, value))
        {
            _duplicates++;
            return UpdateResult.Duplicate;
        }

        _accepted++;
        if (timestampMs > s.MaxEventTime)
        {
            s.MaxEventTime = timestampMs;
            var watermark = timestampMs - _lateness;
            if (watermark > s.FinalUntil)
            {
                s.FinalUntil = watermark;
                FinalizePending(seriesId, ref s);
            }
        }
        else
        {
            _reordered++;
        }

        return UpdateResult.Accepted;
    }

    /// <summary>
    /// Closes the intervals of series that received nothing for <see cref="AggregatorOptions.IdleTimeout"/> of
    /// wall-clock time: their pending readings become final and their intervals close up to the aggregator-wide
    /// event-time watermark (newest event time of any series − allowed lateness). Event time, not the wall
    /// clock, decides how far, so a replay with a real clock behaves as live operation. Returns the number of
    /// idle series flushed.
    /// </summary>
    public int FlushIdle()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var globalWatermark = _globalMaxEventTime == long.MinValue ? long.MinValue : _globalMaxEventTime - _lateness;
        var flushed = 0;
        for (var id = 0; id < _state.Length; id++)
        {
            ref var s = ref _state[id];
            if (s.MaxEventTime == long.MinValue || now - s.LastArrival < _idleTimeout)
            {
                continue;
            }

            var before = _open[id * Resolutions].Start;
            FinalizeAll(id, ref s);
            if (s.Initialized && globalWatermark > s.FinalUntil)
            {
                AdvanceOpen(id, ref s, SiteCalendar.FloorQuarter(globalWatermark));
            }

            if (_open[id * Resolutions].Start != before)
            {
                flushed++;
            }
        }

        return flushed;
    }

    /// <summary>
    /// Writes the whole state (series, open intervals, pending readings, history, counters) for a checkpoint, keyed by
    /// each series' <c>site/meter/field</c>: loaded into an aggregator built from the same registry, it continues exactly
    /// where this one stands; under a changed registry every series still there continues (with its current settings
    /// from then on), a new one starts fresh.
    /// </summary>
    public void SaveState(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        StateFile.WriteHeader(destination, nameof(IntervalAggregator), Layout());
        StateFile.WriteKeys(destination, [.. _catalog.Series.Select(s => s.ToString())]);
        StateFile.WriteArray(destination, _state);
        StateFile.WriteArray(destination, _open);
        StateFile.WriteArray(destination, _pending);
        StateFile.WriteArray(destination, _history);
        StateFile.WriteArray(destination, [
            _globalMaxEventTime, _accepted, _reordered, _corrected, _duplicates, _tooLate,
            _rejectedInvalid, _rejectedFuture, _pendingOverflow, _intervals, _correctionRecords]);

        // What the state's values were computed with: a changed registry is compared with it at load.
        StateFile.WriteArray(destination, [.. _settings.Select(c => new SavedSettings(c.Multiplier, c.PreviousMultiplier, c.MultiplierFrom))]);
        StateFile.WriteArray(destination, [.. _replacements.Select(r => r?.Length ?? 0)]);
        StateFile.WriteArray(destination, [.. _replacements.SelectMany(r => r ?? [])]);
        StateFile.WriteArray(destination, _resets);
    }

    /// <summary>
    /// Replaces the state with one written by <see cref="SaveState"/>, matching series by key; returns how the saved
    /// series map onto the catalog. <see cref="StateLayoutException"/> when <see cref="AggregatorOptions.PendingCapacity"/>
    /// or <see cref="AggregatorOptions.HistoryDepth"/> changed (the arrays' layout); <see cref="InvalidDataException"/>
    /// when it is not such a state.
    /// </summary>
    public KeyMap LoadState(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var format = StateFile.ReadHeader(source, nameof(IntervalAggregator), () => StateFile.LegacyFingerprint(
            _catalog, _lateness, _gapThreshold, _pendingCapacity, _historyDepth, BitConverter.DoubleToInt64Bits(_settings.Length > 0 ? _settings[0].SpikeFactor : 0)), Layout());
        var ids = _catalog.Series.Select((s, i) => (Key: s.ToString(), Id: i)).ToDictionary(p => p.Key, p => p.Id, StringComparer.Ordinal);
        var keys = format == StateFile.LegacyVersion
            ? StateFile.Identity(_catalog.Count)
            : StateFile.ReadKeys(source, key => ids.TryGetValue(key, out var id) ? id : -1, _catalog.Count);
        StateFile.ReadKeyedArray(source, _state, keys, 1);
        StateFile.ReadKeyedArray(source, _open, keys, Resolutions);
        StateFile.ReadKeyedArray(source, _pending, keys, _pendingCapacity);
        StateFile.ReadKeyedArray(source, _history, keys, _historyDepth);
        var scalars = new long[11];
        StateFile.ReadArray(source, scalars);
        (_globalMaxEventTime, _accepted, _reordered, _corrected, _duplicates, _tooLate) = (scalars[0], scalars[1], scalars[2], scalars[3], scalars[4], scalars[5]);
        (_rejectedInvalid, _rejectedFuture, _pendingOverflow, _intervals, _correctionRecords) = (scalars[6], scalars[7], scalars[8], scalars[9], scalars[10]);
        if (format != StateFile.LegacyVersion)
        {
            ApplyRegistryChanges(source, keys);
        }

        if (format >= StateFile.Version)
        {
            StateFile.ReadKeyedArray(source, _resets, keys, ResetMemory);
        }

        return keys;
    }

    /// <summary>Replacements declared after their readings were aggregated, that could not be corrected because the readings around them are no longer remembered.</summary>
    public long ReplacementsTooLate { get; private set; }

    /// <summary>
    /// A series whose multiplier changed keeps the old one for readings before the change (the meter's
    /// <see cref="Meter.EffectiveFrom"/>, else now); a replacement declared or withdrawn after its readings were
    /// aggregated is noted for <see cref="ReconcileReplacements"/>.
    /// </summary>
    private void ApplyRegistryChanges(Stream source, KeyMap keys)
    {
        var saved = new SavedSettings[keys.Map.Length];
        StateFile.ReadArray(source, saved);
        var counts = new int[keys.Map.Length];
        StateFile.ReadArray(source, counts);
        var points = new ReplacementPoint[counts.Sum()];
        StateFile.ReadArray(source, points);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var offset = 0;
        for (var i = 0; i < keys.Map.Length; i++)
        {
            var before = points.AsSpan(offset, counts[i]);
            offset += counts[i];
            var id = keys.Map[i];
            if (id < 0)
            {
                continue;
            }

            ref var settings = ref _settings[id];
            settings = saved[i].Multiplier == settings.Multiplier
                ? settings with { PreviousMultiplier = saved[i].PreviousMultiplier, MultiplierFrom = saved[i].MultiplierFrom }
                : settings with { PreviousMultiplier = saved[i].Multiplier, MultiplierFrom = _catalog[id].Meter?.EffectiveFrom?.ToUnixTimeMilliseconds() ?? now };
            if (!before.SequenceEqual(Replacements(id)))
            {
                _changedReplacements.Add((id, before.ToArray()));
            }
        }
    }

    /// <summary>
    /// After <see cref="LoadState"/> and once the sinks behind this aggregator have loaded their own state: applies the
    /// replacements the registry declared (or withdrew) since the state was saved to the readings already aggregated,
    /// as corrections. Returns how many series it changed.
    /// </summary>
    public int ReconcileReplacements()
    {
        foreach (var (id, before) in _changedReplacements)
        {
            RecomputeReplacements(id, before, Replacements(id));
        }

        var count = _changedReplacements.Count;
        _changedReplacements.Clear();
        return count;
    }

    /// <summary>Takes back what the remembered readings contributed from the first changed replacement on, and adds it again under the current ones.</summary>
    private void RecomputeReplacements(int id, ReplacementPoint[] before, ReadOnlySpan<ReplacementPoint> after)
    {
        ref var s = ref _state[id];
        var changed = long.MaxValue;
        foreach (var point in before)
        {
            changed = after.Contains(point) ? changed : Math.Min(changed, point.At);
        }

        foreach (var point in after)
        {
            changed = before.AsSpan().Contains(point) ? changed : Math.Min(changed, point.At);
        }

        // The first remembered reading at or after the change ends the span that holds it.
        var position = 0;
        while (position < s.HistoryCount && _history[HistoryIndex(id, ref s, position)].Time < changed)
        {
            position++;
        }

        if (position == s.HistoryCount)
        {
            return; // after every reading so far: the readings to come meet it on time
        }

        if (position == 0)
        {
            // Before every remembered reading: only the span of a remembered reset can still be computed again.
            if (!CorrectRememberedResets(id, ref s, before, after))
            {
                ReplacementsTooLate++;
            }

            return;
        }

        var start = _history[HistoryIndex(id, ref s, position - 1)];
        var (refTime, refValue) = (start.ReferenceTime, start.ReferenceValue);
        for (var j = position; j < s.HistoryCount; j++)
        {
            var entry = _history[HistoryIndex(id, ref s, j)];
            SpreadEvaluated(id, ref s, refTime, refValue, entry.Time, entry.Raw, before, -1, out refValue);
            refTime = entry.Time;
        }

        (refTime, refValue) = (start.ReferenceTime, start.ReferenceValue);
        for (var j = position; j < s.HistoryCount; j++)
        {
            ref var entry = ref _history[HistoryIndex(id, ref s, j)];
            SpreadEvaluated(id, ref s, refTime, refValue, entry.Time, entry.Raw, after, 1, out refValue);
            refTime = entry.Time;
            entry = entry with { ReferenceTime = refTime, ReferenceValue = refValue };
        }

        s.ReferenceTime = refTime;
        s.ReferenceValue = refValue;
        FlushCorrections(id);
    }

    /// <summary>
    /// A replacement declared (or changed) long after its readings: the span it falls in was a reset (consumption
    /// <c>cur</c> in its last quarter); it is taken back and evaluated again with the replacement, as corrections.
    /// The spans after it do not change (a reset and a replacement both continue from the new meter's reading).
    /// False when a changed replacement lies in no remembered reset.
    /// </summary>
    private bool CorrectRememberedResets(int id, ref SeriesState s, ReplacementPoint[] before, ReadOnlySpan<ReplacementPoint> after)
    {
        var now = after.ToArray();
        var added = now.Where(p => !before.Contains(p)).ToList();
        if (added.Count == 0 || before.Any(p => !now.Contains(p)))
        {
            return false; // a withdrawn replacement: its span is no longer a remembered reset
        }

        var all = true;
        foreach (var point in added)
        {
            var memory = _resets.AsSpan(id * ResetMemory, ResetMemory);
            var found = -1;
            for (var i = 0; i < memory.Length; i++)
            {
                if (memory[i].T2 != 0 && memory[i].T1 < point.At && point.At <= memory[i].T2)
                {
                    found = i;
                }
            }

            if (found < 0)
            {
                all = false;
                continue;
            }

            var span = memory[found];
            SpreadEvaluated(id, ref s, span.T1, span.Prev, span.T2, span.Cur, before, -1, out _);
            SpreadEvaluated(id, ref s, span.T1, span.Prev, span.T2, span.Cur, after, 1, out _);
        }

        FlushCorrections(id);
        return all;
    }

    private void RememberReset(int id, long t1, double prev, long t2, double cur)
    {
        var memory = _resets.AsSpan(id * ResetMemory, ResetMemory);
        var slot = 0;
        for (var i = 0; i < memory.Length; i++)
        {
            if (memory[i].T2 == t2)
            {
                slot = i;
                break;
            }

            if (memory[i].T2 < memory[slot].T2)
            {
                slot = i; // the oldest (or an empty one) makes room
            }
        }

        memory[slot] = new ResetSpan(t1, prev, t2, cur);
    }

    private void ForgetReset(int id, long t1, long t2)
    {
        var memory = _resets.AsSpan(id * ResetMemory, ResetMemory);
        for (var i = 0; i < memory.Length; i++)
        {
            if (memory[i].T1 == t1 && memory[i].T2 == t2)
            {
                memory[i] = default;
            }
        }
    }

    private (string, long)[] Layout() => [("Aggregation:PendingCapacity", _pendingCapacity), ("Aggregation:HistoryDepth", _historyDepth)];

    /// <summary>End of input (shutdown, end of a replay, tests): every pending reading becomes final and every open interval holding data closes.</summary>
    public void CloseAll()
    {
        for (var id = 0; id < _state.Length; id++)
        {
            ref var s = ref _state[id];
            FinalizeAll(id, ref s);
            if (s.Initialized)
            {
                AdvanceOpen(id, ref s, _open[(id * Resolutions) + (int)IntervalResolution.Month].End);
            }
        }
    }

    /// <summary>
    /// Before a registry change that removes series (<paramref name="next"/> no longer has their <c>site/meter/field</c>):
    /// their pending readings become final and their open intervals close, INCOMPLETE where they were not fully
    /// covered, so that what they measured reaches the sinks instead of vanishing with their state. Returns the number
    /// of series closed.
    /// </summary>
    public int CloseRemoved(SeriesCatalog next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var closed = 0;
        for (var id = 0; id < _state.Length; id++)
        {
            var info = _catalog[id];
            if (next.TryGetSeries(info.SiteId, info.MeterId, info.Field, out _))
            {
                continue;
            }

            ref var s = ref _state[id];
            FinalizeAll(id, ref s);
            if (s.Initialized)
            {
                AdvanceOpen(id, ref s, _open[(id * Resolutions) + (int)IntervalResolution.Month].End);
                closed++;
            }

            s = SeriesState.Empty;
        }

        return closed;
    }

    private void FinalizeAll(int id, ref SeriesState s)
    {
        if (s.MaxEventTime > s.FinalUntil)
        {
            s.FinalUntil = s.MaxEventTime;
            FinalizePending(id, ref s);
        }
    }

    private bool InsertPending(int id, ref SeriesState s, long t, double value)
    {
        var baseIndex = id * _pendingCapacity;
        var i = s.PendingCount;
        while (i > 0 && _pending[baseIndex + i - 1].Time > t)
        {
            i--;
        }

        if (i > 0 && _pending[baseIndex + i - 1].Time == t)
        {
            return false;
        }

        for (var j = s.PendingCount; j > i; j--)
        {
            _pending[baseIndex + j] = _pending[baseIndex + j - 1];
        }

        _pending[baseIndex + i] = new Reading(t, value);
        s.PendingCount++;
        return true;
    }

    private void FinalizePending(int id, ref SeriesState s)
    {
        var baseIndex = id * _pendingCapacity;
        var taken = 0;
        while (taken < s.PendingCount && _pending[baseIndex + taken].Time <= s.FinalUntil)
        {
            var reading = _pending[baseIndex + taken];
            taken++;
            ProcessFinal(id, ref s, reading.Time, reading.Value);
        }

        if (taken > 0)
        {
            var remaining = s.PendingCount - taken;
            Array.Copy(_pending, baseIndex + taken, _pending, baseIndex, remaining);
            s.PendingCount = remaining;
        }

        if (_catalog[id].Kind == FieldKind.Gauge && s.Initialized)
        {
            AdvanceOpen(id, ref s, s.FinalUntil);
        }
    }

    /// <summary>A reading whose time is final, in event-time order (or after the last final one, from the late path).</summary>
    private void ProcessFinal(int id, ref SeriesState s, long t, double value)
    {
        if (!s.Initialized)
        {
            InitializeOpen(id, ref s, t);
        }

        if (_catalog[id].Kind == FieldKind.Gauge)
        {
            AdvanceOpen(id, ref s, t);
            AddSample(id, t, value * _settings[id].MultiplierAt(t));
            PushHistory(id, ref s, new HistoryEntry(t, value, 0, 0));
        }
        else
        {
            if (s.HasReference)
            {
                SpreadEvaluated(id, ref s, s.ReferenceTime, s.ReferenceValue, t, value, Replacements(id), 1, out var reference);
                s.ReferenceValue = reference;
            }
            else
            {
                s.HasReference = true;
                s.ReferenceValue = value;
            }

            s.ReferenceTime = t;
            AdvanceOpen(id, ref s, t);
            PushHistory(id, ref s, new HistoryEntry(t, value, s.ReferenceTime, s.ReferenceValue));
        }

        s.LastFinalTime = t;
        FlushCorrections(id);
    }

    private UpdateResult Late(int id, ref SeriesState s, long t, double value)
    {
        var found = FindHistory(id, ref s, t, out var position);
        if (found)
        {
            _duplicates++;
            return UpdateResult.Duplicate;
        }

        if (t > s.LastFinalTime)
        {
            // After every final reading: still in order for this series.
            ProcessFinal(id, ref s, t, value);
            _accepted++;
            return UpdateResult.Accepted;
        }

        if (_catalog[id].Kind == FieldKind.Gauge)
        {
            AddSample(id, t, value * _settings[id].MultiplierAt(t));
            if (position > 0 || !s.HistoryTruncated)
            {
                InsertHistory(id, ref s, position, new HistoryEntry(t, value, 0, 0));
            }

            FlushCorrections(id);
            _corrected++;
            return UpdateResult.Corrected;
        }

        if (position == 0 && (s.HistoryTruncated || (s.HistoryCount > 0 && _history[HistoryIndex(id, ref s, 0)].Time - t > _maxBackfill)))
        {
            _tooLate++;
            return UpdateResult.TooLate;
        }

        ReplayCounter(id, ref s, position, t, value);
        FlushCorrections(id);
        _corrected++;
        return UpdateResult.Corrected;
    }

    /// <summary>
    /// A counter reading inserted before final ones: retract the contributions of the readings after it, insert it,
    /// recompute them. Closed intervals receive the difference as correction records; open ones absorb it.
    /// </summary>
    private void ReplayCounter(int id, ref SeriesState s, int position, long t, double value)
    {
        var replacements = Replacements(id);
        var hasBefore = position > 0;
        var before = hasBefore ? _history[HistoryIndex(id, ref s, position - 1)] : default;

        // Retract what the readings after the insertion point contributed.
        var has = hasBefore;
        var refTime = before.ReferenceTime;
        var refValue = before.ReferenceValue;
        for (var j = position; j < s.HistoryCount; j++)
        {
            var entry = _history[HistoryIndex(id, ref s, j)];
            if (has)
            {
                SpreadEvaluated(id, ref s, refTime, refValue, entry.Time, entry.Raw, replacements, -1, out refValue);
            }
            else
            {
                refValue = entry.Raw;
                has = true;
            }

            refTime = entry.Time;
        }

        // Recompute with the late reading in place.
        has = hasBefore;
        refTime = before.ReferenceTime;
        refValue = before.ReferenceValue;
        if (has)
        {
            SpreadEvaluated(id, ref s, refTime, refValue, t, value, replacements, 1, out refValue);
        }
        else
        {
            refValue = value;
        }

        refTime = t;
        var inserted = new HistoryEntry(t, value, refTime, refValue);
        for (var j = position; j < s.HistoryCount; j++)
        {
            ref var entry = ref _history[HistoryIndex(id, ref s, j)];
            SpreadEvaluated(id, ref s, refTime, refValue, entry.Time, entry.Raw, replacements, 1, out refValue);
            refTime = entry.Time;
            entry = entry with { ReferenceTime = refTime, ReferenceValue = refValue };
        }

        s.ReferenceTime = refTime;
        s.ReferenceValue = refValue;
        s.HasReference = true;
        InsertHistory(id, ref s, position, inserted);
    }

    private void SpreadEvaluated(int id, ref SeriesState s, long t1, double prev, long t2, double cur, ReadOnlySpan<ReplacementPoint> replacements, int sign, out double reference)
    {
        var count = CounterRules.Evaluate(_settings[id], t1, prev, t2, cur, replacements, out var first, out var second, out reference);
        if ((first.Flags & IntervalQuality.Reset) != 0)
        {
            // A late reading or a changed replacement evaluates spans again: the remembered resets follow.
            if (sign > 0)
            {
                RememberReset(id, t1, prev, t2, cur);
            }
            else
            {
                ForgetReset(id, t1, t2);
            }
        }

        Spread(id, ref s, first, sign);
        if (count == 2)
        {
            Spread(id, ref s, second, sign);
        }
    }

    private ReadOnlySpan<ReplacementPoint> Replacements(int id) => _replacements[id];

    /// <summary>Spreads a piece over its span by duration, split at quarter hours; the last segment takes the remainder so the sum is exact.</summary>
    private void Spread(int id, ref SeriesState s, in CounterPiece piece, int sign)
    {
        var span = piece.T2 - piece.T1;
        if (span <= 0)
        {
            return;
        }

        var isGap = span > _gapThreshold;
        var allocated = 0.0;
        var a = piece.T1;
        while (a < piece.T2)
        {
            var b = Math.Min(SiteCalendar.FloorQuarter(a) + SiteCalendar.QuarterMs, piece.T2);
            var portion = b == piece.T2 ? piece.Amount - allocated : piece.Amount * ((double)(b - a) / span);
            allocated += portion;
            ApplySegment(id, ref s, a, b, sign * portion, sign * (b - a), piece, isGap);
            a = b;
        }
    }

    private void ApplySegment(int id, ref SeriesState s, long a, long b, double amount, long covered, in CounterPiece piece, bool isGap)
    {
        var baseIndex = id * Resolutions;
        if (a >= _open[baseIndex].End)
        {
            AdvanceOpen(id, ref s, a);
        }

        for (var r = 0; r < Resolutions; r++)
        {
            ref var acc = ref _open[baseIndex + r];
            long start, end;
            if (a >= acc.Start)
            {
                (start, end) = (acc.Start, acc.End);
            }
            else
            {
                _calendars[id].GetInterval((IntervalResolution)r, a, out start, out end);
            }

            var flags = piece.Flags;
            var estimated = 0.0;
            if (isGap && !(piece.T1 >= start && piece.T2 <= end))
            {
                estimated = amount;
                flags |= IntervalQuality.Estimated;
            }

            if (a >= acc.Start)
            {
                acc.Consumption += amount;
                acc.Estimated += estimated;
                acc.Covered += covered;
                acc.Flags |= flags;
                acc.HasData = true;
            }
            else
            {
                ref var c = ref CorrectionFor(r, start, end);
                c.Consumption += amount;
                c.Estimated += estimated;
                c.Covered += covered;
                c.Magnitude += Math.Abs(amount);
                c.Flags |= flags;
            }
        }
    }

    private void AddSample(int id, long t, double value)
    {
        var baseIndex = id * Resolutions;
        for (var r = 0; r < Resolutions; r++)
        {
            ref var acc = ref _open[baseIndex + r];
            if (t >= acc.Start)
            {
                acc.AddSample(t, value);
            }
            else
            {
                _calendars[id].GetInterval((IntervalResolution)r, t, out var start, out var end);
                ref var c = ref CorrectionFor(r, start, end);
                c.AddSample(t, value);
            }
        }
    }

    private void InitializeOpen(int id, ref SeriesState s, long t)
    {
        var calendar = _calendars[id];
        for (var r = 0; r < Resolutions; r++)
        {
            calendar.GetInterval((IntervalResolution)r, t, out var start, out var end);
            _open[(id * Resolutions) + r].Reset(start, end);
        }

        s.Initialized = true;
    }

    /// <summary>
    /// Closes every open interval ending at or before <paramref name="t"/>, finest first (a closing quarter feeds
    /// the peak of its hour, day and month before they close), jumping over stretches without data.
    /// </summary>
    private void AdvanceOpen(int id, ref SeriesState s, long t)
    {
        var baseIndex = id * Resolutions;
        var calendar = _calendars[id];
        ref var quarter = ref _open[baseIndex];
        while (quarter.End <= t)
        {
            long stop;
            if (quarter.HasData)
            {
                for (var r = 1; r < Resolutions; r++)
                {
                    ref var coarse = ref _open[baseIndex + r];
                    coarse.Peak = Math.Max(coarse.Peak, quarter.Consumption);
                }

                Emit(id, ref s, IntervalResolution.FifteenMinutes, quarter, quarter.Consumption);
                stop = quarter.End;
            }
            else
            {
                stop = SiteCalendar.FloorQuarter(t);
                for (var r = 1; r < Resolutions; r++)
                {
                    ref var coarse = ref _open[baseIndex + r];
                    if (coarse.HasData && coarse.End < stop)
                    {
                        stop = coarse.End;
                    }
                }

                stop = Math.Max(stop, quarter.End);
            }

            for (var r = 1; r < Resolutions; r++)
            {
                ref var coarse = ref _open[baseIndex + r];
                if (coarse.End <= stop)
                {
                    if (coarse.HasData)
                    {
                        Emit(id, ref s, (IntervalResolution)r, coarse, coarse.Peak);
                    }

                    calendar.GetInterval((IntervalResolution)r, stop, out var start, out var end);
                    coarse.Reset(start, end);
                }
            }

            quarter.Reset(stop, stop + SiteCalendar.QuarterMs);
        }
    }

    private void Emit(int id, ref SeriesState s, IntervalResolution resolution, in Accumulator acc, double peak)
    {
        var info = _catalog[id];
        var flags = acc.Flags;
        if (info.Kind == FieldKind.Counter ? acc.Covered < acc.End - acc.Start : acc.End > s.FinalUntil)
        {
            flags |= IntervalQuality.Incomplete;
        }

        var record = new ClosedInterval
        {
            Series = info,
            Resolution = resolution,
            Start = DateTimeOffset.FromUnixTimeMilliseconds(acc.Start),
            End = DateTimeOffset.FromUnixTimeMilliseconds(acc.End),
            Consumption = acc.Consumption,
            EstimatedConsumption = acc.Estimated,
            PeakQuarterConsumption = info.Kind == FieldKind.Counter ? peak : 0,
            CoveredMilliseconds = acc.Covered,
            Count = acc.Count,
            Sum = acc.Sum,
            Min = acc.Count > 0 ? acc.Min : double.NaN,
            Max = acc.Count > 0 ? acc.Max : double.NaN,
            Last = acc.Count > 0 ? acc.Last : double.NaN,
            LastTime = acc.Count > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(acc.LastTime) : default,
            Flags = flags,
            IsCorrection = false,
        };
        _intervals++;
        _sink.Write(in record);
    }

    private ref Correction CorrectionFor(int resolution, long start, long end)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_corrections);
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].Resolution == resolution && span[i].Start == start)
            {
                return ref span[i];
            }
        }

        _corrections.Add(new Correction(resolution, start, end));
        return ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_corrections)[^1];
    }

    private void FlushCorrections(int id)
    {
        if (_corrections.Count == 0)
        {
            return;
        }

        var info = _catalog[id];
        foreach (var c in _corrections)
        {
            var tolerance = CorrectionTolerance * Math.Max(1, c.Magnitude);
            if (c.Count == 0 && Math.Abs(c.Consumption) <= tolerance && Math.Abs(c.Estimated) <= tolerance && c.Covered == 0)
            {
                continue;
            }

            var record = new ClosedInterval
            {
                Series = info,
                Resolution = (IntervalResolution)c.Resolution,
                Start = DateTimeOffset.FromUnixTimeMilliseconds(c.Start),
                End = DateTimeOffset.FromUnixTimeMilliseconds(c.End),
                Consumption = Math.Abs(c.Consumption) <= tolerance ? 0 : c.Consumption,
                EstimatedConsumption = Math.Abs(c.Estimated) <= tolerance ? 0 : c.Estimated,
                CoveredMilliseconds = c.Covered,
                Count = c.Count,
                Sum = c.Sum,
                Min = c.Count > 0 ? c.Min : double.NaN,
                Max = c.Count > 0 ? c.Max : double.NaN,
                Last = c.Count > 0 ? c.Last : double.NaN,
                LastTime = c.Count > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(c.LastTime) : default,
                Flags = c.Flags,
                IsCorrection = true,
            };
            _correctionRecords++;
            _sink.Write(in record);
        }

        _corrections.Clear();
    }

    private int HistoryIndex(int id, ref SeriesState s, int logical) =>
        (id * _historyDepth) + ((s.HistoryHead + logical) % _historyDepth);

    /// <summary>Binary search of the remembered readings; <paramref name="position"/> is where <paramref name="t"/> is or would go.</summary>
    private bool FindHistory(int id, ref SeriesState s, long t, out int position)
    {
        int lo = 0, hi = s.HistoryCount;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var time = _history[HistoryIndex(id, ref s, mid)].Time;
            if (time == t)
            {
                position = mid;
                return true;
            }

            if (time < t)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        position = lo;
        return false;
    }

    private void PushHistory(int id, ref SeriesState s, in HistoryEntry entry) => InsertHistory(id, ref s, s.HistoryCount, entry);

    private void InsertHistory(int id, ref SeriesState s, int position, in HistoryEntry entry)
    {
        if (s.HistoryCount == _historyDepth)
        {
            if (position == 0)
            {
                // Older than everything remembered, which is full: it would be evicted at once.
                s.HistoryTruncated = true;
                return;
            }

            s.HistoryHead = (s.HistoryHead + 1) % _historyDepth;
            s.HistoryCount--;
            s.HistoryTruncated = true;
            position--;
        }

        for (var j = s.HistoryCount; j > position; j--)
        {
            _history[HistoryIndex(id, ref s, j)] = _history[HistoryIndex(id, ref s, j - 1)];
        }

        _history[HistoryIndex(id, ref s, position)] = entry;
        s.HistoryCount++;
    }

    private readonly record struct Reading(long Time, double Value);

    /// <summary>A final reading and the counter reference after it (time, value: the value stays put after a DIP).</summary>
    private readonly record struct HistoryEntry(long Time, double Raw, long ReferenceTime, double ReferenceValue);

    /// <summary>A series' multipliers as its state was computed with them (for a checkpoint).</summary>
    /// <summary>A counter span evaluated as a reset: the reading before it and the one that ended it.</summary>
    private readonly record struct ResetSpan(long T1, double Prev, long T2, double Cur);

    private readonly record struct SavedSettings(double Multiplier, double PreviousMultiplier, long MultiplierFrom);

    private struct SeriesState
    {
        public static readonly SeriesState Empty = new()
        {
            MaxEventTime = long.MinValue,
            FinalUntil = long.MinValue,
            LastFinalTime = long.MinValue,
        };

        /// <summary>Newest event time received.</summary>
        public long MaxEventTime;
        /// <summary>Readings at or before this time are final (the watermark: newest − lateness; raised by flushes).</summary>
        public long FinalUntil;
        public long LastFinalTime;
        /// <summary>Wall-clock time of the last reading received (TimeProvider), for idle flushes.</summary>
        public long LastArrival;
        public long ReferenceTime;
        public double ReferenceValue;
        public int PendingCount;
        public int HistoryHead;
        public int HistoryCount;
        public bool Initialized;
        public bool HasReference;
        /// <summary>The history no longer reaches back to the first reading.</summary>
        public bool HistoryTruncated;
    }

    /// <summary>An open interval of one series at one resolution.</summary>
    private struct Accumulator
    {
        public long Start;
        public long End;
        public double Consumption;
        public double Estimated;
        public double Peak;
        public long Covered;
        public int Count;
        public double Sum;
        public double Min;
        public double Max;
        public double Last;
        public long LastTime;
        public IntervalQuality Flags;
        public bool HasData;

        public void Reset(long start, long end) => this = new Accumulator { Start = start, End = end, LastTime = long.MinValue };

        public void AddSample(long t, double value)
        {
            if (Count == 0)
            {
                Min = Max = value;
            }
            else
            {
                Min = Math.Min(Min, value);
                Max = Math.Max(Max, value);
            }

            if (t >= LastTime)
            {
                Last = value;
                LastTime = t;
            }

            Count++;
            Sum += value;
            HasData = true;
        }
    }

    /// <summary>A correction being gathered for one interval during one late reading.</summary>
    private struct Correction(int resolution, long start, long end)
    {
        public readonly int Resolution = resolution;
        public readonly long Start = start;
        public readonly long End = end;
        public double Consumption;
        public double Estimated;
        public double Magnitude;
        public long Covered;
        public int Count;
        public double Sum;
        public double Min;
        public double Max;
        public double Last;
        public long LastTime = long.MinValue;
        public IntervalQuality Flags;

        public void AddSample(long t, double value)
        {
            Min = Count == 0 ? value : Math.Min(Min, value);
            Max = Count == 0 ? value : Math.Max(Max, value);
            if (t >= LastTime)
            {
                Last = value;
                LastTime = t;
            }

            Count++;
            Sum += value;
        }
    }
}
