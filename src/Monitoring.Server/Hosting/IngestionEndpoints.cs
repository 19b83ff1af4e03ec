namespace Monitoring.Server.Hosting;

/// <summary>Operations endpoints: <c>/health</c> (+ <c>/health/live</c>, <c>/health/ready</c>). The quarantine is in the API (ApiEndpoints).</summary>
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
        app.MapGet("/health", (HealthReporter health) =>
        {
            var report = health.Report();
            return Results.Json(report, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
