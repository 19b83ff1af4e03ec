namespace Monitoring.Aggregation;

/// <summary>Writes every closed interval to several sinks in order (e.g. the series writer, then the roll-up engine).</summary>
public sealed class FanOutIntervalSink(params IIntervalSink[] sinks) : IIntervalSink
{
    private readonly IIntervalSink[] _sinks = sinks ?? throw new ArgumentNullException(nameof(sinks));

    public void Write(in ClosedInterval interval)
    {
        foreach (var sink in _sinks)
        {
            sink.Write(in interval);
        }
    }
}
