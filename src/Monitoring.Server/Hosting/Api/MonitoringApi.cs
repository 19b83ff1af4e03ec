using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Monitoring.Server.Hosting.Authentication;
using Monitoring.Server.Hosting.Jobs;
using Scalar.AspNetCore;

namespace Monitoring.Server.Hosting.Api;

/// <summary>
/// The HTTP API, its authentication and the scheduled jobs, wired into <c>monitoring serve</c> by two calls:
/// <see cref="AddMonitoringApi"/> on the builder's services and <see cref="MapMonitoringApi"/> on the built app.
/// </summary>
internal static class MonitoringApi
{
    private const string TokenScheme = "token";

    public static void AddMonitoringApi(this IServiceCollection services, string dataDirectory)
    {
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "monitoring API";
            document.Info.Description = "Industrial energy and water monitoring: sites, intervals, KPIs, baselines, savings, programmes, reports, alerts. "
                + "Authorization: Bearer <token> (a reader, programme officer or admin token; see docs/api.md).";
            // Declared, so that generated clients send the token and the interactive UI offers to enter it.
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[TokenScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A token created with `monitoring token create` (reader, officer or admin; writer tokens are for the write API only).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(TokenScheme, document)] = [] });
            return Task.CompletedTask;
        }));
        TokenAuthentication.AddTokenAuthentication(services);
        JobsSetup.AddMonitoringJobs(services, dataDirectory);
    }

    public static void MapMonitoringApi(this WebApplication app)
    {
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/scalar", options => options.WithTitle("monitoring API"));
        ApiEndpoints.Map(app);
        JobsSetup.MapDashboard(app);
    }
}
