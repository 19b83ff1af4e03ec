using Monitoring.Testing;
using static Monitoring.Sinks.InfluxDb.Tests.TestPlant;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>The v2 write path (InfluxDB.Client, <c>/api/v2/write</c>, gzip) for real, against VictoriaMetrics.</summary>
[Collection(Collections.VictoriaMetrics)]
public sealed class VictoriaMetricsTests(VictoriaMetricsFixture vm) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Batches_written_through_InfluxV2Writer_are_exported_with_their_tags_values_and_times()
    {
        using var timeout = TestTimeouts.Start(TimeSpan.FromSeconds(20));
        var ct = timeout.Token;
        // A site id of its own: VictoriaMetrics keeps what earlier runs wrote.
        var plant = new TestPlant(siteId: "vm-" + Guid.NewGuid().ToString("N")[..12]);
        var t0 = DateTimeOffset.FromUnixTimeSeconds((DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 900 * 900) - 86_400);
        var options = new InfluxSinkOptions
        {
            Kind = InfluxApiKind.V2,
            Url = vm.BaseAddress,
            Organization = VictoriaMetricsFixture.Organization,
            Bucket = VictoriaMetricsFixture.Bucket,
            Token = "victoria-metrics-ignores-the-token",
            SpoolDirectory = _temp.Sub("spool"),
            SpoolMaxBytes = 16L << 20,
            BatchLines = 2,
            Timeout = TimeSpan.FromSeconds(5),
        };
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(plant.Topology), spool);
        await using var writer = InfluxWriterFactory.Create(options);
        Assert.IsType<InfluxV2Writer>(writer);
        await using var forwarder = new SinkForwarder(spool, writer, options);
        forwarder.Start();

        for (var q = 0; q < 3; q++)
        {
            outbox.Write(plant.EnergyQuarter(0, 60.25 + q) with { Start = t0.AddMinutes(15 * q), End = t0.AddMinutes(15 * (q + 1)) });
        }

        outbox.Write(plant.MainDay(1000, 750) with { Start = t0, End = t0.AddDays(1) });
        await outbox.FlushAsync(ct);
        while (forwarder.Status.PendingRecords > 0)
        {
            await Task.Delay(20, ct);
        }

        Assert.Equal((4L, 0L), (forwarder.Status.LinesWritten, forwarder.Status.Failures));
        Assert.InRange(forwarder.Status.BatchesWritten, 1, 2); // two records in one window: up to two requests, split by series
        var quarters = await ExportAsync($"{{__name__=\"interval_series_consumption\",site=\"{plant.SiteId}\"}}", 3, ct);
        var series = Assert.Single(quarters);
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["__name__"] = "interval_series_consumption", ["field"] = "energy_import_kwh", ["meter"] = "main",
                ["resolution"] = "15m", ["site"] = plant.SiteId,
            },
            series.Labels);
        Assert.Equal([60.25, 61.25, 62.25], series.Values);
        Assert.Equal([t0, t0.AddMinutes(15), t0.AddMinutes(30)], series.Times);

        var pf = Assert.Single(await ExportAsync($"{{__name__=\"interval_meter_pf\",site=\"{plant.SiteId}\"}}", 1, ct));
        Assert.Equal(("1d", "false", "kWh"), (pf.Labels["resolution"], pf.Labels["virtual"], pf.Labels["unit"]));
        Assert.Equal([0.8], pf.Values);
        Assert.Equal([t0], pf.Times);
    }

    // force_flush makes samples searchable; the per-series index may still take a moment on a busy machine.
    private async Task<IReadOnlyList<ExportedSeries>> ExportAsync(string selector, int samples, CancellationToken ct)
    {
        while (true)
        {
            await vm.ForceFlushAsync(ct);
            var exported = await vm.ExportAsync(selector, ct);
            if (exported.Sum(s => s.Values.Count) >= samples)
            {
                return exported;
            }

            await Task.Delay(100, ct);
        }
    }
}
