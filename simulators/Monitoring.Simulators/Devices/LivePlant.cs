using Monitoring.Simulators.Model;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Devices;

/// <summary>
/// The model shared by every live device: each read advances it to the virtual clock's "now" (time only moves
/// forward) and takes that instant's values. Thread-safe.
/// </summary>
public sealed class LivePlant
{
    private readonly Lock _lock = new();
    private readonly PlantModel _model;
    private readonly ReadingSource _source;

    public LivePlant(Scenario scenario, VirtualClock clock, IReadOnlySet<string>? disabledProjects = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(clock);
        Scenario = scenario;
        Clock = clock;
        _model = new PlantModel(scenario, disabledProjects);
        _source = new ReadingSource(_model, disabledProjects);
        _model.AdvanceTo(clock.Start);
        clock.Restart(); // the run-up from the scenario start took real time: virtual time starts now
    }

    public Scenario Scenario { get; }

    public VirtualClock Clock { get; }

    /// <summary>How the device of <paramref name="meter"/> answers now.</summary>
    public DeviceAnswer Answer(int meter)
    {
        lock (_lock)
        {
            return _source.Answer(meter, Now());
        }
    }

    /// <summary>The device's values now (see <see cref="ReadingSource.Values"/>) and how it answers.</summary>
    public (DeviceAnswer Answer, DateTimeOffset Time) Read(int meter, Span<double> values)
    {
        lock (_lock)
        {
            var t = Now();
            _source.Values(meter, t, values);
            return (_source.Answer(meter, t), t);
        }
    }

    private DateTimeOffset Now()
    {
        var t = Clock.GetUtcNow();
        if (t < _model.StepStart)
        {
            t = _model.StepStart;
        }

        _model.AdvanceTo(t);
        return t;
    }
}
