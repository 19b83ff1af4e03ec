using Monitoring.Domain.Registry;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Model;

/// <summary>What a reading field is, for the model (a switch instead of string compares on the hot path).</summary>
public enum Quantity
{
    /// <summary>The meter's main counter: imported energy, water, gas, fuel, production.</summary>
    Counter,
    ExportCounter,
    ReactiveCounter,
    /// <summary>The instantaneous rate of the main counter: power_kw, flow_m3h.</summary>
    Rate,
    /// <summary>One phase's share of the rate: the simulated loads are balanced.</summary>
    PhaseRate,
    ReactivePower,
    PowerFactor,
    Voltage,
    Current,
    Frequency,
    Temperature,
}

/// <summary>
/// The plant, one model step (<see cref="StepSeconds"/>) at a time from the scenario start: line production rates,
/// outdoor temperature, each consumer's power, and the cumulative registers of every meter. Deterministic: a
/// step's values depend only on the scenario, the seed and the step's instant. Time only moves forward; a
/// caller that needs an earlier instant builds a new model. Not thread-safe.
/// </summary>
public sealed class PlantModel
{
    public const int StepSeconds = 60;
    public const double StepHours = StepSeconds / 3600.0;

    private readonly Scenario _scenario;
    private readonly ulong _seed;
    private readonly long _epochTicks;
    private readonly SimLine[] _lines;
    private readonly Consumer[] _consumers;
    private readonly ulong[] _consumerStreams;
    private readonly int[][] _consumerLines;
    private readonly ulong[] _lineStreams;
    private readonly ulong[] _meterStreams;
    private readonly double[] _lineK;
    private readonly double[] _consumerK;
    private readonly ConsumerParameters[] _baseline;
    private readonly List<(SimProject Project, int Index)>[] _projectsByConsumer;
    private readonly SimProject[] _projects;
    private readonly int[][] _meterConsumers;
    private readonly int[][] _meterNetted;
    private readonly double[] _meterMeanRate;
    private readonly Dictionary<int, DayInfo> _days = [];

    // State of the current step: rates during it, cumulative values at its start.
    private readonly double[] _lineRate;
    private readonly bool[] _lineScheduled;
    private readonly bool[] _lineShiftChange;
    private readonly double[] _lineCum;
    private readonly double[] _consumerPower;
    private readonly double[] _consumerCum;
    private readonly double[] _compressorDemand;
    private readonly ConsumerParameters[] _active;
    private readonly double[] _projectSavingsRate;
    private readonly double[] _projectSavingsCum;
    private readonly double[] _meterRate;
    private readonly double[] _meterImportCum;
    private readonly double[] _meterExportCum;
    private readonly double[] _meterReactiveRate;
    private readonly double[] _meterReactiveCum;
    private readonly double[] _meterPf;
    private ConsumerParameters[][] _withoutProject;
    private int _activeProjects = -1;
    private double _temperature;
    private double _temperatureSum;
    private long _temperatureSteps;

    /// <param name="disabledProjects">Projects to leave out, as if they had never happened.</param>
    /// <param name="calibration">A model of the same scenario whose calibration to reuse (saves a year of steps).</param>
    public PlantModel(Scenario scenario, IReadOnlySet<string>? disabledProjects = null, PlantModel? calibration = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _scenario = scenario;
        _seed = scenario.Seed;
        _epochTicks = scenario.Epoch.UtcTicks;
        _lines = [.. scenario.Lines];
        _consumers = [.. scenario.Consumers];
        _projects = [.. scenario.Projects.Where(p => disabledProjects is null || !disabledProjects.Contains(p.Id))];
        _consumerStreams = [.. _consumers.Select(c => Noise.StreamOf("consumer:" + c.Id))];
        _consumerLines = [.. _consumers.Select(c => c.Lines.ToArray())];
        _lineStreams = [.. _lines.Select(l => Noise.StreamOf("line:" + l.Id))];
        _meterStreams = [.. scenario.Meters.Select(m => Noise.StreamOf("meter:" + m.Id))];
        _baseline = [.. _consumers.Select(c => new ConsumerParameters(c.Parameters))];
        _active = [.. _baseline];
        _withoutProject = [];
        _projectsByConsumer = [.. _consumers.Select(_ => new List<(SimProject, int)>())];
        for (var i = 0; i < _projects.Length; i++)
        {
            _projectsByConsumer[_projects[i].ConsumerIndex].Add((_projects[i], i));
        }

        var meters = scenario.Meters;
        _meterConsumers = new int[meters.Count][];
        _meterNetted = new int[meters.Count][];
        _meterMeanRate = new double[meters.Count];
        for (var m = 0; m < meters.Count; m++)
        {
            var id = meters[m].Id;
            _meterConsumers[m] = [.. Enumerable.Range(0, _consumers.Length).Where(c => scenario.IsUnder(_consumers[c].MeterId, id))];
            _meterNetted[m] = [.. Enumerable.Range(0, _consumers.Length).Where(c => _consumers[c].NetOn == id)];
            _meterMeanRate[m] = Math.Max(1e-6, Math.Abs(scenario.ConfiguredAnnual(id) ?? 0) / 8760);
        }

        _lineRate = new double[_lines.Length];
        _lineScheduled = new bool[_lines.Length];
        _lineShiftChange = new bool[_lines.Length];
        _lineCum = new double[_lines.Length];
        _consumerPower = new double[_consumers.Length];
        _consumerCum = new double[_consumers.Length];
        _compressorDemand = new double[_consumers.Length];
        _projectSavingsRate = new double[_projects.Length];
        _projectSavingsCum = new double[_projects.Length];
        _meterRate = new double[meters.Count];
        _meterImportCum = new double[meters.Count];
        _meterExportCum = new double[meters.Count];
        _meterReactiveRate = new double[meters.Count];
        _meterReactiveCum = new double[meters.Count];
        _meterPf = new double[meters.Count];

        (_lineK, _consumerK) = calibration is not null && calibration._scenario == scenario
            ? (calibration._lineK, calibration._consumerK)
            : Calibrate();
        Step = -1;
    }

    public Scenario Scenario => _scenario;

    /// <summary>The current step (-1 before the first <see cref="AdvanceTo(long)"/>).</summary>
    public long Step { get; private set; }

    public DateTimeOffset StepStart => new(_epochTicks + (Step * StepSeconds * TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>Local date of the current step.</summary>
    public DateOnly LocalDate { get; private set; }

    /// <summary>Called when a step begins a local day, before that step's rates are used: cumulative values are at local midnight.</summary>
    public Action<PlantModel>? DayStarted { get; set; }

    public double Temperature => _temperature;

    /// <summary>Mean outdoor temperature since the last <see cref="ResetTemperatureMean"/> (for daily ground truth).</summary>
    public double TemperatureMean => _temperatureSteps == 0 ? _temperature : _temperatureSum / _temperatureSteps;

    public void ResetTemperatureMean()
    {
        _temperatureSum = 0;
        _temperatureSteps = 0;
    }

    public IReadOnlyList<SimProject> Projects => _projects;

    /// <summary>Calibration factor of a consumer: its rate (unit per hour) at shape 1.</summary>
    public double ConsumerScale(int consumer) => _consumerK[consumer];

    public long StepOf(DateTimeOffset t) => Math.DivRem(t.UtcTicks - _epochTicks, StepSeconds * TimeSpan.TicksPerSecond, out var rest) - (rest < 0 ? 1 : 0);

    public void AdvanceTo(DateTimeOffset t) => AdvanceTo(StepOf(t));

    public void AdvanceTo(long step)
    {
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"Before the scenario start {_scenario.Start:yyyy-MM-dd}.");
        }

        if (step < Step)
        {
            throw new InvalidOperationException($"The model is at step {Step} and cannot go back to step {step}.");
        }

        while (Step < step)
        {
            if (Step >= 0)
            {
                Integrate();
            }

            Step++;
            Compute(Step, calibrating: false);
        }
    }

    /// <summary>The true value (canonical unit, before any register multiplier) of <paramref name="quantity"/> of meter <paramref name="meter"/> at <paramref name="t"/>, in the current step.</summary>
    public double Value(int meter, Quantity quantity, DateTimeOffset t)
    {
        var hours = (t.UtcTicks - StepStart.UtcTicks) / (double)TimeSpan.TicksPerHour;
        var sim = _scenario.Meters[meter];
        if (sim.Kind == MeterKind.Production)
        {
            var line = sim.LineIndex;
            return quantity == Quantity.Counter ? _lineCum[line] + (_lineK[line] * _lineRate[line] * hours) : _lineK[line] * _lineRate[line];
        }

        if (sim.Kind == MeterKind.Weather)
        {
            return _temperature;
        }

        switch (quantity)
        {
            case Quantity.Counter:
                return _meterImportCum[meter] + (Math.Max(0, _meterRate[meter]) * hours);
            case Quantity.ExportCounter:
                return _meterExportCum[meter] + (Math.Max(0, -_meterRate[meter]) * hours);
            case Quantity.ReactiveCounter:
                return _meterReactiveCum[meter] + (_meterReactiveRate[meter] * hours);
            case Quantity.Rate:
                return InstantRate(meter, t);
            case Quantity.PhaseRate:
                return InstantRate(meter, t) / 3;
            case Quantity.ReactivePower:
                return _meterReactiveRate[meter];
            case Quantity.PowerFactor:
                return _meterPf[meter];
            case Quantity.Voltage:
                return Voltage(meter);
            case Quantity.Current:
                return Math.Abs(InstantRate(meter, t)) * 1000 / (3 * Voltage(meter) * _meterPf[meter]);
            case Quantity.Frequency:
                return 50 + (0.015 * Noise.Smooth(_seed, _meterStreams[meter] ^ 0xF, Step, 7));
            case Quantity.Temperature:
            default:
                return _temperature;
        }
    }

    /// <summary>True cumulative consumption of meter (import, export) at the current step start.</summary>
    public (double Import, double Export) MeterCumulative(int meter)
    {
        var sim = _scenario.Meters[meter];
        return sim.Kind == MeterKind.Production ? (_lineCum[sim.LineIndex], 0) : (_meterImportCum[meter], _meterExportCum[meter]);
    }

    /// <summary>True cumulative savings of project <paramref name="project"/> (index in <see cref="Projects"/>) at the current step start.</summary>
    public double ProjectSavings(int project) => _projectSavingsCum[project];

    public double ConsumerCumulative(int consumer) => _consumerCum[consumer];

    private double Voltage(int meter) => 230 + (1.5 * Noise.Smooth(_seed, _meterStreams[meter] ^ 0x5, Step, 15));

    private double InstantRate(int meter, DateTimeOffset t)
    {
        var rate = 0.0;
        foreach (var c in _meterConsumers[meter])
        {
            if (_consumers[c].Model == ConsumerModel.Compressor && _consumerPower[c] > 0)
            {
                // Load/unload: loaded for the demand's share of each cycle, at a random phase per cycle.
                var p = _active[c];
                var seconds = (t.UtcTicks - _epochTicks) / (double)TimeSpan.TicksPerSecond;
                var cycle = Math.Floor(seconds / p.CycleS);
                var phase = (seconds / p.CycleS) - cycle + Noise.Uniform(_seed, _consumerStreams[c], (long)cycle);
                var loaded = phase - Math.Floor(phase) < _compressorDemand[c];
                rate += _consumerK[c] * p.Factor * (loaded ? 1 : p.Unloaded);
            }
            else
            {
                rate += _consumerPower[c];
            }
        }

        foreach (var c in _meterNetted[meter])
        {
            rate -= _consumerPower[c];
        }

        return rate;
    }

    private void Integrate()
    {
        for (var i = 0; i < _lines.Length; i++)
        {
            _lineCum[i] += _lineK[i] * _lineRate[i] * StepHours;
        }

        for (var c = 0; c < _consumers.Length; c++)
        {
            _consumerCum[c] += _consumerPower[c] * StepHours;
        }

        for (var p = 0; p < _projects.Length; p++)
        {
            _projectSavingsCum[p] += _projectSavingsRate[p] * StepHours;
        }

        for (var m = 0; m < _meterRate.Length; m++)
        {
            var rate = _meterRate[m];
            if (rate >= 0)
            {
                _meterImportCum[m] += rate * StepHours;
            }
            else
            {
                _meterExportCum[m] -= rate * StepHours;
            }

            _meterReactiveCum[m] += _meterReactiveRate[m] * StepHours;
        }
    }

    /// <summary>Scales every consumer and line so that the calibration year sums to its annual total (baseline parameters).</summary>
    private (double[] LineK, double[] ConsumerK) Calibrate()
    {
        var from = _scenario.LocalMidnight(new DateOnly(_scenario.CalibrationYear, 1, 1));
        var to = _scenario.LocalMidnight(new DateOnly(_scenario.CalibrationYear + 1, 1, 1));
        var first = StepOf(from);
        var last = StepOf(to);
        var lineSum = new double[_lines.Length];
        var shapeSum = new double[_consumers.Length];
        var lineK = new double[_lines.Length];
        var consumerK = new double[_consumers.Length];
        for (var step = first; step < last; step++)
        {
            Compute(step, calibrating: true);
            for (var i = 0; i < _lines.Length; i++)
            {
                lineSum[i] += _lineRate[i] * StepHours;
            }

            for (var c = 0; c < _consumers.Length; c++)
            {
                shapeSum[c] += _consumerPower[c] * StepHours; // the shape: calibrating computes with k = 1
            }
        }

        for (var i = 0; i < _lines.Length; i++)
        {
            lineK[i] = lineSum[i] > 0 ? _lines[i].Annual / lineSum[i] : 0;
        }

        for (var c = 0; c < _consumers.Length; c++)
        {
            consumerK[c] = _consumers[c].Model == ConsumerModel.Leak ? _consumers[c].Annual
                : shapeSum[c] > 0 ? _consumers[c].Annual / shapeSum[c]
                : throw new InvalidOperationException($"Consumer '{_consumers[c].Id}' never runs in {_scenario.CalibrationYear}: cannot calibrate it to its annual total.");
        }

        _days.Clear();
        _activeProjects = -1;
        return (lineK, consumerK);
    }

    /// <summary>Rates of step <paramref name="step"/>. While calibrating: baseline parameters, unit scale, no leaks.</summary>
    private void Compute(long step, bool calibrating)
    {
        var utc = new DateTime(_epochTicks + (step * StepSeconds * TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, _scenario.Site.TimeZone);
        var localDate = DateOnly.FromDateTime(local);
        var newDay = localDate != LocalDate || step == 0;
        LocalDate = localDate;
        if (!calibrating && newDay)
        {
            DayStarted?.Invoke(this);
        }

        var hourOfDay = local.TimeOfDay.TotalHours;
        var today = Day(localDate);
        var yesterday = Day(localDate.AddDays(-1));

        // Lines: scheduled by shifts, stopped now and then, with noise on the rate.
        for (var i = 0; i < _lines.Length; i++)
        {
            var line = _lines[i];
            var shifts = line.Shifts ?? _scenario.Schedule.Shifts;
            var (scheduled, change) = Scheduled(shifts, today, hourOfDay, out var _);
            if (!scheduled)
            {
                (scheduled, change) = Scheduled(shifts, yesterday, hourOfDay + 24, out _);
            }

            _lineScheduled[i] = scheduled;
            _lineShiftChange[i] = change;
            var rate = 0.0;
            if (scheduled)
            {
                var hour = step / 60;
                var minute = step - (hour * 60);
                var stopped = false;
                if (Noise.Uniform(_seed, _lineStreams[i], hour * 4) < line.StoppageProbability)
                {
                    var start = Noise.Uniform(_seed, _lineStreams[i], (hour * 4) + 1) * 60;
                    var length = line.StoppageMinMinutes + (Noise.Uniform(_seed, _lineStreams[i], (hour * 4) + 2) * (line.StoppageMaxMinutes - line.StoppageMinMinutes));
                    stopped = minute >= start && minute < start + length;
                }

                rate = stopped ? 0 : Math.Max(0, 1 + (line.Noise * Noise.Gaussian(_seed, _lineStreams[i], step / 15)));
            }

            _lineRate[i] = rate;
        }

        // Weather and sun.
        var dayOfYear = utc.DayOfYear - 1 + (utc.TimeOfDay.TotalHours / 24);
        var solarHour = utc.TimeOfDay.TotalHours + (_scenario.Climate.Longitude / 15);
        var climate = _scenario.Climate;
        var hoursSinceEpoch = step * StepHours;
        _temperature = climate.MeanC
            - (climate.SeasonalAmplitudeC * Math.Cos(2 * Math.PI * (dayOfYear - climate.ColdestDay) / 365.25))
            + (climate.DailyAmplitudeC * Math.Cos(2 * Math.PI * (solarHour - 15) / 24))
            + (climate.NoiseC * Noise.Smooth(_seed, 0x7E3A, hoursSinceEpoch, 36))
            + (0.4 * Noise.Smooth(_seed, 0x7E3B, hoursSinceEpoch, 3));
        if (!calibrating)
        {
            _temperatureSum += _temperature;
            _temperatureSteps++;
        }

        if (!calibrating)
        {
            UpdateActiveParameters(utc);
        }

        var context = new StepContext(step, local, hourOfDay, dayOfYear, solarHour, today);
        for (var c = 0; c < _consumers.Length; c++)
        {
            var consumer = _consumers[c];
            if (consumer.Model == ConsumerModel.Leak)
            {
                var on = !calibrating && utc >= consumer.ActiveFrom && utc < consumer.ActiveTo;
                _consumerPower[c] = on ? consumer.Annual : 0;
                continue;
            }

            var scale = calibrating ? 1 : _consumerK[c];
            var parameters = calibrating ? _baseline[c] : _active[c];
            _consumerPower[c] = scale * Shape(c, parameters, context, out _compressorDemand[c]);
            foreach (var (_, index) in _projectsByConsumer[c])
            {
                _projectSavingsRate[index] = calibrating || _withoutProject[index] is not { } without
                    ? 0
                    : (scale * Shape(c, without[c], context, out _)) - _consumerPower[c];
            }
        }

        if (calibrating)
        {
            return;
        }

        for (var m = 0; m < _meterRate.Length; m++)
        {
            var rate = 0.0;
            foreach (var c in _meterConsumers[m])
            {
                rate += _consumerPower[c];
            }

            foreach (var c in _meterNetted[m])
            {
                rate -= _consumerPower[c];
            }

            _meterRate[m] = rate;
            if (_scenario.Meters[m].Carrier == Carrier.Electricity)
            {
                var load = Math.Min(1, Math.Abs(rate) / _meterMeanRate[m]);
                var pf = Math.Clamp(0.78 + (0.17 * load) + (0.005 * Noise.Gaussian(_seed, _meterStreams[m], step)), 0.5, 0.99);
                _meterPf[m] = pf;
                _meterReactiveRate[m] = Math.Abs(rate) * Math.Tan(Math.Acos(pf));
            }
        }
    }

    /// <summary>Parameters of each consumer given the projects started by <paramref name="utc"/>; recomputed only when that set changes.</summary>
    private void UpdateActiveParameters(DateTime utc)
    {
        var active = 0;
        foreach (var project in _projects)
        {
            active += project.From.UtcDateTime <= utc ? 1 : 0;
        }

        if (active == _activeProjects)
        {
            return;
        }

        _activeProjects = active;
        bool IsOn(SimProject p, SimProject? except) => p != except && p.From.UtcDateTime <= utc;
        ConsumerParameters[] With(SimProject? except) =>
            [.. _consumers.Select((consumer, c) => _projectsByConsumer[c].Where(x => IsOn(x.Project, except))
                .OrderBy(x => x.Project.From)
                .Aggregate(_baseline[c], (parameters, x) => parameters.With(x.Project.Set)))];
        With(null).CopyTo(_active, 0);
        _withoutProject = [.. _projects.Select(p => p.From.UtcDateTime <= utc ? With(p) : null!)];
    }

    private DayInfo Day(DateOnly date)
    {
        if (!_days.TryGetValue(date.DayNumber, out var info))
        {
            var schedule = _scenario.Schedule;
            var holiday = MoroccanCalendar.IsPublicHoliday(date) || schedule.ExtraHolidays.Contains(date);
            var shifts = holiday ? 0
                : schedule.WorkingDays.Contains(date.DayOfWeek) ? 3
                : date.DayOfWeek == DayOfWeek.Saturday ? schedule.SaturdayShifts
                : 0;
            var length = MoroccanCalendar.IsRamadan(date) ? 8 * schedule.RamadanHours : 8;
            info = new DayInfo(date, shifts, length);
            _days[date.DayNumber] = info;
        }

        return info;
    }

    /// <summary>Whether hour <paramref name="hour"/> after midnight of <paramref name="day"/> falls in one of its worked shifts.</summary>
    private (bool Scheduled, bool ShiftChange) Scheduled(int lineShifts, DayInfo day, double hour, out int shift)
    {
        var worked = Math.Min(lineShifts, day.MaxShifts);
        for (shift = 0; shift < worked; shift++)
        {
            var into = hour - (_scenario.Schedule.FirstShiftStart + (8 * shift));
            if (into >= 0 && into < day.ShiftHours)
            {
                return (true, into < 0.5);
            }
        }

        return (false, false);
    }

    private double LinesRate(int c, out bool scheduled, out bool shiftChange)
    {
        var lines = _consumerLines[c];
        var sum = 0.0;
        scheduled = false;
        shiftChange = false;
        foreach (var i in lines)
        {
            sum += _lineRate[i];
            scheduled |= _lineScheduled[i];
            shiftChange |= _lineShiftChange[i];
        }

        return lines.Length == 0 ? 0 : sum / lines.Length;
    }

    /// <summary>The consumer's shape s(t) (docs/simulators.md): its rate is k·s(t) with k from calibration.</summary>
    private double Shape(int c, ConsumerParameters p, in StepContext context, out double demand)
    {
        var consumer = _consumers[c];
        var r = LinesRate(c, out var occupied, out var shiftChange);
        var t = _temperature;
        demand = 0;
        double s;
        switch (consumer.Model)
        {
            case ConsumerModel.Base:
                s = Math.Max(0, 1 + (p.Noise * Noise.Gaussian(_seed, _consumerStreams[c], context.Step / 15)));
                break;
            case ConsumerModel.Production:
                s = (p.Idle + ((1 - p.Idle) * r)) * Math.Max(0, 1 + (p.Noise * Noise.Gaussian(_seed, _consumerStreams[c], context.Step)));
                break;
            case ConsumerModel.Compressor:
                demand = p.Leak + ((1 - p.Leak) * Math.Min(1, r));
                s = demand + (p.Unloaded * (1 - demand));
                break;
            case ConsumerModel.Furnace:
                var hot = false;
                foreach (var i in _consumerLines[c])
                {
                    hot |= Math.Min(_lines[i].Shifts ?? _scenario.Schedule.Shifts, context.Today.MaxShifts) > 0;
                }

                s = hot ? p.Hold + ((1 - p.Hold) * r) : 0;
                break;
            case ConsumerModel.Chiller:
                var q = CoolingLoad(p, r, t);
                s = q > 0 ? Math.Pow(q, p.PartLoadExponent) * Math.Max(0.5, 1 + (p.CopSlope * (t - 25))) : 0;
                break;
            case ConsumerModel.CoolingTower:
                s = CoolingLoad(p, r, t);
                break;
            case ConsumerModel.LightingHvac:
                var hvac = Math.Min(1, Math.Abs(t - p.ComfortC) / 10);
                s = p.Night + (occupied ? (1 - p.Night) * (p.Lighting + ((1 - p.Lighting) * hvac)) : 0);
                break;
            case ConsumerModel.Sanitary:
                var use = occupied ? 1 + (shiftChange ? p.ShiftChange : 0) : 0;
                s = (p.Night + use) * Math.Max(0, 1 + (0.2 * Noise.Gaussian(_seed, _consumerStreams[c], context.Step)));
                break;
            case ConsumerModel.Solar:
                var declination = 23.44 * Math.PI / 180 * Math.Sin(2 * Math.PI * (284 + context.DayOfYear) / 365);
                var latitude = _scenario.Climate.Latitude * Math.PI / 180;
                var hourAngle = (context.SolarHour - 12) * 15 * Math.PI / 180;
                var sinElevation = (Math.Sin(latitude) * Math.Sin(declination)) + (Math.Cos(latitude) * Math.Cos(declination) * Math.Cos(hourAngle));
                var cloud = Math.Clamp(p.Cloudiness + (0.15 * Math.Cos(2 * Math.PI * (context.DayOfYear - 15) / 365)) + (0.3 * Noise.Smooth(_seed, _consumerStreams[c], context.Step * StepHours, 8)), 0, 1);
                s = Math.Max(0, sinElevation) * (1 - (0.75 * cloud));
                break;
            case ConsumerModel.GensetTest:
                var local = context.Local;
                var running = local.DayOfWeek == DayOfWeek.Monday && local.Day <= 7
                    && context.HourOfDay >= p.Hour && context.HourOfDay < p.Hour + (p.Minutes / 60);
                s = running ? 1 : 0;
                break;
            default:
                s = 0;
                break;
        }

        return s * p.Factor;
    }

    private static double CoolingLoad(ConsumerParameters p, double r, double t) =>
        (p.Process * Math.Min(1, r)) + ((1 - p.Process) * Math.Clamp((t - p.BalanceC) / (p.DesignC - p.BalanceC), 0, 1));

    private readonly record struct DayInfo(DateOnly Date, int MaxShifts, double ShiftHours);

    private readonly record struct StepContext(long Step, DateTime Local, double HourOfDay, double DayOfYear, double SolarHour, DayInfo Today);
}

/// <summary>A consumer's parameters as fields (no dictionary lookups per step).</summary>
internal sealed class ConsumerParameters
{
    private readonly Dictionary<string, double> _values;

    public ConsumerParameters(IReadOnlyDictionary<string, double> values)
    {
        _values = new Dictionary<string, double>(values, StringComparer.Ordinal);
        Noise = Get("noise");
        Idle = Get("idle");
        Leak = Get("leak");
        Unloaded = Get("unloaded");
        CycleS = Math.Max(1, Get("cycle_s"));
        Hold = Get("hold");
        Process = Get("process");
        BalanceC = Get("balance_c");
        DesignC = Math.Max(BalanceC + 1, Get("design_c"));
        PartLoadExponent = Get("part_load_exponent");
        CopSlope = Get("cop_slope");
        Night = Get("night");
        Lighting = Get("lighting");
        ComfortC = Get("comfort_c");
        ShiftChange = Get("shift_change");
        Cloudiness = Get("cloudiness");
        Hour = Get("hour");
        Minutes = Get("minutes");
        Factor = _values.GetValueOrDefault("factor", 1);
    }

    public double Noise { get; }
    public double Idle { get; }
    public double Leak { get; }
    public double Unloaded { get; }
    public double CycleS { get; }
    public double Hold { get; }
    public double Process { get; }
    public double BalanceC { get; }
    public double DesignC { get; }
    public double PartLoadExponent { get; }
    public double CopSlope { get; }
    public double Night { get; }
    public double Lighting { get; }
    public double ComfortC { get; }
    public double ShiftChange { get; }
    public double Cloudiness { get; }
    public double Hour { get; }
    public double Minutes { get; }
    public double Factor { get; }

    public ConsumerParameters With(IReadOnlyDictionary<string, double> changes)
    {
        var values = new Dictionary<string, double>(_values, StringComparer.Ordinal);
        foreach (var (key, value) in changes)
        {
            values[key] = value;
        }

        return new ConsumerParameters(values);
    }

    private double Get(string name) => _values.GetValueOrDefault(name);
}
