using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;
using Monitoring.Testing;
using static System.FormattableString;

namespace Monitoring.ServiceHarness.Tests;

[Collection(Collections.VictoriaMetrics)]
public sealed class VictoriaMetricsTests(VictoriaMetricsFixture vm)
{
    [Fact]
    public async Task Points_written_with_the_InfluxDB_v2_write_API_are_exported_with_names_labels_values_and_times()
    {
        using var timeout = TestTimeouts.Start();
        var ct = timeout.Token;
        var run = Guid.NewGuid().ToString("N")[..12];
        // Recent whole seconds, well inside any retention period.
        var t0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600);
        var writeApi = vm.InfluxClient.GetWriteApiAsync();

        // Second precision, through PointData.
        PointData[] points =
        [
            PointData.Measurement("meter").Tag("site", "s1").Tag("meter", "m1").Tag("run", run)
                .Field("energy_import_kwh", 1000.5).Field("power_kw", 10.5)
                .Timestamp(t0, WritePrecision.S),
            PointData.Measurement("meter").Tag("site", "s1").Tag("meter", "m1").Tag("run", run)
                .Field("energy_import_kwh", 1003.25).Field("power_kw", 11.0)
                .Timestamp(t0.AddMinutes(15), WritePrecision.S),
        ];
        await writeApi.WritePointsAsync(points, VictoriaMetricsFixture.Bucket, VictoriaMetricsFixture.Organization, ct);

        // Nanosecond precision, as raw line protocol (VictoriaMetrics keeps milliseconds).
        var t2Ns = (t0.ToUnixTimeMilliseconds() + 1_800_000 + 123) * 1_000_000 + 456_789;
        await writeApi.WriteRecordsAsync(
            [
                Invariant($"meter,site=s1,meter=m1,run={run} energy_import_kwh=1006.75,power_kw=14 {t2Ns}"),
                Invariant($"meter,site=s1,meter=m2,run={run} energy_import_kwh=50 {t2Ns}"),
            ],
            WritePrecision.Ns,
            VictoriaMetricsFixture.Bucket,
            VictoriaMetricsFixture.Organization,
            ct);

        await vm.ForceFlushAsync(ct);
        var exported = await ExportWhenPresentAsync($"{{__name__=\"meter_energy_import_kwh\",run=\"{run}\"}}", 2, ct);

        Assert.Equal(2, exported.Count);
        var m1 = exported[0];
        Assert.Equal("meter_energy_import_kwh", m1.MetricName);
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["__name__"] = "meter_energy_import_kwh", ["meter"] = "m1", ["run"] = run, ["site"] = "s1",
            },
            m1.Labels);
        Assert.Equal([1000.5, 1003.25, 1006.75], m1.Values);
        Assert.Equal(
            [t0.ToUnixTimeMilliseconds(), t0.ToUnixTimeMilliseconds() + 900_000, t0.ToUnixTimeMilliseconds() + 1_800_123],
            m1.TimestampsMs);
        Assert.Equal(t0, m1.Times[0]);

        var m2 = exported[1];
        Assert.Equal("m2", m2.Labels["meter"]);
        Assert.Equal([50.0], m2.Values);
        Assert.Equal([t0.ToUnixTimeMilliseconds() + 1_800_123], m2.TimestampsMs);

        var power = Assert.Single(await vm.ExportAsync($"{{__name__=\"meter_power_kw\",run=\"{run}\"}}", ct));
        Assert.Equal([10.5, 11.0, 14.0], power.Values);
    }

    // force_flush makes samples searchable; the per-series index may still take a moment on a busy machine.
    private async Task<IReadOnlyList<ExportedSeries>> ExportWhenPresentAsync(string selector, int series, CancellationToken ct)
    {
        while (true)
        {
            var exported = await vm.ExportAsync(selector, ct);
            if (exported.Count >= series && exported.Sum(s => s.Values.Count) >= 4)
            {
                return exported;
            }

            await Task.Delay(100, ct);
            await vm.ForceFlushAsync(ct);
        }
    }
}
