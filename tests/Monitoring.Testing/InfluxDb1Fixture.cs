namespace Monitoring.Testing;

/// <summary>The InfluxDB 1.x server ./test.sh starts (<c>MONITORING_TEST_INFLUXDB1=http://127.0.0.1:PORT</c>).</summary>
public sealed class InfluxDb1Fixture : IDisposable
{
    public InfluxDb1Fixture()
    {
        BaseAddress = ServiceEnvironment.RequireHttpUri(ServiceEnvironment.InfluxDb1Variable, "InfluxDB 1.x (influxd)");
        Client = new InfluxDb1Client(BaseAddress);
    }

    public Uri BaseAddress { get; }

    public InfluxDb1Client Client { get; }

    /// <summary>A database name no other test uses: <c>prefix_</c> + 12 hex digits.</summary>
    public static string UniqueDatabaseName(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => Client.Dispose();
}
