using System.Text.Json;
using Monitoring.Ingestion;
using Monitoring.Server.Security;

namespace Monitoring.Server.Hosting;

/// <summary>Operations endpoints: <c>/health</c> (+ <c>/health/live</c>, <c>/health/ready</c>) and the quarantine.</summary>
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
        app.MapGet("/api/v1/quarantine", (HttpContext context, IngestPipeline pipeline, TokenStore tokens, int? limit) =>
        {
            var entry = tokens.Find(WriteEndpoints.ReadToken(context.Request, v1: false));
            if (entry is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "a valid token is required");
            }

            if (!entry.MayRead)
            {
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: $"token '{entry.Name}' ({entry.Role}) may not read");
            }

            var quarantine = pipeline.Quarantine;
            var lines = quarantine.Recent()
                .Where(line => entry.SiteScope is null || entry.SiteScope.Any(site => line.Text.Contains($"site={site}", StringComparison.Ordinal)))
                .TakeLast(Math.Clamp(limit ?? 100, 1, 1000))
                .ToList();
            return Results.Json(new
            {
                total = quarantine.Total,
                by_reason = Enum.GetValues<RejectionReason>().Where(r => quarantine.Count(r) > 0).ToDictionary(r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()), quarantine.Count),
                file = quarantine.FilePath,
                lines,
            });
        });
    }
}
