using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Rollups;

/// <summary>
/// Rolls closed intervals of meter series up to consumption meters (canonical unit, energy, CO2e, demand, power
/// factor), virtual meters, assets, lines, sites, ecosystems and programmes, and intensities per unit produced
/// (docs/data-model.md, "Roll-ups"). Sits behind the <see cref="IntervalAggregator"/> as its sink (or one of them).
/// </summary>
/// <remarks>
/// <para>Single owner, like the aggregator: call it on the aggregator's thread only.</para>
/// <para>Every target (meter, node, intensity) keeps, per resolution, a few open intervals ("buckets") waiting for
/// all its inputs. A bucket is written when its last input delivers it, or by <see cref="Advance"/> /
/// <see cref="CloseAll"/> / a full buffer, flagged INCOMPLETE if inputs are missing. Whatever reaches an interval
/// already written (corrections, a late input) is written as a correction record carrying the delta, and flows up
/// the same way: the site total changes by the same delta as the meter.</para>
/// <para>All state is preallocated from the topology; in steady state a closed interval allocates nothing.</para>
/// </remarks>
public sealed class RollupEngine : IIntervalSink
{
    private const int Resolutions = IntervalResolutions.Count;

    private readonly RollupTopology _topology;
    private readonly IRollupSink _sink;
    private readonly TargetDef[] _targets;
    private readonly SeriesRoute[]?[] _routes;
    private readonly CarbonFactors _factors;
    private readonly SiteCalendar[] _calendars;
    private readonly int _capacity;
    private readonly long _grace;
    private readonly Bucket[] _buckets;
    private readonly int[] _counts;
    private readonly long[] _emittedUntil;
    private readonly YearSpan[] _years;

    private long _intervals;
    private long _corrections;
    private long _incomplete;
    private long _capacityForced;

    public RollupEngine(RollupTopology topology, IRollupSink sink, RollupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new RollupOptions();
        options.Validate();
        _topology = topology;
        _sink = sink;
        _targets = topology.Targets;
        _routes = topology.Routes;
        _factors = topology.Factors;
        _capacity = options.OpenIntervalsPerNode;
        _grace = (long)options.CompletionGrace.TotalMilliseconds;
        var slots = _targets.Length * Resolutions;
        _buckets = new Bucket[slots * _capacity];
        _counts = new int[slots];
        _emittedUntil = new long[slots];
        Array.Fill(_emittedUntil, long.MinValue);
        _years = new YearSpan[_targets.Length];
        var calendars = new Dictionary<string, SiteCalendar>(StringComparer.Ordinal);
        _calendars = new SiteCalendar[_targets.Length];
        for (var i = 0; i < _targets.Length; i++)
        {
            var zone = _targets[i].Zone;
            if (!calendars.TryGetValue(zone.Id, out var calendar))
            {
                calendar = new SiteCalendar(zone);
                calendars.Add(zone.Id, calendar);
            }

            _calendars[i] = calendar;
        }
    }

    public RollupTopology Topology => _topology;

    public RollupCounters Counters => new(_intervals, _corrections, _incomplete, _capacityForced);

    /// <summary>Takes one closed interval or correction of a series (the aggregator's sink call).</summary>
    public void Write(in ClosedInterval interval)
    {
        if ((uint)interval.SeriesId >= (uint)_routes.Length || _routes[interval.SeriesId] is not { } routes)
        {
            return;
        }

        var start = interval.Start.ToUnixTimeMilliseconds();
        var end = interval.End.ToUnixTimeMilliseconds();
        foreach (var route in routes)
        {
            var amounts = default(Amounts);
            amounts.Flags = interval.Flags;
            switch (route.Role)
            {
                case SeriesRole.Consumption:
                    MeterAmounts(route, interval, start, ref amounts);
                    break;
                case SeriesRole.Reactive:
                    amounts.Kvarh = interval.Consumption;
                    break;
                default:
                    amounts.Output = interval.Consumption;
                    break;
            }

            Deliver(route.Target, interval.Resolution, start, end, amounts, 1, interval.IsCorrection);
        }
    }

    /// <summary>
    /// Writes every interval ending at or before <paramref name="watermark"/> − <see cref="RollupOptions.CompletionGrace"/>,
    /// INCOMPLETE where inputs are missing; what those inputs deliver later becomes corrections. Call it after
    /// <see cref="IntervalAggregator.FlushIdle"/> with <see cref="IntervalAggregator.Watermark"/>.
    /// </summary>
    public void Advance(DateTimeOffset watermark) => ForceUpTo(watermark.ToUnixTimeMilliseconds() - _grace);

    /// <summary>
    /// Writes the open roll-up intervals and what was emitted, for a checkpoint, keyed by each target (node or
    /// intensity): see <see cref="IntervalAggregator.SaveState"/>.
    /// </summary>
    public void SaveState(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        StateFile.WriteHeader(destination, nameof(RollupEngine), ("Rollups:OpenIntervalsPerNode", _capacity));
        StateFile.WriteKeys(destination, [.. _targets.Select(KeyOf)]);
        StateFile.WriteArray(destination, _buckets);
        StateFile.WriteArray(destination, _counts);
        StateFile.WriteArray(destination, _emittedUntil);
        StateFile.WriteArray(destination, _years);
        StateFile.WriteArray(destination, [_intervals, _corrections, _incomplete, _capacityForced]);
    }

    /// <summary>Replaces the state with one written by <see cref="SaveState"/>, matching targets by key (see <see cref="IntervalAggregator.LoadState"/>).</summary>
    public KeyMap LoadState(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var format = StateFile.ReadHeader(source, nameof(RollupEngine), () => StateFile.LegacyFingerprint(_topology.Catalog, _targets.Length, _capacity, _grace),
            ("Rollups:OpenIntervalsPerNode", _capacity));
        var indexes = _targets.Select((t, i) => (Key: KeyOf(t), Index: i)).ToDictionary(p => p.Key, p => p.Index, StringComparer.Ordinal);
        var keys = format == StateFile.LegacyVersion
            ? StateFile.Identity(_targets.Length)
            : StateFile.ReadKeys(source, key => indexes.TryGetValue(key, out var index) ? index : -1, _targets.Length);
        StateFile.ReadKeyedArray(source, _buckets, keys, Resolutions * _capacity);
        StateFile.ReadKeyedArray(source, _counts, keys, Resolutions);
        StateFile.ReadKeyedArray(source, _emittedUntil, keys, Resolutions);
        StateFile.ReadKeyedArray(source, _years, keys, 1);
        var scalars = new long[4];
        StateFile.ReadArray(source, scalars);
        (_intervals, _corrections, _incomplete, _capacityForced) = (scalars[0], scalars[1], scalars[2], scalars[3]);
        return keys;
    }

    private static string KeyOf(TargetDef target) => target.Node?.ToString() ?? target.Intensity!.ToString();

    /// <summary>End of input: writes every open interval (after <see cref="IntervalAggregator.CloseAll"/>).</summary>
    public void CloseAll() => ForceUpTo(long.MaxValue);

    /// <summary>
    /// Before a registry change that removes targets (<paramref name="next"/> no longer has their node or intensity):
    /// writes their open intervals, INCOMPLETE where inputs are missing. Returns the number of targets closed.
    /// </summary>
    public int CloseRemoved(RollupTopology next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var kept = next.Targets.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
        var closed = 0;
        for (var t = 0; t < _targets.Length; t++)
        {
            if (kept.Contains(KeyOf(_targets[t])))
            {
                continue;
            }

            var any = false;
            for (var r = 0; r < Resolutions; r++)
            {
                var slot = (t * Resolutions) + r;
                while (_counts[slot] > 0)
                {
                    EmitAt(t, slot, 0);
                    any = true;
                }
            }

            closed += any ? 1 : 0;
        }

        return closed;
    }

    private void ForceUpTo(long cutoff)
    {
        for (var t = 0; t < _targets.Length; t++)
        {
            for (var r = 0; r < Resolutions; r++)
            {
                var slot = (t * Resolutions) + r;
                while (_counts[slot] > 0 && _buckets[slot * _capacity].End <= cutoff)
                {
                    EmitAt(t, slot, 0);
                }
            }
        }
    }

    private void MeterAmounts(in SeriesRoute route, in ClosedInterval interval, long start, ref Amounts amounts)
    {
        var target = _targets[route.Target];
        var k = route.ToCanonical;
        var consumption = interval.Consumption * k;
        amounts.Consumption = consumption;
        amounts.Estimated = interval.EstimatedConsumption * k;
        amounts.Gross = consumption;
        amounts.Peak = interval.PeakQuarterConsumption * k;
        amounts.Energy = consumption * target.KwhPerUnit;
        if (target.Renewable)
        {
            return;
        }

        if (target.Carrier is Carrier.Electricity or Carrier.Water)
        {
            var factors = _factors.ForYear(target.Carrier.Value, YearOf(route.Target, start));
            amounts.Co2e = consumption * factors.LocationKgPerUnit;
            amounts.Co2eMarket = consumption * factors.MarketKgPerUnit;
            amounts.FactorYear = factors.Year;
        }
        else
        {
            amounts.Co2e = amounts.Co2eMarket = consumption * target.Fuel.Co2eKgPerUnit;
            amounts.FactorYear = target.Fuel.Year;
        }
    }

    /// <summary>The local year of an instant at a target's site, cached per target (interval starts stay within a year for long).</summary>
    private int YearOf(int target, long t)
    {
        ref var span = ref _years[target];
        if (t < span.From || t >= span.To || span.Year == 0)
        {
            var calendar = _calendars[target];
            var year = calendar.LocalDate(t).Year;
            span = new YearSpan(calendar.FirstInstantOf(new DateOnly(year, 1, 1)), calendar.FirstInstantOf(new DateOnly(year + 1, 1, 1)), year);
        }

        return span.Year;
    }

    private void Deliver(int t, IntervalResolution resolution, long start, long end, in Amounts amounts, int sign, bool correction)
    {
        var slot = (t * Resolutions) + (int)resolution;
        var index = FindBucket(slot, start);
        if (index < 0)
        {
            if (start < _emittedUntil[slot])
            {
                // Already written (or skipped for good): the contribution is a delta to that interval.
                EmitCorrection(t, resolution, start, end, amounts.Scaled(sign));
                return;
            }

            index = CreateBucket(t, slot, start, end);
        }

        ref var bucket = ref _buckets[(slot * _capacity) + index];
        bucket.Amounts.Add(amounts, sign);
        if (!correction)
        {
            bucket.Received++;
            if (bucket.Received >= _targets[t].Expected)
            {
                EmitAt(t, slot, index);
            }
        }
    }

    private int FindBucket(int slot, long start)
    {
        var baseIndex = slot * _capacity;
        var count = _counts[slot];
        for (var i = 0; i < count; i++)
        {
            if (_buckets[baseIndex + i].Start == start)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Opens a bucket, kept sorted by start; when the slot is full its oldest bucket is written first.</summary>
    private int CreateBucket(int t, int slot, long start, long end)
    {
        if (_counts[slot] == _capacity)
        {
            _capacityForced++;
            EmitAt(t, slot, 0);
        }

        var baseIndex = slot * _capacity;
        var count = _counts[slot];
        var position = count;
        while (position > 0 && _buckets[baseIndex + position - 1].Start > start)
        {
            position--;
        }

        Array.Copy(_buckets, baseIndex + position, _buckets, baseIndex + position + 1, count - position);
        _buckets[baseIndex + position] = new Bucket { Start = start, End = end };
        _counts[slot] = count + 1;
        return position;
    }

    /// <summary>Removes a bucket from its slot and writes it (nothing else touches this slot meanwhile).</summary>
    private void EmitAt(int t, int slot, int index)
    {
        var baseIndex = slot * _capacity;
        var bucket = _buckets[baseIndex + index];
        var count = _counts[slot];
        Array.Copy(_buckets, baseIndex + index + 1, _buckets, baseIndex + index, count - index - 1);
        _counts[slot] = count - 1;
        if (bucket.End > _emittedUntil[slot])
        {
            _emittedUntil[slot] = bucket.End;
        }

        Emit(t, (IntervalResolution)(slot % Resolutions), bucket);
    }

    private void Emit(int t, IntervalResolution resolution, in Bucket bucket)
    {
        var target = _targets[t];
        var amounts = bucket.Amounts;
        if (bucket.Received < target.Expected)
        {
            amounts.Flags |= IntervalQuality.Incomplete;
            _incomplete++;
        }

        if (resolution == IntervalResolution.FifteenMinutes && target.PeakFromQuarters)
        {
            amounts.Peak = Math.Max(0, amounts.Consumption);
            RaiseCoarsePeaks(t, bucket.Start, amounts.Peak);
        }

        _intervals++;
        var start = DateTimeOffset.FromUnixTimeMilliseconds(bucket.Start);
        var end = DateTimeOffset.FromUnixTimeMilliseconds(bucket.End);
        if (target.Intensity is { } definition)
        {
            _sink.Write(Intensity(definition, resolution, start, end, amounts, isCorrection: false));
            return;
        }

        _sink.Write(Record(target.Node!, resolution, start, end, amounts, bucket.Received, target.Expected, false));
        var forward = amounts;
        forward.Peak = 0;
        foreach (var edge in target.Edges)
        {
            Deliver(edge.Target, resolution, bucket.Start, bucket.End, edge.ToAll ? forward.ToAllCarriers(edge.KwhPerUnit) : forward, edge.Sign, false);
        }
    }

    private static IntensityInterval Intensity(IntensityDefinition definition, IntervalResolution resolution, DateTimeOffset start, DateTimeOffset end, in Amounts amounts, bool isCorrection) => new()
    {
        Definition = definition,
        Resolution = resolution,
        Start = start,
        End = end,
        Consumption = amounts.Consumption,
        EnergyKwh = amounts.Energy,
        Co2eKg = amounts.Co2e,
        Output = amounts.Output,
        Flags = amounts.Flags,
        IsCorrection = isCorrection,
    };

    /// <summary>A quarter of a node was written: it may be the largest of its hour, day and month.</summary>
    private void RaiseCoarsePeaks(int t, long quarterStart, double consumption)
    {
        var calendar = _calendars[t];
        for (var r = 1; r < Resolutions; r++)
        {
            calendar.GetInterval((IntervalResolution)r, quarterStart, out var start, out var end);
            var slot = (t * Resolutions) + r;
            var index = FindBucket(slot, start);
            if (index < 0)
            {
                if (start < _emittedUntil[slot])
                {
                    continue;   // the coarse interval is written: peaks are not corrected (as in the aggregator)
                }

                index = CreateBucket(t, slot, start, end);
            }

            ref var bucket = ref _buckets[(slot * _capacity) + index];
            bucket.Amounts.Peak = Math.Max(bucket.Amounts.Peak, consumption);
        }
    }

    private void EmitCorrection(int t, IntervalResolution resolution, long start, long end, in Amounts delta)
    {
        var target = _targets[t];
        _corrections++;
        var startTime = DateTimeOffset.FromUnixTimeMilliseconds(start);
        var endTime = DateTimeOffset.FromUnixTimeMilliseconds(end);
        if (target.Intensity is { } definition)
        {
            _sink.Write(Intensity(definition, resolution, startTime, endTime, delta, isCorrection: true));
            return;
        }

        var forward = delta;
        forward.Peak = 0;
        _sink.Write(Record(target.Node!, resolution, startTime, endTime, forward, 0, target.Expected, true));
        foreach (var edge in target.Edges)
        {
            Deliver(edge.Target, resolution, start, end, edge.ToAll ? forward.ToAllCarriers(edge.KwhPerUnit) : forward, edge.Sign, true);
        }
    }

    private static RollupInterval Record(RollupNode node, IntervalResolution resolution, DateTimeOffset start, DateTimeOffset end, in Amounts amounts, int inputs, int expected, bool correction) => new()
    {
        Node = node,
        Resolution = resolution,
        Start = start,
        End = end,
        Consumption = amounts.Consumption,
        EstimatedConsumption = amounts.Estimated,
        GrossConsumption = amounts.Gross,
        PeakQuarterConsumption = amounts.Peak,
        EnergyKwh = amounts.Energy,
        Co2eKg = amounts.Co2e,
        Co2eMarketKg = amounts.Co2eMarket,
        ReactiveKvarh = amounts.Kvarh,
        Inputs = inputs,
        ExpectedInputs = expected,
        FactorYear = amounts.FactorYear,
        Flags = amounts.Flags,
        IsCorrection = correction,
    };

    private readonly record struct YearSpan(long From, long To, int Year);

    private struct Bucket
    {
        public long Start;
        public long End;
        public int Received;
        public Amounts Amounts;
    }

    /// <summary>The additive content of an interval on its way up the graph.</summary>
    private struct Amounts
    {
        public double Consumption;
        public double Estimated;
        public double Gross;
        public double Peak;
        public double Energy;
        public double Co2e;
        public double Co2eMarket;
        public double Kvarh;
        public double Output;
        public IntervalQuality Flags;
        public int FactorYear;

        /// <summary>Adds <paramref name="other"/> with a formula sign: signed quantities take it; estimated and gross consumption (weights) do not.</summary>
        public void Add(in Amounts other, int sign)
        {
            Consumption += sign * other.Consumption;
            Estimated += other.Estimated;
            Gross += other.Gross;
            Peak = Math.Max(Peak, other.Peak);
            Energy += sign * other.Energy;
            Co2e += sign * other.Co2e;
            Co2eMarket += sign * other.Co2eMarket;
            Kvarh += sign * other.Kvarh;
            Output += sign * other.Output;
            Flags |= other.Flags;
            FactorYear = Math.Max(FactorYear, other.FactorYear);
        }

        public readonly Amounts Scaled(int sign)
        {
            var result = default(Amounts);
            result.Add(this, sign);
            return result;
        }

        /// <summary>Into an all-carrier node: consumption becomes final energy; weights scale by the carrier's kWh per unit; no reactive energy.</summary>
        public readonly Amounts ToAllCarriers(double kwhPerUnit)
        {
            var result = this;
            result.Consumption = Energy;
            result.Estimated = Estimated * kwhPerUnit;
            result.Gross = Gross * kwhPerUnit;
            result.Kvarh = 0;
            return result;
        }
    }
}
