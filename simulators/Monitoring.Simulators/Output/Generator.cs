using System.Diagnostics;
using System.Globalization;
using System.Text;
using Monitoring.Domain.Registry;
using Monitoring.Simulators.Model;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Output;

/// <summary>What to generate: [From, To] every Interval (both ends included, so counters span the whole period).</summary>
public sealed record GenerateOptions(DateTimeOffset From, DateTimeOffset To, TimeSpan Interval)
{
    public IReadOnlySet<string> DisabledProjects { get; init; } = new HashSet<string>();

    /// <summary>Where to draw the progress bar (null: none).</summary>
    public TextWriter? Progress { get; init; }
}

public sealed record GenerateResult(long Lines, long Bytes, TimeSpan Elapsed, int GroundTruthRows)
{
    public double LinesPerSecond => Lines / Math.Max(1e-9, Elapsed.TotalSeconds);
}

/// <summary>
/// Writes the readings the site's edge agents would have produced, as line protocol
/// (<c>meter,site=S,meter=M field=value,... ns</c>), and the ground truth per local day.
/// </summary>
public static class Generator
{
    /// <summary>
    /// Generates the readings into <paramref name="lines"/>; and, when <paramref name="groundTruth"/> is given,
    /// the CSV <c>site,date,kind,id,quantity,value</c> of every full local day in the period: true consumption per
    /// meter and production counter, daily mean temperature, and per project the true savings.
    /// </summary>
    public static GenerateResult Run(Scenario scenario, GenerateOptions options, Stream lines, TextWriter? groundTruth = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Interval, "The interval must be positive.");
        }

        if (options.From < scenario.Epoch || options.To < options.From)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"The period must start at or after the scenario start ({scenario.Start:yyyy-MM-dd}) and end after it starts.");
        }

        var stopwatch = Stopwatch.StartNew();
        var model = new PlantModel(scenario, options.DisabledProjects);
        var source = new ReadingSource(model, options.DisabledProjects);
        var truth = groundTruth is null ? null : new GroundTruth(scenario, model, options.From, groundTruth);
        if (truth is not null)
        {
            model.DayStarted = truth.OnDayStarted;
        }

        var meters = scenario.Meters.Select((m, i) => (Meter: m, Index: i)).Where(x => x.Meter.Device != DeviceKind.None).ToArray();
        var prefixes = meters.Select(x => Encoding.UTF8.GetBytes($"meter,site={scenario.Site.Id},meter={x.Meter.Id} ")).ToArray();
        var fieldIndexes = meters.Select(x => Enumerable.Range(0, x.Meter.Fields.Count).Where(i => x.Meter.Reported[i]).ToArray()).ToArray();
        var fieldNames = meters.Select(x => x.Meter.Fields.Select(f => Encoding.UTF8.GetBytes(f + "=")).ToArray()).ToArray();
        var decimals = meters.Select(x => x.Meter.Fields.Select(Decimals).ToArray()).ToArray();
        var values = new double[meters.Length == 0 ? 0 : meters.Max(x => x.Meter.Fields.Count)];
        var maxLine = 64 + prefixes.Select((p, i) => p.Length + fieldNames[i].Sum(f => f.Length + 32)).DefaultIfEmpty(0).Max();

        var totalTicks = (options.To - options.From).Ticks / options.Interval.Ticks + 1;
        var progress = new ProgressBar(options.Progress, totalTicks);
        long lineCount = 0;
        using var writer = new Utf8LineWriter(lines);
        var unixEpochTicks = DateTimeOffset.UnixEpoch.UtcTicks;
        for (long tick = 0; tick < totalTicks; tick++)
        {
            var t = options.From + (options.Interval * tick);
            model.AdvanceTo(t);
            for (var k = 0; k < meters.Length; k++)
            {
                var meter = meters[k].Index;
                var answer = source.Answer(meter, t);
                if (answer.Status != ReadStatus.Ok || answer.DelayMs >= EdgeTimeoutMs)
                {
                    continue; // the agent gets no value: no line (never a stale or sentinel value)
                }

                source.Values(meter, t, values);
                writer.Reserve(maxLine);
                writer.Write(prefixes[k]);
                var separator = false;
                foreach (var i in fieldIndexes[k])
                {
                    if (separator)
                    {
                        writer.Write((byte)',');
                    }

                    writer.Write(fieldNames[k][i]);
                    writer.WriteFixed(values[i], decimals[k][i]);
                    separator = true;
                }

                writer.Write((byte)' ');
                writer.WriteInteger(((t + answer.ClockSkew).UtcTicks - unixEpochTicks) * 100);
                writer.Write((byte)'\n');
                lineCount++;
            }

            if ((tick & 255) == 0)
            {
                progress.Report(tick, lineCount);
            }
        }

        writer.Dispose();
        stopwatch.Stop();
        progress.Done(lineCount, stopwatch.Elapsed);
        return new GenerateResult(lineCount, writer.BytesWritten, stopwatch.Elapsed, truth?.Rows ?? 0);
    }

    /// <summary>The edge agent's default request timeout: slower answers are lost.</summary>
    public const int EdgeTimeoutMs = 1000;

    private static int Decimals(string field) => field switch
    {
        "pf" => 3,
        "temperature_c" or "voltage_v" or "frequency_hz" => 2,
        _ => 3,
    };

    /// <summary>Collects daily true values at each local midnight and writes the CSV rows.</summary>
    private sealed class GroundTruth
    {
        private readonly Scenario _scenario;
        private readonly PlantModel _model;
        private readonly DateTimeOffset _from;
        private readonly TextWriter _output;
        private readonly int[] _meters;
        private readonly string[] _quantities;
        private double[]? _previous;
        private double[]? _previousSavings;
        private DateOnly _previousDate;

        public GroundTruth(Scenario scenario, PlantModel model, DateTimeOffset from, TextWriter output)
        {
            _scenario = scenario;
            _model = model;
            _from = from;
            _output = output;
            _meters = [.. Enumerable.Range(0, scenario.Meters.Count).Where(i => scenario.Meters[i].Kind != MeterKind.Weather)];
            _quantities = [.. _meters.Select(i => CounterField(scenario.Meters[i]))];
            output.Write("site,date,kind,id,quantity,value\n");
        }

        public int Rows { get; private set; }

        public void OnDayStarted(PlantModel model)
        {
            if (model.StepStart < _from)
            {
                model.ResetTemperatureMean();
                return;
            }

            var current = new double[_meters.Length * 2];
            for (var k = 0; k < _meters.Length; k++)
            {
                (current[2 * k], current[(2 * k) + 1]) = model.MeterCumulative(_meters[k]);
            }

            var savings = model.Projects.Select((_, p) => model.ProjectSavings(p)).ToArray();
            if (_previous is not null)
            {
                var date = _previousDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var site = _scenario.Site.Id;
                for (var k = 0; k < _meters.Length; k++)
                {
                    var meter = _scenario.Meters[_meters[k]];
                    Row(site, date, meter.Kind == MeterKind.Production ? "production" : "meter", meter.Id, _quantities[k], current[2 * k] - _previous[2 * k]);
                    if (meter.Carrier == Carrier.Electricity && meter.ReportedFields.Contains("energy_export_kwh"))
                    {
                        Row(site, date, "meter", meter.Id, "energy_export_kwh", current[(2 * k) + 1] - _previous[(2 * k) + 1]);
                    }
                }

                var weather = _scenario.Meters.FirstOrDefault(m => m.Kind == MeterKind.Weather);
                Row(site, date, "weather", weather?.Id ?? "outdoor", "temperature_c", model.TemperatureMean);
                for (var p = 0; p < savings.Length; p++)
                {
                    var project = model.Projects[p];
                    var consumer = _scenario.Consumers[project.ConsumerIndex];
                    var meter = _scenario.Meters.First(m => m.Id == consumer.MeterId);
                    Row(site, date, "project", project.Id, CounterField(meter), savings[p] - _previousSavings![p]);
                }
            }

            model.ResetTemperatureMean();
            _previous = current;
            _previousSavings = savings;
            _previousDate = model.LocalDate;
        }

        private void Row(string site, string date, string kind, string id, string quantity, double value)
        {
            _output.Write(string.Create(CultureInfo.InvariantCulture, $"{site},{date},{kind},{id},{quantity},{Math.Round(value, 6)}\n"));
            Rows++;
        }

        private static string CounterField(SimMeter meter) => meter.Kind == MeterKind.Production
            ? meter.Fields[0]
            : meter.Carrier switch
            {
                Carrier.Electricity => "energy_import_kwh",
                Carrier.Water => "volume_m3",
                Carrier.NaturalGas => "gas_volume_nm3",
                Carrier.Gasoil or Carrier.FuelOil or Carrier.Lpg => "fuel_volume_l",
                _ => "value",
            };
    }
}

/// <summary>A one-line progress bar on stderr, redrawn at most four times a second.</summary>
internal sealed class ProgressBar(TextWriter? output, long total)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.FromSeconds(-1);

    public void Report(long done, long lines)
    {
        if (output is null || _clock.Elapsed - _last < TimeSpan.FromMilliseconds(250))
        {
            return;
        }

        _last = _clock.Elapsed;
        var share = total == 0 ? 1 : (double)done / total;
        var filled = (int)(share * 30);
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {share * 100,5:0.0}%  {lines:N0} lines  {lines / Math.Max(1e-9, _clock.Elapsed.TotalSeconds):N0} lines/s "));
    }

    public void Done(long lines, TimeSpan elapsed)
    {
        output?.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', 30)}] 100.0%  {lines:N0} lines in {elapsed.TotalSeconds:0.00} s ({lines / Math.Max(1e-9, elapsed.TotalSeconds):N0} lines/s)\n"));
    }
}
