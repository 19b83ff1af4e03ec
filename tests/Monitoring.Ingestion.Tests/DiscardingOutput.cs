using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;

namespace Monitoring.Ingestion.Tests;

/// <summary>A pipeline output that keeps nothing (the pipeline's own figures are what a test reads); override what a test records.</summary>
internal class DiscardingOutput : IPipelineOutput
{
    public bool WantsReadings => false;

    public virtual void Write(in ClosedInterval interval)
    {
    }

    public void Write(in RollupInterval interval)
    {
    }

    public void Write(in IntensityInterval intensity)
    {
    }

    public void WriteReading(SeriesInfo series, long timestampMs, double value)
    {
    }

    public void WritePassthrough(ReadOnlySpan<byte> line)
    {
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void SaveState(Stream destination)
    {
    }

    public void LoadState(Stream source)
    {
    }

    public void Rebind(RollupTopology topology)
    {
    }
}
