namespace Monitoring.Server.Hosting;

/// <summary>
/// Operations endpoints: <c>/health/live</c> and <c>/health/ready</c> (the detailed report, 200 when ready, 503 when
/// not). <c>/health</c> is InfluxDB's shape (InfluxCompatibilityEndpoints); the quarantine is in the API (ApiEndpoints).
/// </summary>
internal static class IngestionEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", (HealthReporter health) =>
        {
            var report = health.Report();
            return Results.Json(report, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
