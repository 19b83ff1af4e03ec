using Monitoring.Testing;
using static System.FormattableString;

namespace Monitoring.ServiceHarness.Tests;

[Collection(Collections.InfluxDb1)]
public sealed class InfluxDb1Tests(InfluxDb1Fixture influx)
{
    // 2025-01-15T10:00:00Z and the two following quarter hours, in seconds.
    private const long T0 = 1_736_935_200;
    private static readonly DateTimeOffset Time0 = new(2025, 1, 15, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Line_protocol_written_over_v1_write_reads_back_with_InfluxQL()
    {
        using var timeout = TestTimeouts.Start();
        var ct = timeout.Token;
        Assert.True(await influx.Client.PingAsync(ct));

        var db = InfluxDb1Fixture.UniqueDatabaseName("harness");
        await influx.Client.CreateDatabaseAsync(db, ct);

        var lines = string.Join('\n',
            Invariant($"meter,site=s1,meter=m1 energy_import_kwh=1000.5,power_kw=10.5 {T0}"),
            Invariant($"meter,site=s1,meter=m1 energy_import_kwh=1003.25,power_kw=11 {T0 + 900}"),
            Invariant($"meter,site=s1,meter=m1 energy_import_kwh=1006.75,power_kw=14 {T0 + 1800}"),
            Invariant($"meter,site=s1,meter=m2 energy_import_kwh=50,power_kw=2.5 {T0 + 900}"));
        await influx.Client.WriteAsync(db, lines, "s", ct);

        var last = Assert.Single(await influx.Client.QueryAsync(
            db, "SELECT last(\"energy_import_kwh\") FROM \"meter\" WHERE \"meter\" = 'm1'", ct));
        Assert.Equal("meter", last.Name);
        Assert.Equal(["time", "last"], last.Columns);
        Assert.Single(last.Values);
        Assert.Equal(1006.75, last.GetDouble(0, "last"));
        Assert.Equal((T0 + 1800) * 1_000_000_000, last.GetEpochNanoseconds(0));
        Assert.Equal(Time0.AddMinutes(30), last.GetTime(0));

        var sums = await influx.Client.QueryAsync(
            db, Invariant($"SELECT sum(\"power_kw\"), count(\"power_kw\") FROM \"meter\" WHERE time >= {T0}s AND time < {T0 + 3600}s GROUP BY \"meter\""), ct);
        Assert.Equal(2, sums.Count);
        var m1 = Assert.Single(sums, s => s.Tags["meter"] == "m1");
        Assert.Equal(35.5, m1.GetDouble(0, "sum"));
        Assert.Equal(3, m1.GetInt64(0, "count"));
        Assert.Equal(T0 * 1_000_000_000, m1.GetEpochNanoseconds(0)); // aggregates carry the range start
        var m2 = Assert.Single(sums, s => s.Tags["meter"] == "m2");
        Assert.Equal(2.5, m2.GetDouble(0, "sum"));
        Assert.Equal(1, m2.GetInt64(0, "count"));

        var raw = Assert.Single(await influx.Client.QueryAsync(
            db, "SELECT \"energy_import_kwh\" FROM \"meter\" WHERE \"meter\" = 'm1' ORDER BY time ASC", ct));
        Assert.Equal([1000.5, 1003.25, 1006.75], Enumerable.Range(0, raw.Values.Count).Select(i => raw.GetDouble(i, "energy_import_kwh")));
        Assert.Equal(
            [Time0, Time0.AddMinutes(15), Time0.AddMinutes(30)],
            Enumerable.Range(0, raw.Values.Count).Select(raw.GetTime));

        var increase = Assert.Single(await influx.Client.QueryAsync(
            db, "SELECT spread(\"energy_import_kwh\") FROM \"meter\" WHERE \"meter\" = 'm1'", ct));
        Assert.Equal(6.25, increase.GetDouble(0, "spread"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => influx.Client.QueryAsync(db, "SELEKT nonsense", ct));

        await influx.Client.DropDatabaseAsync(db, ct);
    }
}
