using System.Diagnostics.Metrics;
using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Storage;
using Monitoring.Testing;
using static Monitoring.Sinks.InfluxDb.Tests.TestPlant;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>Outbox → spool → forwarder → InfluxDB 1.x through <see cref="InfluxV1Writer"/>, read back with InfluxQL.</summary>
[Collection(Collections.InfluxDb1)]
public sealed class InfluxDb1Tests(InfluxDb1Fixture influx) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(15);

    private readonly TestPlant _plant = new();
    private readonly TempDirectory _temp = new();
    private readonly string _database = InfluxDb1Fixture.UniqueDatabaseName("sink");
    private readonly CancellationTokenSource _timeout = TestTimeouts.Start(TimeSpan.FromSeconds(20));

    public async Task InitializeAsync() => await influx.Client.CreateDatabaseAsync(_database, _timeout.Token);

    public async Task DisposeAsync() => await influx.Client.DropDatabaseAsync(_database, CancellationToken.None);

    public void Dispose()
    {
        _temp.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Intervals_rollups_and_intensities_arrive_with_corrections_merged()
    {
        var ct = _timeout.Token;
        var options = V1Options(influx.BaseAddress, _database, _temp.Sub("spool"));
        await using var spool = OpenSpool(options);
        using var metrics = new SinkMetrics(spool);
        long linesWrittenMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SinkMetrics.MeterName && instrument.Name == "monitoring.sinks.lines_written")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref linesWrittenMetric, value));
        listener.Start();
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool, metrics);
        await using var writer = new InfluxV1Writer(options);
        await using var forwarder = new SinkForwarder(spool, writer, options, metrics);
        forwarder.Start();

        for (var q = 0; q < 4; q++)
        {
            outbox.Write(_plant.EnergyQuarter(q, 60 + q, q == 2 ? IntervalQuality.Estimated : IntervalQuality.None));
        }

        outbox.Write(_plant.MainDay(1000, 750));
        outbox.Write(_plant.MainDay(200, 150, isCorrection: true));
        outbox.Write(new IntensityInterval
        {
            Definition = _plant.Line1PerPart, Resolution = IntervalResolution.Day, Start = T0, End = T0.AddDays(1),
            Consumption = 40, EnergyKwh = 40, Co2eKg = 24, Output = 80,
        });
        await outbox.FlushAsync(ct);
        await WaitDeliveredAsync(forwarder, ct);

        var quarters = Assert.Single(await influx.Client.QueryAsync(_database,
            "SELECT sum(\"consumption\"), max(\"demand\"), count(\"flags\") FROM \"interval_series\" WHERE \"meter\"='main' AND \"resolution\"='15m'", ct));
        Assert.Equal(246, quarters.GetDouble(0, "sum"));
        Assert.Equal(252, quarters.GetDouble(0, "max"));
        Assert.Equal(1, quarters.GetInt64(0, "count"));

        var day = Assert.Single(await influx.Client.QueryAsync(_database,
            "SELECT \"consumption\", \"reactive_kvarh\", \"pf\", \"inputs\" FROM \"interval_meter\" WHERE \"carrier\"='electricity' AND \"resolution\"='1d'", ct));
        Assert.Single(day.Values);   // the correction rewrote the point
        Assert.Equal(T0, day.GetTime(0));
        Assert.Equal((1200.0, 900.0, 0.8, 1L), (day.GetDouble(0, "consumption"), day.GetDouble(0, "reactive_kvarh"), day.GetDouble(0, "pf"), day.GetInt64(0, "inputs")));

        var intensity = Assert.Single(await influx.Client.QueryAsync(_database,
            "SELECT \"per_unit\", \"co2e_kg_per_unit\" FROM \"kpi_intensity\" WHERE \"counter\"='parts' AND \"level\"='line'", ct));
        Assert.Equal((0.5, 0.3), (intensity.GetDouble(0, "per_unit"), intensity.GetDouble(0, "co2e_kg_per_unit")));

        var status = forwarder.Status;
        Assert.Equal((true, true, 0L, 7L, 0L), (status.Connected, status.Healthy, status.PendingRecords, status.LinesWritten, status.BatchesRejected));
        Assert.Equal(7, Interlocked.Read(ref linesWrittenMetric));
    }

    [Fact]
    public async Task Batches_spooled_during_an_outage_all_arrive_exactly_once_when_the_server_is_back()
    {
        var ct = _timeout.Token;
        await using var proxy = new TcpProxy(influx.BaseAddress);
        proxy.Start();
        var options = V1Options(proxy.Url, _database, _temp.Sub("spool")) with { BatchLines = 25 };
        await using var spool = OpenSpool(options);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool);
        await using var writer = new InfluxV1Writer(options);
        await using var forwarder = new SinkForwarder(spool, writer, options);
        forwarder.Start();

        var quarter = 0;
        async Task ProduceAsync(int count)
        {
            for (var i = 0; i < count; i++, quarter++)
            {
                outbox.Write(_plant.EnergyQuarter(quarter, quarter));
            }

            await outbox.FlushAsync(ct);
        }

        await ProduceAsync(30);
        await WaitDeliveredAsync(forwarder, ct);

        await proxy.StopAsync();
        for (var batch = 0; batch < 5; batch++)
        {
            await ProduceAsync(40);
        }

        while (forwarder.Status.Failures == 0)
        {
            await Task.Delay(50, ct);
        }

        Assert.False(forwarder.Status.Connected);
        Assert.True(forwarder.Status.PendingRecords > 0);
        Assert.NotNull(forwarder.Status.LastError);

        proxy.Start();
        await WaitDeliveredAsync(forwarder, ct);

        Assert.Equal(230, await CountQuartersAsync(ct));
        Assert.Equal(quarter * (quarter - 1) / 2.0, await SumQuartersAsync(ct));
        Assert.True(forwarder.Status.Connected);
        Assert.Equal(0, forwarder.Status.BatchesRejected);
    }

    [Fact]
    public async Task Records_pending_when_the_forwarder_and_spool_are_disposed_arrive_after_they_are_reopened()
    {
        var ct = _timeout.Token;
        var down = new TcpProxy(influx.BaseAddress);
        down.Start();
        await down.StopAsync();   // a port where nothing listens
        var offline = V1Options(down.Url, _database, _temp.Sub("spool")) with { BatchLines = 10 };
        await using (var spool = OpenSpool(offline))
        {
            var outbox = new InfluxOutbox(offline, new LatestIntervalStore(_plant.Topology), spool);
            await using var writer = new InfluxV1Writer(offline);
            await using var forwarder = new SinkForwarder(spool, writer, offline);
            forwarder.Start();
            for (var q = 0; q < 95; q++)
            {
                outbox.Write(_plant.EnergyQuarter(q, 1));
            }

            await outbox.FlushAsync(ct);
            Assert.Equal(10, spool.Statistics.Records);
            await forwarder.StopAsync();
        }

        var online = offline with { Url = influx.BaseAddress };
        await using (var reopened = OpenSpool(online))
        {
            Assert.Equal(10, reopened.Statistics.Records);
            await using var writer = new InfluxV1Writer(online);
            await using var forwarder = new SinkForwarder(reopened, writer, online);
            forwarder.Start();
            await WaitDeliveredAsync(forwarder, ct);
            Assert.Equal(95, forwarder.Status.LinesWritten);
        }

        Assert.Equal(95, await CountQuartersAsync(ct));
    }

    [Fact]
    public async Task A_batch_the_server_refuses_is_kept_aside_and_does_not_block_the_next()
    {
        var ct = _timeout.Token;
        // One request per record: which lines share a request with the bad one is what this test fixes.
        var options = V1Options(influx.BaseAddress, _database, _temp.Sub("spool")) with { BatchLines = 1, MaxInFlight = 1 };
        await using var spool = OpenSpool(options);
        await spool.AppendAsync(RecordPriority.Counter, Encoding.UTF8.GetBytes("this is not line protocol\n"), ct);
        var outbox = new InfluxOutbox(options, new LatestIntervalStore(_plant.Topology), spool);
        outbox.Write(_plant.EnergyQuarter(0, 60));
        await outbox.FlushAsync(ct);
        await using var writer = new InfluxV1Writer(options);
        await using var forwarder = new SinkForwarder(spool, writer, options);
        forwarder.Start();

        await WaitDeliveredAsync(forwarder, ct);

        Assert.Equal(1, await CountQuartersAsync(ct));
        var status = forwarder.Status;
        Assert.Equal((1L, 1L, 1L), (status.BatchesRejected, status.LinesRejected, status.BatchesWritten));
        Assert.Contains("HTTP 400", status.LastError, StringComparison.Ordinal);
        var rejected = Assert.Single(Directory.GetFiles(Path.Combine(options.SpoolDirectory, "rejected")));
        var lines = await File.ReadAllLinesAsync(rejected, ct);
        Assert.StartsWith("# ", lines[0], StringComparison.Ordinal);
        Assert.Equal("this is not line protocol", lines[1]);
    }

    [Fact]
    public async Task Concurrent_requests_never_reorder_two_writes_of_one_point()
    {
        // 300 series, each point written three times (a record, then two corrections that rewrite it) in three spool
        // records: one window of four concurrent requests, split by series.
        var ct = _timeout.Token;
        var options = V1Options(influx.BaseAddress, _database, _temp.Sub("spool")) with { BatchLines = 250, MaxInFlight = 4 };
        await using var spool = OpenSpool(options);
        for (var version = 1; version <= 3; version++)
        {
            var lines = new StringBuilder();
            for (var series = 0; series < 300; series++)
            {
                lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"lanes,meter=m{series} value={version},series={series}i {T0Ms}\n");
            }

            await spool.AppendAsync(RecordPriority.Counter, Encoding.UTF8.GetBytes(lines.ToString()), ct);
        }

        await using var writer = new InfluxV1Writer(options);
        await using var forwarder = new SinkForwarder(spool, writer, options);
        forwarder.Start();
        await WaitDeliveredAsync(forwarder, ct);

        var status = forwarder.Status;
        Assert.Equal((4L, 900L, 0L), (status.BatchesWritten, status.LinesWritten, status.Failures));
        // Under a loaded machine InfluxDB 1.x can take a moment to show every new series of an acknowledged write to
        // queries; a reordered write would leave a wrong value for good, so wait for the series, then check values.
        List<(double Value, long Series)> points;
        using (var visible = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            visible.CancelAfter(DeliveryTimeout);
            while (true)
            {
                points = [.. (await influx.Client.QueryAsync(_database, "SELECT \"value\", \"series\" FROM \"lanes\" GROUP BY \"meter\"", ct))
                    .Select(s => (Value: s.Values.Single()[1].GetDouble(), Series: s.Values.Single()[2].GetInt64()))];
                if (points.Count >= 300)
                {
                    break;
                }

                await Task.Delay(100, visible.Token);
            }
        }

        Assert.Equal(300, points.Count);
        Assert.All(points, p => Assert.Equal(3.0, p.Value));
    }

    private static async Task WaitDeliveredAsync(SinkForwarder forwarder, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(DeliveryTimeout);
        while (forwarder.Status.PendingRecords > 0)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private async Task<long> CountQuartersAsync(CancellationToken ct) =>
        Assert.Single(await influx.Client.QueryAsync(_database, "SELECT count(\"consumption\") FROM \"interval_series\" WHERE \"resolution\"='15m'", ct))
            .GetInt64(0, "count");

    private async Task<double> SumQuartersAsync(CancellationToken ct) =>
        Assert.Single(await influx.Client.QueryAsync(_database, "SELECT sum(\"consumption\") FROM \"interval_series\" WHERE \"resolution\"='15m'", ct))
            .GetDouble(0, "sum");
}
