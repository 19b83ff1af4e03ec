using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Monitoring.Ingestion;
using Monitoring.Server.Hosting.Authentication;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>Hangfire inside <c>monitoring serve</c>: storage chosen by <c>Jobs:Storage</c>, the job server, the recurring jobs and the dashboard.</summary>
internal static class JobsSetup
{
    public static void AddMonitoringJobs(IServiceCollection services, string dataDirectory)
    {
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<JobsOptions>>().Value);
        var kpi = Path.Combine(dataDirectory, "kpi");
        services.AddSingleton(_ => new DailyArchive(kpi));
        services.AddSingleton(_ => new BaselineBook(Path.Combine(kpi, "baselines")));
        services.AddSingleton(_ => new AlertBook(kpi));
        services.AddSingleton<ServerSiteDays>();
        services.AddSingleton<DataQualityScanner>();
        services.AddSingleton(sp => new KpiSeriesWriter(sp.GetRequiredService<IngestPipeline>(), sp.GetService<SinkForwarder>() is not null));
        services.AddTransient<MonitoringJobs>();

        // The storage is this host's own (not Hangfire's static JobStorage.Current), so several servers can share a process (tests).
        services.AddSingleton<JobStorage>(sp => CreateStorage(sp.GetRequiredService<JobsOptions>()));
        services.AddHangfire((sp, configuration) => configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>())));
        services.AddHangfireServer((sp, server) =>
        {
            var options = sp.GetRequiredService<JobsOptions>();
            server.WorkerCount = options.WorkerCount;
            server.SchedulePollingInterval = options.PollInterval;
            server.ServerName = "monitoring-" + Environment.MachineName + "-" + Environment.ProcessId;
            // This host's services, not Hangfire's static activator (which the last host started in the process would own).
            server.Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
        });
        services.AddHostedService<RecurringJobsRegistrar>();
    }

    /// <summary><c>/hangfire</c>: admin tokens only (plus anonymous loopback requests when <c>Jobs:DashboardAnonymousFromLoopback</c>).</summary>
    public static void MapDashboard(WebApplication app)
    {
        var options = app.Services.GetRequiredService<JobsOptions>();
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            AsyncAuthorization = [new AdminDashboardFilter(options.DashboardAnonymousFromLoopback)],
            DashboardTitle = "monitoring jobs",
            DisplayStorageConnectionString = false,
        });
    }

    private static JobStorage CreateStorage(JobsOptions options)
    {
        if (options.Storage == "inmemory")
        {
            return new InMemoryStorage(new InMemoryStorageOptions());
        }

        var storageOptions = new PostgreSqlStorageOptions { SchemaName = options.Schema, PrepareSchemaIfNecessary = true, QueuePollInterval = options.PollInterval };
        var connectionString = Environment.GetEnvironmentVariable(options.ConnectionStringVariable)
            ?? throw new InvalidOperationException($"the environment variable {options.ConnectionStringVariable} is not set");
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);
    }

    /// <summary>Registers (or updates) the recurring jobs at start; Hangfire keeps their schedule in its storage.</summary>
    private sealed class RecurringJobsRegistrar(IRecurringJobManager recurring, JobsOptions options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var zone = new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone) };
            recurring.AddOrUpdate<MonitoringJobs>(MonitoringJobs.DailyFinalisation, j => j.FinaliseDaysAsync(CancellationToken.None), options.DailyFinalisationCron, zone);
            recurring.AddOrUpdate<MonitoringJobs>(MonitoringJobs.BaselineRefit, j => j.RefitBaselinesAsync(CancellationToken.None), options.BaselineRefitCron, zone);
            recurring.AddOrUpdate<MonitoringJobs>(MonitoringJobs.MonthlyFinalisation, j => j.FinaliseMonthAsync(null, CancellationToken.None), options.MonthlyFinalisationCron, zone);
            recurring.AddOrUpdate<MonitoringJobs>(MonitoringJobs.ProgrammeReports, j => j.WriteProgrammeReportsAsync(null, CancellationToken.None), options.ProgrammeReportCron, zone);
            recurring.AddOrUpdate<MonitoringJobs>(MonitoringJobs.DataQuality, j => j.ScanDataQualityAsync(null, null, CancellationToken.None), options.DataQualityCron, zone);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The dashboard's gate: the request's token must be an admin's (Hangfire answers 401 without a user, 403 with one).</summary>
    private sealed class AdminDashboardFilter(bool anonymousFromLoopback) : IDashboardAsyncAuthorizationFilter
    {
        public async Task<bool> AuthorizeAsync(DashboardContext context)
        {
            var http = context.GetHttpContext();
            if (anonymousFromLoopback && http.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address)
                && http.Request.Headers.Authorization.Count == 0)
            {
                return true;
            }

            var result = await http.AuthenticateAsync(TokenAuthentication.Scheme).ConfigureAwait(false);
            if (result.Succeeded)
            {
                http.User = result.Principal;
            }

            return result.Succeeded && result.Principal.IsInRole(TokenAuthentication.AdminRole);
        }
    }
}
