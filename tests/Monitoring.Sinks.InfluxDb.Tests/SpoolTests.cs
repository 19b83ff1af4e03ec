using static Monitoring.Sinks.InfluxDb.Tests.TestPlant;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>The spool is bounded: when the database stays away too long the oldest batches go first, counted.</summary>
public sealed class SpoolTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_full_spool_drops_the_oldest_batches_and_reports_the_loss()
    {
        var plant = new TestPlant();
        var options = V1Options(new Uri("http://127.0.0.1:9/"), "unused", _temp.Sub("spool")) with { SpoolMaxBytes = 16 << 10, BatchLines = 10 };
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(plant.Topology), spool);
        await using var writer = new InfluxV1Writer(options);
        await using var forwarder = new SinkForwarder(spool, writer, options);

        for (var q = 0; q < 500; q++)
        {
            outbox.Write(plant.EnergyQuarter(q, q));
            if (q % 10 == 9)
            {
                await outbox.FlushAsync();
            }
        }

        var status = forwarder.Status;
        Assert.True(status.SpoolDropped > 0);
        Assert.True(spool.Statistics.Bytes <= options.SpoolMaxBytes);
        Assert.Equal(50, status.PendingRecords + status.SpoolDropped);
        var newest = SpooledLines(spool)[^1];
        Assert.Equal("499", Fields(newest)["consumption"]);
    }
}
