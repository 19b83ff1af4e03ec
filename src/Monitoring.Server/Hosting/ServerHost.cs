using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.Server.Hosting.Api;
using Monitoring.Server.Hosting.Jobs;
using Monitoring.Server.Security;
using Monitoring.Sinks.InfluxDb;
using Monitoring.Storage;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Monitoring.Server.Hosting;

/// <summary>The <c>serve</c> command's arguments (contract: DESIGN §3, issue "Ingestion service").</summary>
internal sealed record ServeArguments(string Registry, string Urls, string DataDirectory, string TokensFile)
{
    /// <summary>Extra configuration (tests), applied after appsettings.json and the environment.</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    /// <summary>The server's clock (tests run it at the simulated plants' time).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// <c>monitoring serve</c> as an object: loads the registry, opens the write-ahead log and replays it, starts the
/// InfluxDB forwarder, then Kestrel (write API, health, metrics) and the embedded MQTT broker. Disposing it stops
/// intake first, then applies and checkpoints what was stored, then stops the sink.
/// </summary>
internal sealed partial class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IngestPipeline _pipeline;
    private readonly SinkForwarder? _forwarder;
    private readonly DiskBuffer? _spool;
    private readonly Quarantine _quarantine;
    private readonly SinkMetrics? _sinkMetrics;
    private bool _stopped;

    private ServerHost(WebApplication app, IngestPipeline pipeline, SinkForwarder? forwarder, DiskBuffer? spool, Quarantine quarantine, SinkMetrics? sinkMetrics)
    {
        _sinkMetrics = sinkMetrics;
        _app = app;
        _pipeline = pipeline;
        _forwarder = forwarder;
        _spool = spool;
        _quarantine = quarantine;
    }

    public IngestPipeline Pipeline => _pipeline;

    public IServiceProvider Services => _app.Services;

    /// <summary>The first address Kestrel listens on (port resolved when 0 was asked).</summary>
    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public int MqttPort => _app.Services.GetRequiredService<EmbeddedBroker>().Port;

    /// <summary>Starts everything; <see cref="RegistryException"/> when the registry does not load.</summary>
    public static async Task<ServerHost> StartAsync(ServeArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var (registry, atStart, reloadTo) = ChooseRegistry(arguments, TimeProvider.System);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.AddEnvironmentVariables("MONITORING_");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = arguments.Urls,
            ["Ingestion:DataDirectory"] = arguments.DataDirectory,
        });
        builder.Configuration.AddInMemoryCollection(arguments.Overrides);
        builder.WebHost.UseKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue<long?>("Http:MaxBodyBytes") ?? 25_000_000);
        // TLS from configuration (Kestrel:Endpoints:Https:Url and :Certificate:Path/KeyPath): the slim builder leaves it out.
        builder.WebHost.UseKestrelHttpsConfiguration();

        var ingestion = builder.Configuration.GetSection("Ingestion").Get<IngestPipelineOptions>() ?? new IngestPipelineOptions();
        ingestion.DataDirectory = arguments.DataDirectory;
        ingestion.Validate();
        var influx = (builder.Configuration.GetSection(InfluxConfiguration.Section).Get<InfluxConfiguration>() ?? new InfluxConfiguration())
            .ToOptions(arguments.DataDirectory);
        var tokens = TokenStore.Load(arguments.TokensFile);

        var catalog = SeriesCatalog.Create(registry);
        // One roll-up graph for the pipeline and the store: corrections are merged into stored records by node.
        var topology = RollupTopology.Create(catalog);
        var store = new LatestIntervalStore(topology, (influx?.StoreOptions() ?? new LatestIntervalStoreOptions()) with { KeepHoursLikeDays = DashboardSeries.NeedsLongHours });
        DiskBuffer? spool = null;
        SinkMetrics? sinkMetrics = null;
        InfluxOutbox? outbox = null;
        SinkForwarder? forwarder = null;
        if (influx is not null)
        {
            spool = DiskBuffer.Open(influx.SpoolOptions(), out _);
            sinkMetrics = new SinkMetrics(spool);
            outbox = new InfluxOutbox(influx, store, spool, sinkMetrics, arguments.Clock);
        }

        var quarantine = new Quarantine(Path.Combine(arguments.DataDirectory, "quarantine"));

        // Started after Build (it logs through the host's loggers), resolved only once the host runs.
        IngestPipeline? pipeline = null;
        builder.Logging.AddConsole();
        builder.Services.AddSingleton(arguments.Clock);
        // The registry in force is the pipeline's (a reload replaces it): resolved per request or job, never kept.
        builder.Services.AddTransient(sp => sp.GetRequiredService<IngestPipeline>().Catalog.Registry);
        builder.Services.AddTransient(sp => sp.GetRequiredService<IngestPipeline>().Catalog);
        builder.Services.AddSingleton(arguments);
        builder.Services.AddSingleton(atStart);
        builder.Services.AddOptions<RegistryReloadOptions>().BindConfiguration(RegistryReloadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RegistryReloader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RegistryReloader>());
        if (outbox is not null)
        {
            builder.Services.AddSingleton(outbox);
        }

        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(_ => pipeline ?? throw new InvalidOperationException("the ingest pipeline is not started"));
        builder.Services.AddSingleton(tokens);
        var agents = new EdgeStatusBoard();
        builder.Services.AddSingleton(agents);
        builder.Services.AddMonitoringApi(arguments.DataDirectory);
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<WriteProcessor>();
        builder.Services.AddOptions<HttpIntakeOptions>().BindConfiguration(HttpIntakeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MqttIntakeOptions>().BindConfiguration(MqttIntakeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EmbeddedBroker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        builder.Services.AddSingleton<ExternalBrokerIntake>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExternalBrokerIntake>());
        builder.Services.AddSingleton(sp => new HealthReporter(sp.GetRequiredService<IngestPipeline>(), sp.GetRequiredService<EmbeddedBroker>(), sp.GetRequiredService<ExternalBrokerIntake>(),
            sp.GetRequiredService<IOptions<MqttIntakeOptions>>().Value, sp.GetService<SinkForwarder>(), sp.GetRequiredService<RegistryReloader>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("monitoring"))
            .WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName, "Monitoring.Sinks", "System.Runtime")
            .AddPrometheusExporter());
        if (spool is not null && influx is not null)
        {
            builder.Services.AddSingleton(sp => new SinkForwarder(spool, InfluxWriterFactory.Create(influx), influx, sinkMetrics,
                sp.GetRequiredService<ILogger<SinkForwarder>>(), sp.GetRequiredService<TimeProvider>()));
        }

        var app = builder.Build();
        pipeline = await IngestPipeline.StartAsync(topology, new PipelineOutput(store, outbox, influx?.WriteRawReadings == true, agents), quarantine, ingestion,
            app.Services.GetRequiredService<ILogger<IngestPipeline>>(), arguments.Clock, cancellationToken).ConfigureAwait(false);
        if (reloadTo is not null)
        {
            // The folder changed while serve was stopped: the change is applied as a reload, before any write comes in.
            await pipeline.ReloadAsync(RollupTopology.Create(SeriesCatalog.Create(reloadTo)), cancellationToken).ConfigureAwait(false);
        }

        if (atStart.Refused is null && atStart.Fingerprint != atStart.AppliedFingerprint)
        {
            new AppliedRegistry(arguments.DataDirectory).Keep(arguments.Registry);
        }

        WriteEndpoints.Map(app);
        IngestionEndpoints.Map(app);
        InfluxCompatibilityEndpoints.Map(app);
        app.MapMonitoringApi();
        app.MapPrometheusScrapingEndpoint("/metrics");

        try
        {
            forwarder = app.Services.GetService<SinkForwarder>();
            forwarder?.Start();
            _ = app.Services.GetRequiredService<ServerMetrics>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await pipeline.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var host = new ServerHost(app, pipeline, forwarder, spool, quarantine, sinkMetrics);
        host.StopWhenALoopGivesUp();
        return host;
    }

    /// <summary>
    /// The registry to start under: the folder's; or, when the folder is not valid, the copy of the registry in force
    /// at the last stop (the folder's errors then stand as a refused reload); or, when the folder changed meanwhile,
    /// that copy first and the folder's as a reload right after (<paramref name="arguments"/>'s folder is then returned
    /// as the registry to reload to). <see cref="RegistryException"/> when neither loads.
    /// </summary>
    private static (SiteRegistry Registry, RegistryAtStart AtStart, SiteRegistry? ReloadTo) ChooseRegistry(ServeArguments arguments, TimeProvider time)
    {
        // Taken before the load: a change made meanwhile is seen as one by the reloader.
        var fingerprint = Directory.Exists(arguments.Registry) ? RegistryFingerprint.Of(arguments.Registry).Value : "";
        var load = SiteRegistryLoader.LoadDirectory(arguments.Registry);
        var applied = new AppliedRegistry(arguments.DataDirectory);
        var copy = applied.Exists ? SiteRegistryLoader.LoadDirectory(applied.Path) : null;
        var copyFingerprint = copy?.Registry is not null ? RegistryFingerprint.Of(applied.Path).Value : null;
        if (load.Registry is null)
        {
            var errors = load.Errors.Select(e => e.ToString()).ToList();
            if (copy?.Registry is null)
            {
                throw new RegistryException(arguments.Registry, errors);
            }

            return (copy.Registry, new RegistryAtStart(copyFingerprint!, fingerprint, copyFingerprint, new RegistryRefusal(time.GetUtcNow(), fingerprint, errors)), null);
        }

        if (copy?.Registry is not null && copyFingerprint != fingerprint)
        {
            return (copy.Registry, new RegistryAtStart(fingerprint, fingerprint, copyFingerprint, null), load.Registry);
        }

        return (load.Registry, new RegistryAtStart(fingerprint, fingerprint, copyFingerprint, null), null);
    }

    /// <summary>Why the server stopped by itself (a loop gave up), or null: <c>serve</c> then exits non-zero.</summary>
    public string? Fatal { get; private set; }

    /// <summary>A loop that cannot make progress stops the process, so that its supervisor (systemd, compose) restarts it.</summary>
    private void StopWhenALoopGivesUp()
    {
        var never = new TaskCompletionSource<string>().Task;
        _ = Task.WhenAny(_pipeline.Dead, _forwarder?.Dead ?? never).Unwrap().ContinueWith(
            dead =>
            {
                Fatal = dead.Result;
                var logger = _app.Services.GetRequiredService<ILogger<ServerHost>>();
                LogFatal(logger, Fatal);
                _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Stopping: {Reason}")]
    private static partial void LogFatal(ILogger logger, string reason);

    /// <summary>Stops intake, checkpoints, then stops the sink: everything acknowledged is either in InfluxDB or in the spool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync().ConfigureAwait(false);
        await _pipeline.DisposeAsync().ConfigureAwait(false);
        await _quarantine.DisposeAsync().ConfigureAwait(false);
        if (_forwarder is not null)
        {
            await _forwarder.DisposeAsync().ConfigureAwait(false);
        }

        if (_spool is not null)
        {
            await _spool.DisposeAsync().ConfigureAwait(false);
        }

        _sinkMetrics?.Dispose();

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);
}

/// <summary>What <c>serve</c> started under.</summary>
/// <param name="Fingerprint">The registry in force once started.</param>
/// <param name="FolderFingerprint">The registry folder's content at start.</param>
/// <param name="AppliedFingerprint">The copy's in the data folder at start (null: none).</param>
/// <param name="Refused">The folder's errors when it was not valid and the copy was started under.</param>
internal sealed record RegistryAtStart(string Fingerprint, string FolderFingerprint, string? AppliedFingerprint, RegistryRefusal? Refused);

/// <summary>The registry given to <c>serve</c> does not load: every error, as <c>config check</c> prints them.</summary>
internal sealed class RegistryException(string directory, IReadOnlyList<string> errors)
    : Exception($"registry {directory}: {errors.Count} error(s)")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
