using System.Diagnostics;
using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Reports;
using Monitoring.Server.Cli;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;
using Monitoring.Simulators.Scenarios;
using Monitoring.Sinks.InfluxDb;
using Spectre.Console;

namespace Monitoring.Server.Demo;

/// <summary>The demo's options (the <c>demo</c> verb's).</summary>
/// <param name="Duration">Real time of the live run; null: until Ctrl+C; zero: no live run.</param>
/// <param name="Start">Plant time at which the history ends and the live run starts; null: now.</param>
/// <param name="Port">HTTP port of the server on 127.0.0.1 (0: a free one).</param>
internal sealed record DemoOptions(string Registry, string OutputDirectory, TimeSpan? Duration, double Speed, Uri? Influx, bool LiveTable, DateTimeOffset? Start, int Port);

/// <summary>
/// <c>monitoring demo</c>: the whole product in one process on embedded defaults. <c>monitoring serve</c> starts in
/// process (write API, embedded MQTT broker, write-ahead log, aggregation, interval store; InfluxDB with
/// <c>--influx</c>); the plants' history since the programme's baseline year goes in through the write API; the KPI
/// engine fits baselines and measures savings; then the plants run live on an accelerated clock, read by their edge
/// agents over Modbus TCP and MQTT, while a table shows each site's day; at the end the programme report is written.
/// </summary>
internal sealed class DemoRunner
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly TimeSpan CollectEvery = TimeSpan.FromDays(7);

    private readonly DemoOptions _options;
    private readonly IAnsiConsole _console;
    private readonly TextWriter _error;
    private readonly SiteRegistry _registry;
    private readonly Programme _programme;
    private readonly IReadOnlyList<Scenario> _scenarios;
    private ServerHost _host = null!;
    private DayCollector _days = null!;
    private ProgrammeReport? _report;

    private DemoRunner(DemoOptions options, IAnsiConsole console, TextWriter error, SiteRegistry registry, Programme programme, IReadOnlyList<Scenario> scenarios)
    {
        _options = options;
        _console = console;
        _error = error;
        _registry = registry;
        _programme = programme;
        _scenarios = scenarios;
    }

    private bool Interactive => _console.Profile.Capabilities.Interactive;

    public static async Task<int> RunAsync(DemoOptions options, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var output = console.Profile.Out.Writer;
        if (MonitoringCommand.CheckRegistry(options.Registry, edgeDirectory: null, output, error) is var check && check != ExitCodes.Ok)
        {
            return check;
        }

        var registry = SiteRegistryLoader.LoadDirectory(options.Registry).Registry!;
        if (registry.Programmes.Count == 0 || PlantSimulation.LoadScenarios(options.Registry, error) is not { } scenarios)
        {
            error.WriteLine("demo: the registry needs a programme, and the simulated plants' scenarios must match it");
            return ExitCodes.InvalidConfiguration;
        }

        var data = Directory.CreateTempSubdirectory("monitoring-demo-").FullName;
        try
        {
            return await new DemoRunner(options, console, error, registry, registry.Programmes[0], scenarios).RunAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private async Task<int> RunAsync(string data, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var start = _options.Start ?? FloorQuarter(DateTimeOffset.UtcNow);
        var historyFrom = _scenarios.Max(s => s.LocalMidnight(new DateOnly(_programme.BaselineYear, 1, 1)) is var jan1 && jan1 > s.Epoch ? jan1 : s.Epoch);
        if (start <= historyFrom.AddDays(2))
        {
            _error.WriteLine($"demo: --start must be after {historyFrom:yyyy-MM-dd}, the programme's baseline year");
            return ExitCodes.Failure;
        }

        var tokens = CreateTokens(data);
        _host = await ServerHost.StartAsync(new ServeArguments(_options.Registry, $"http://127.0.0.1:{_options.Port.ToString(Invariant)}", data, Path.Combine(data, "tokens.json"))
        {
            Overrides = ServerSettings(),
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            _days = new DayCollector(_host.Services.GetRequiredService<LatestIntervalStore>(), _registry);
            using var http = new HttpClient { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            _console.MarkupLine(string.Create(Invariant,
                $"\n[bold]monitoring serve[/] in process: HTTP API {_host.BaseAddress} · MQTT {_host.MqttPort} · data {Markup.Escape(data)}{(_options.Influx is { } influx ? " · InfluxDB " + Markup.Escape(influx.ToString()) : string.Empty)}"));
            _console.MarkupLine(string.Create(Invariant, $"Reader token for the API: [bold]{tokens.Reader}[/]"));

            var history = await ImportHistoryAsync(http, tokens.History, historyFrom, start, cancellationToken).ConfigureAwait(false);
            await SettleAsync().ConfigureAwait(false);
            var truth = ProjectSavings.ReadTruth(history.GroundTruth.Values);
            var projects = Fit(truth, "history");

            if (_options.Duration is not { } duration || duration > TimeSpan.Zero)
            {
                await RunLiveAsync(start, tokens.Sites, data, cancellationToken).ConfigureAwait(false);
            }

            await SettleAsync().ConfigureAwait(false);
            projects = Fit(truth, "whole run");
            var written = await WriteOutputsAsync(projects, CancellationToken.None).ConfigureAwait(false);
            _console.MarkupLine(string.Create(Invariant, $"\nDemo done in {clock.Elapsed.TotalSeconds:0} s. Report: [bold]{Markup.Escape(written)}[/]"));
            return ExitCodes.Ok;
        }
        finally
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Settings of the in-process server: free MQTT port, logs on stderr, plant time allowed ahead of the wall clock.</summary>
    private Dictionary<string, string?> ServerSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
            // The live plants run on an accelerated clock that overtakes the wall clock.
            ["Ingestion:Aggregation:MaxFutureSkew"] = "3650.00:00:00",
        };
        if (_options.Influx is { } influx)
        {
            settings["Influx:Url"] = influx.ToString();
        }

        return settings;
    }

    /// <summary>
    /// The tokens file the server starts with: the history import's writer token (every site), a reader token for the
    /// API, and per site the edge agent's writer token (that site only), kept in a file as an agent keeps it.
    /// </summary>
    private (string History, string Reader, Dictionary<string, (string Name, string File)> Sites) CreateTokens(string data)
    {
        var file = Path.Combine(data, "tokens.json");
        var history = TokenStore.Create(file, "demo-history", TokenRole.Writer, [], TimeProvider.System);
        var reader = TokenStore.Create(file, "demo-reader", TokenRole.Reader, [], TimeProvider.System);
        var sites = new Dictionary<string, (string Name, string File)>(StringComparer.Ordinal);
        foreach (var scenario in _scenarios)
        {
            var name = "edge-" + scenario.Site.Id;
            var tokenFile = Path.Combine(data, name + ".token");
            File.WriteAllText(tokenFile, TokenStore.Create(file, name, TokenRole.Writer, [scenario.Site.Id], TimeProvider.System));
            sites[scenario.Site.Id] = (name, tokenFile);
        }

        return (history, reader, sites);
    }

    private async Task<HistoryResult> ImportHistoryAsync(HttpClient http, string token, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        _console.MarkupLine(string.Create(Invariant,
            $"\n[bold]History[/]: {from:yyyy-MM-dd} to {to:yyyy-MM-dd HH:mm} UTC, one reading per meter every {HistoryFeeder.Interval.TotalMinutes:0} min, through the write API"));
        var feeder = new HistoryFeeder(http, token);
        var total = (to - from).TotalDays;
        var collected = from;
        var reported = -1;
        async Task AfterWrite(DateTimeOffset until, Action<double> progress)
        {
            progress(Math.Min(100.0, 100.0 * (until - from).TotalDays / total));
            if (until - collected >= CollectEvery || until >= to)
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
                CollectComplete();
                collected = until;
            }
        }

        HistoryResult result;
        if (Interactive)
        {
            result = await _console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("Generating and ingesting");
                    return await feeder.RunAsync(_scenarios, from, to, until => AfterWrite(until, p => task.Value = p), cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            result = await feeder.RunAsync(_scenarios, from, to, until => AfterWrite(until, p =>
            {
                if ((int)(p / 10) > reported)
                {
                    reported = (int)(p / 10);
                    _console.WriteLine(string.Create(Invariant, $"  {reported * 10,3} %  {until:yyyy-MM-dd}"));
                }
            }), cancellationToken).ConfigureAwait(false);
        }

        var statistics = _host.Pipeline.Statistics;
        _console.MarkupLine(string.Create(Invariant,
            $"Imported {result.Lines:N0} lines ({result.Bytes / 1e6:N0} MB) in {result.Writes:N0} writes in {result.Elapsed.TotalSeconds:0.0} s ({result.Lines / Math.Max(0.001, result.Elapsed.TotalSeconds):N0} lines/s); {statistics.ReadingsApplied:N0} readings aggregated, {statistics.ReadingsRejected:N0} rejected, {result.PartialWrites} partial writes; {_days.SiteDays.Count:N0} site-days."));
        return result;
    }

    /// <summary>Waits until every write stored so far has been applied by the aggregation loop.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (_host.Pipeline.Statistics is { SubmitQueueDepth: > 0 } or { ApplyQueueDepth: > 0 })
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies everything stored, lets the roll-ups advance (one tick), then reads the complete days.</summary>
    private async Task SettleAsync()
    {
        await _host.Pipeline.CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        await Task.Delay(_host.Pipeline.Options.TickInterval * 1.5, CancellationToken.None).ConfigureAwait(false);
        CollectComplete();
    }

    /// <summary>Reads the days that are complete: ended at least an hour of plant time before the aggregation watermark.</summary>
    private void CollectComplete()
    {
        if (_host.Pipeline.Statistics.Watermark is { } watermark)
        {
            _days.Collect(watermark.AddHours(-1));
        }
    }

    /// <summary>Builds the programme report (site baselines and savings) and measures the projects' savings; prints both.</summary>
    private IReadOnlyList<ProjectSavingsRow> Fit(IReadOnlyDictionary<(string Project, DateOnly Date), double> truth, string what)
    {
        var siteDays = _days.SiteDays;
        if (siteDays.Count == 0)
        {
            return [];
        }

        var month = ReportMonth.Of(siteDays.Max(d => d.Date));
        try
        {
            _report = ProgrammeReportBuilder.Build(_registry, _programme, month, [.. siteDays.Select(d => d.ToReportDay())]);
        }
        catch (ReportDataException ex)
        {
            _error.WriteLine($"demo: no programme report: {ex.Message}");
            _report = null;
            return [];
        }

        var projects = ProjectSavings.Measure(_registry, _programme, _report.ReportingFrom, _days, truth);
        var table = new Table().Border(TableBorder.Simple).Title($"[bold]Baselines ({Markup.Escape(what)}): {_programme.BaselineYear}, savings {_report.ReportingFrom:yyyy-MM-dd} to {_report.ReportingTo.AddDays(-1):yyyy-MM-dd}[/]");
        table.AddColumns("Site / project", "Quantity", "Drivers", "R²", "CV(RMSE)", "Savings (90 %)", "True savings", "Δ");
        foreach (var s in _report.SiteSavings)
        {
            var (unit, scale) = ReportTables.Display(s.Quantity);
            table.AddRow(
                Markup.Escape(s.SiteId), s.Quantity.ToString(), Markup.Escape(string.Join(" + ", s.Baseline.Variables)),
                s.Baseline.RSquared.ToString("0.000", Invariant), s.Baseline.CvRmse.ToString("P1", Invariant),
                string.Create(Invariant, $"{s.TotalSavings * scale:N1} ± {(s.Uncertainty ?? double.NaN) * scale:N1} {unit}"), "-", "-");
        }

        foreach (var p in projects)
        {
            table.AddRow(
                Markup.Escape(p.Project.Id), p.Unit, Markup.Escape(string.Join(" + ", p.Drivers)), p.RSquared.ToString("0.000", Invariant), p.CvRmse.ToString("P1", Invariant),
                string.Create(Invariant, $"{p.Measured:N0} ± {p.Uncertainty ?? double.NaN:N0} {p.Unit}"),
                p.TrueSavings is { } t ? t.ToString("N0", Invariant) : "-",
                p.DifferencePercent is { } d ? d.ToString("+0.0;-0.0", Invariant) + " %" : "-");
        }

        _console.Write(table);
        return projects;
    }

    private async Task RunLiveAsync(DateTimeOffset start, IReadOnlyDictionary<string, (string Name, string File)> siteTokens, string data, CancellationToken cancellationToken)
    {
        _console.MarkupLine(string.Create(Invariant,
            $"\n[bold]Live[/]: the plants' devices and edge agents from {start:yyyy-MM-dd HH:mm} UTC at x{_options.Speed:0} ({(_options.Duration is { } d ? $"{d.TotalSeconds:0} s" : "Ctrl+C stops")}); running the models up to the start..."));
        await using var live = await LiveSites.StartAsync(_scenarios, start, _options.Speed,
            new LiveServer(_host.BaseAddress, _host.MqttPort, siteTokens), data, cancellationToken).ConfigureAwait(false);
        foreach (var site in live.Sites)
        {
            _console.MarkupLine(string.Create(Invariant,
                $"  {site.Scenario.Site.Id}: {site.Modbus.Endpoints.Sum(e => e.Meters.Count)} Modbus TCP devices on {site.Modbus.Endpoints.Count} ports, {site.Meters.MeterIds.Count()} MQTT meters; agent uplink {site.Agent.UplinkDescription}"));
        }

        var elapsed = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.Duration is { } duration)
        {
            stop.CancelAfter(duration);
        }

        var lastDays = _days.SiteDays.Count;
        LiveSnapshot Refresh()
        {
            CollectComplete();
            if (_days.SiteDays.Count != lastDays)
            {
                lastDays = _days.SiteDays.Count;
                RefitQuietly();
            }

            return Snapshot(live, elapsed.Elapsed);
        }

        if (_options.LiveTable && Interactive)
        {
            await _console.Live(LiveTable.Render(Snapshot(live, TimeSpan.Zero))).StartAsync(async context =>
            {
                while (await Tick(stop.Token).ConfigureAwait(false))
                {
                    context.UpdateTarget(LiveTable.Render(Refresh()));
                }
            }).ConfigureAwait(false);
        }
        else
        {
            var printed = TimeSpan.Zero;
            while (await Tick(stop.Token).ConfigureAwait(false))
            {
                var snapshot = Refresh();
                if (elapsed.Elapsed - printed >= TimeSpan.FromSeconds(10))
                {
                    printed = elapsed.Elapsed;
                    _console.WriteLine(LiveTable.Line(snapshot));
                }
            }
        }

        _console.WriteLine(LiveTable.Line(Snapshot(live, elapsed.Elapsed)));
        foreach (var site in live.Sites)
        {
            var sent = site.Agent.Forwarder.Statistics;
            _console.WriteLine(string.Create(Invariant,
                $"  agent of {site.Scenario.Site.Id}: {sent.RecordsSent:N0} records in {sent.BatchesSent:N0} batches over {site.Uplink}, {sent.Failures} failures, {sent.RecordsRejected} rejected, {site.Agent.Buffer.Statistics.Records} left in its buffer{(sent.LastError is { } e ? "; last error: " + e : string.Empty)}"));
        }

        _console.MarkupLine(string.Create(Invariant, $"Stopping the agents at plant time {live.Clock.GetUtcNow():yyyy-MM-dd HH:mm} UTC."));
    }

    private static async Task<bool> Tick(CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Rebuilds the report as days complete, so the savings column follows the live days.</summary>
    private void RefitQuietly()
    {
        try
        {
            var days = _days.SiteDays;
            _report = ProgrammeReportBuilder.Build(_registry, _programme, ReportMonth.Of(days.Max(d => d.Date)), [.. days.Select(d => d.ToReportDay())]);
        }
        catch (ReportDataException)
        {
            // Keep the previous report.
        }
    }

    private LiveSnapshot Snapshot(LiveSites live, TimeSpan elapsed)
    {
        var store = _host.Services.GetRequiredService<LatestIntervalStore>();
        var catalog = store.Topology.Catalog;
        var now = live.Clock.GetUtcNow();
        var rows = new List<LiveSiteRow>();
        foreach (var site in live.Sites)
        {
            var registrySite = site.Scenario.Site;
            var midnight = site.Scenario.LocalMidnight(DayCollector.LocalDate(registrySite, now));
            var quarters = store.GetNodeIntervals(RollupLevel.Site, IntervalResolution.FifteenMinutes, midnight, now.AddDays(1), siteId: registrySite.Id);
            var electricity = quarters.Where(q => q.Node.Carrier == Carrier.Electricity).ToList();
            var energyKwh = quarters.Where(q => q.Node.Carrier is { } c && (c == Carrier.Electricity || c.IsFuel())).Sum(q => q.Node.Carrier == Carrier.Electricity ? q.Consumption : q.EnergyKwh);
            var production = catalog.Series.FirstOrDefault(s => s.SiteId == registrySite.Id && PlantSimulation.IsReferenceProduction(s)) is { } counter
                ? store.GetSeriesIntervals(counter, IntervalResolution.FifteenMinutes, midnight, now.AddDays(1)).Sum(i => i.Consumption)
                : 0.0;
            var peak = electricity.Select(q => q.Consumption * 4).DefaultIfEmpty(0).Max();
            var alerts = new List<string>();
            if (registrySite.ContractDemandKw is { } contract && peak > contract)
            {
                alerts.Add(string.Create(Invariant, $"demand {peak:N0} kW over contract"));
            }

            // The hand-over from history to the live agents leaves a gap of a few readings: not an alert.
            if (quarters.Count(q => q.Start >= live.Clock.Start.AddHours(1) && (q.Flags & IntervalQuality.Estimated) != 0) is var estimated and > 0)
            {
                alerts.Add(string.Create(Invariant, $"{estimated} estimated intervals"));
            }

            var uplink = site.Agent.Forwarder.Statistics;
            if (!uplink.UplinkUp && uplink.Failures > 0)
            {
                alerts.Add("edge uplink down");
            }

            var intensity = _report?.Intensities.FirstOrDefault(i => i.SiteId == registrySite.Id && i.Quantity == ReportQuantity.Energy);
            var savings = _report?.FindSavings(registrySite.Id, ReportQuantity.Energy);
            rows.Add(new LiveSiteRow(
                registrySite.Id,
                electricity.Sum(q => q.Consumption),
                peak,
                registrySite.ContractDemandKw,
                quarters.Where(q => q.Node.Carrier == Carrier.Water).Sum(q => q.Consumption),
                quarters.Where(q => q.Node.Carrier is null).Sum(q => q.Co2eKg) / 1000.0,
                intensity?.ProductionUnit ?? "unit",
                production > 0 ? energyKwh / production : null,
                intensity?.Baseline,
                savings is null ? null : savings.TotalSavings / 1000.0,
                savings?.Uncertainty / 1000.0,
                alerts));
        }

        return new LiveSnapshot(now, _options.Speed, elapsed, _host.Pipeline.Statistics.ReadingsApplied, rows);
    }

    private async Task<string> WriteOutputsAsync(IReadOnlyList<ProjectSavingsRow> projects, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        var daily = Path.Combine(_options.OutputDirectory, "sites-daily.csv");
        await File.WriteAllLinesAsync(daily, [SimulatedSiteDay.CsvHeader, .. _days.SiteDays.Select(d => d.ToCsv())], cancellationToken).ConfigureAwait(false);
        var savings = Path.Combine(_options.OutputDirectory, "project-savings.csv");
        await File.WriteAllLinesAsync(savings, [ProjectSavingsRow.CsvHeader, .. projects.Select(p => p.ToCsv())], cancellationToken).ConfigureAwait(false);
        if (_report is null)
        {
            return daily;
        }

        var files = await ProgrammeReportWriter.WriteAsync(_report, _options.OutputDirectory, cancellationToken).ConfigureAwait(false);
        _console.WriteLine($"Tables (CSV): {string.Join(", ", files.Skip(1).Select(Path.GetFileName))}, sites-daily.csv, project-savings.csv in {_options.OutputDirectory}");
        return files[0];
    }

    private static DateTimeOffset FloorQuarter(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % (TimeSpan.TicksPerMinute * 15)), TimeSpan.Zero);
}
