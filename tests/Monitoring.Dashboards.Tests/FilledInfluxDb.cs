using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>One InfluxDB 1.x database filled through <c>monitoring serve</c> by <see cref="DashboardDataFiller"/>, shared by the query tests and dropped after them.</summary>
public sealed class FilledInfluxDb : IAsyncLifetime, IDisposable
{
    private readonly InfluxDb1Fixture _influx = new();

    public string Database { get; } = InfluxDb1Fixture.UniqueDatabaseName("dashboards");

    public InfluxDb1Client Client => _influx.Client;

    internal FillSummary Summary { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        Summary = await DashboardDataFiller.FillAsync(_influx, Database, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Client.DropDatabaseAsync(Database, timeout.Token);
    }

    public void Dispose() => _influx.Dispose();
}
