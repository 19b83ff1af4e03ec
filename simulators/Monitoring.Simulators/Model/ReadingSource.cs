using Monitoring.Domain.Registry;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Model;

/// <summary>What a device does when asked for its values.</summary>
public enum ReadStatus
{
    /// <summary>Values are served.</summary>
    Ok,
    /// <summary>The port is closed (drop fault).</summary>
    Dropped,
    /// <summary>The device answers a Modbus exception (<see cref="DeviceAnswer.ExceptionCode"/>).</summary>
    Exception,
    /// <summary>Every register holds all-ones: "no value".</summary>
    Sentinel,
}

/// <summary>How the device answers at an instant, besides its values.</summary>
public readonly record struct DeviceAnswer(ReadStatus Status, byte ExceptionCode, int DelayMs, TimeSpan ClockSkew);

/// <summary>
/// The values a meter's device shows at an instant, as on its display or registers: the model's true values
/// divided by the registry multiplier, plus the counter's initial reading, wrapped at the register's rollover,
/// with the scheduled faults applied. Shared by <c>generate</c> and the live devices so both show the same.
/// </summary>
public sealed class ReadingSource
{
    private readonly PlantModel _model;
    private readonly Scenario _scenario;
    private readonly Quantity[][] _quantities;
    private readonly bool[][] _counters;
    private readonly Fault[][] _faults;
    private readonly Dictionary<(Fault, int), double> _captures = [];
    private readonly Dictionary<Fault, double[]> _frozen = [];

    public ReadingSource(PlantModel model, IReadOnlySet<string>? disabledProjects = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _scenario = model.Scenario;
        var meters = _scenario.Meters;
        _quantities = [.. meters.Select(m => m.Fields.Select(f => QuantityOf(f)).ToArray())];
        _counters = [.. meters.Select(m => m.Fields.Select(f => FieldVocabulary.TryGet(f, out var v) && v.Kind == FieldKind.Counter).ToArray())];
        _faults = [.. meters.Select((_, i) => _scenario.Faults.Where(f => f.MeterIndexes.Contains(i)).OrderBy(f => f.From).ToArray())];
        CaptureFaultInstants(disabledProjects);
    }

    public PlantModel Model => _model;

    public static Quantity QuantityOf(string field) => field switch
    {
        "energy_import_kwh" or "volume_m3" or "gas_volume_nm3" or "fuel_volume_l" or "fuel_mass_kg" or "units" or "mass_t" => Quantity.Counter,
        "energy_export_kwh" => Quantity.ExportCounter,
        "reactive_energy_kvarh" => Quantity.ReactiveCounter,
        "power_kw" or "flow_m3h" => Quantity.Rate,
        "power_l1_kw" or "power_l2_kw" or "power_l3_kw" => Quantity.PhaseRate,
        "reactive_power_kvar" => Quantity.ReactivePower,
        "pf" => Quantity.PowerFactor,
        "voltage_v" or "voltage_l1_v" or "voltage_l2_v" or "voltage_l3_v" => Quantity.Voltage,
        "current_a" or "current_l1_a" or "current_l2_a" or "current_l3_a" => Quantity.Current,
        "frequency_hz" => Quantity.Frequency,
        "temperature_c" => Quantity.Temperature,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not a field the simulator models."),
    };

    /// <summary>How the device of <paramref name="meter"/> answers at <paramref name="t"/> (faults of the schedule).</summary>
    public DeviceAnswer Answer(int meter, DateTimeOffset t)
    {
        var answer = new DeviceAnswer(ReadStatus.Ok, 0, 0, TimeSpan.Zero);
        foreach (var fault in _faults[meter])
        {
            if (!fault.IsActive(t))
            {
                continue;
            }

            answer = fault.Type switch
            {
                FaultType.Drop => answer with { Status = ReadStatus.Dropped },
                FaultType.Exception when answer.Status == ReadStatus.Ok => answer with { Status = ReadStatus.Exception, ExceptionCode = fault.Code },
                FaultType.Sentinel when answer.Status == ReadStatus.Ok => answer with { Status = ReadStatus.Sentinel },
                FaultType.Slow => answer with { DelayMs = fault.DelayMs },
                FaultType.ClockSkew => answer with { ClockSkew = fault.Skew },
                _ => answer,
            };
        }

        return answer;
    }

    /// <summary>
    /// The values of every field of <paramref name="meter"/> (in <see cref="SimMeter.Fields"/> order) at
    /// <paramref name="t"/>. The model must be at the step of <paramref name="t"/>.
    /// </summary>
    public void Values(int meter, DateTimeOffset t, Span<double> values)
    {
        var quantities = _quantities[meter];
        var faults = _faults[meter];
        foreach (var fault in faults)
        {
            if (fault.Type == FaultType.Freeze && fault.IsActive(t))
            {
                if (!_frozen.TryGetValue(fault, out var frozen))
                {
                    frozen = new double[quantities.Length];
                    Compute(meter, t, frozen);
                    _frozen[fault] = frozen;
                }

                frozen.CopyTo(values);
                return;
            }
        }

        Compute(meter, t, values);
    }

    private void Compute(int meter, DateTimeOffset t, Span<double> values)
    {
        var sim = _scenario.Meters[meter];
        var quantities = _quantities[meter];
        var counters = _counters[meter];
        var faults = _faults[meter];
        for (var i = 0; i < quantities.Length; i++)
        {
            var value = _model.Value(meter, quantities[i], t) / sim.Multipliers[i];
            if (counters[i])
            {
                value += sim.Initial[i];
                foreach (var fault in faults)
                {
                    if (t < fault.From)
                    {
                        continue;
                    }

                    if (fault.Type == FaultType.Replace)
                    {
                        value = value - _captures[(fault, i)] + fault.Value;
                    }
                }

                foreach (var fault in faults)
                {
                    if (fault.Type == FaultType.Rollover && (fault.Field is null || fault.Field == sim.Fields[i]))
                    {
                        // Offset so that the register reaches its modulus exactly at the fault's instant.
                        value = PositiveModulo(value + fault.Modulus - _captures[(fault, i)], fault.Modulus);
                    }
                }

                if (sim.Rollovers[i] is { } modulus)
                {
                    value = PositiveModulo(value, modulus);
                }
            }

            foreach (var fault in faults)
            {
                if (fault.Type == FaultType.Spike && fault.Field == sim.Fields[i] && fault.IsActive(t))
                {
                    value = (value * fault.Factor) + fault.Add;
                }
            }

            values[i] = value;
        }
    }

    private static double PositiveModulo(double value, double modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }

    /// <summary>
    /// Replacements and forced rollovers need each counter's reading at the fault's instant, which may lie ahead
    /// of the caller: a second model (same calibration) runs through those instants once.
    /// </summary>
    private void CaptureFaultInstants(IReadOnlySet<string>? disabledProjects)
    {
        var instants = _scenario.Faults
            .Where(f => f.Type is FaultType.Replace or FaultType.Rollover)
            .OrderBy(f => f.From)
            .ToList();
        if (instants.Count == 0)
        {
            return;
        }

        var scout = new PlantModel(_scenario, disabledProjects, _model);
        foreach (var fault in instants)
        {
            scout.AdvanceTo(fault.From);
            foreach (var meter in fault.MeterIndexes)
            {
                var sim = _scenario.Meters[meter];
                for (var i = 0; i < sim.Fields.Count; i++)
                {
                    if (!_counters[meter][i])
                    {
                        continue;
                    }

                    // The reading just before the fault: earlier replacements included, this one not.
                    var value = (scout.Value(meter, _quantities[meter][i], fault.From) / sim.Multipliers[i]) + sim.Initial[i];
                    foreach (var earlier in _scenario.Faults.Where(f => f.Type == FaultType.Replace && f.From < fault.From && f.MeterIndexes.Contains(meter)))
                    {
                        value = value - _captures[(earlier, i)] + earlier.Value;
                    }

                    _captures[(fault, i)] = value;
                }
            }
        }
    }
}
