using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.Reports;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// The recurring jobs (docs/api.md#jobs). Each is idempotent (it rewrites what a previous run wrote for the same data)
/// so Hangfire's retries and a manual re-run are safe; two runs of one job never overlap.
/// </summary>
internal sealed partial class MonitoringJobs(
    SiteRegistry registry,
    ServerSiteDays siteDays,
    LatestIntervalStore store,
    BaselineBook baselines,
    AlertBook alerts,
    DataQualityScanner scanner,
    KpiSeriesWriter series,
    JobsOptions options,
    IngestPipeline pipeline,
    TimeProvider time,
    ILogger<MonitoringJobs> logger)
{
    public const string DailyFinalisation = "daily-finalisation";
    public const string BaselineRefit = "baseline-refit";
    public const string MonthlyFinalisation = "monthly-finalisation";
    public const string ProgrammeReports = "programme-reports";
    public const string DataQuality = "data-quality";

    private static readonly DateOnly Earliest = new(2000, 1, 1);
    private static readonly DateOnly Latest = new(2100, 1, 1);

    /// <summary>
    /// Copies every site and meter day the interval store holds into the archive, then writes the dashboards' KPI and
    /// alert series (<see cref="DashboardSeries"/>) computed from the store up to the newest data.
    /// </summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
    [DisableConcurrentExecution(600)]
    public async Task FinaliseDaysAsync(CancellationToken cancellationToken)
    {
        var sites = registry.Sites.Select(s => s.Id).ToArray();
        var days = siteDays.FromStore(sites, Earliest, Latest).ToList();
        var meters = registry.Sites.SelectMany(s => siteDays.MeterDaysFromStore(s, Earliest, Latest)).ToList();
        siteDays.Archive.Upsert(days, meters);
        var written = 0;
        if (series.Enabled && store.NewestEnd is { } newest)
        {
            // The data's end rather than the clock: a backfill or a stalled feed is not annualised over time without data.
            var clock = time.GetUtcNow();
            var now = newest < clock ? newest : clock;
            var lines = new KpiLines();
            new DashboardSeries(registry, store, now).Write(lines);
            await series.WriteAsync("dashboard", lines.Lines, cancellationToken).ConfigureAwait(false);
            written = lines.Lines.Count;
        }

        LogFinalised(logger, days.Count, meters.Count, written);
    }

    /// <summary>Finalises a month (default: the previous one): the days of <see cref="FinaliseDaysAsync"/>, which also rewrites the monthly KPI points.</summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
    [DisableConcurrentExecution(600)]
    public async Task FinaliseMonthAsync(string? month, CancellationToken cancellationToken)
    {
        var name = ParseMonthOrPrevious(month).ToString();
        await FinaliseDaysAsync(cancellationToken).ConfigureAwait(false);
        LogMonthFinalised(logger, name);
    }

    /// <summary>Fits every site quantity and consumption meter; a new version is kept beside the old ones when the data changed.</summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
    [DisableConcurrentExecution(1800)]
    public async Task RefitBaselinesAsync(CancellationToken cancellationToken)
    {
        int added = 0, kept = 0, skipped = 0;
        foreach (var site in registry.Sites)
        {
            var days = await siteDays.ReadAsync([site.Id], Earliest, Latest, cancellationToken).ConfigureAwait(false);
            if (BaselineMath.Period(registry, site, days, options.MinimumBaselineDays) is not var (from, to))
            {
                skipped++;
                continue;
            }

            var targets = BaselineMath.SiteQuantities.Select(q => (Target: q, Unit: BaselineMath.UnitOf(q), Days: days.Select(d => (d, BaselineMath.Value(d, q))).ToList())).ToList();
            var byDate = days.ToDictionary(d => d.Date);
            var meterDays = siteDays.Archive.MeterDays(site.Id, from, to).Concat(siteDays.MeterDaysFromStore(site, from, to))
                .GroupBy(d => d.MeterId, StringComparer.Ordinal);
            foreach (var meter in meterDays)
            {
                var unit = site.FindMeter(meter.Key) is { } m ? Rollups(m) : "canonical";
                var latestPerDay = meter.GroupBy(d => d.Date).Select(g => g.Last());
                targets.Add((BaselineMath.MeterTarget(meter.Key), unit, [.. latestPerDay.Where(d => byDate.ContainsKey(d.Date)).Select(d => (byDate[d.Date], d.Consumption))]));
            }

            foreach (var (target, unit, values) in targets)
            {
                if (BaselineMath.Fit(site.Id, target, unit, from, to, values, time) is not { } fitted)
                {
                    skipped++;
                    continue;
                }

                var (_, isNew) = baselines.Append(fitted);
                if (isNew)
                {
                    added++;
                }
                else
                {
                    kept++;
                }
            }
        }

        LogRefit(logger, added, kept, skipped);
    }

    /// <summary>Writes each programme's report for a month (default: the previous one) to <c>{data}/reports/{programme}/{yyyy-MM}</c>.</summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
    [DisableConcurrentExecution(1800)]
    public async Task WriteProgrammeReportsAsync(string? month, CancellationToken cancellationToken)
    {
        var reportMonth = ParseMonthOrPrevious(month);
        var name = reportMonth.ToString();
        foreach (var programme in registry.Programmes)
        {
            try
            {
                var report = await ProgrammeReportBuilder.BuildAsync(registry, programme.Id, reportMonth, siteDays, cancellationToken: cancellationToken).ConfigureAwait(false);
                var directory = ReportDirectory(pipeline.Options.DataDirectory, programme.Id, reportMonth);
                var files = await ProgrammeReportWriter.WriteAsync(report, directory, cancellationToken).ConfigureAwait(false);
                LogReport(logger, programme.Id, name, files[0]);
            }
            catch (ReportDataException ex)
            {
                // Missing data does not come back with a retry: say so and let the next month's run try again.
                LogReportSkipped(logger, programme.Id, name, ex.Message);
            }
        }
    }

    /// <summary>Scans [<paramref name="from"/>, <paramref name="to"/>) (default: the last <c>ScanWindow</c>) and raises the alerts found.</summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
    [DisableConcurrentExecution(600)]
    public async Task ScanDataQualityAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var end = to ?? time.GetUtcNow();
        var found = scanner.Scan(from ?? end - options.ScanWindow, end);
        var raised = alerts.Raise(found);
        await series.WriteAsync("alert", [.. found.Select(a => a.ToLineProtocol())], cancellationToken).ConfigureAwait(false);
        await WriteQuarantineCountsAsync(cancellationToken).ConfigureAwait(false);
        LogScan(logger, found.Count, raised.Count);
    }

    /// <summary>
    /// The <c>quarantine</c> series: readings set aside per site, reason (snake case) and hour. Each run rewrites the
    /// hours the quarantine holds with their counts so far, so an hour that grows after a run is corrected by the next.
    /// </summary>
    private async Task WriteQuarantineCountsAsync(CancellationToken cancellationToken)
    {
        var lines = new KpiLines();
        foreach (var hour in pipeline.Quarantine.HourlyCounts())
        {
            lines.Point("quarantine").Tag("site", hour.Site).Tag("reason", SnakeCase(hour.Reason.ToString())).Field("count", hour.Count).At(hour.Hour);
        }

        await series.WriteAsync("quarantine", lines.Lines, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>UnknownMeter</c> → <c>unknown_meter</c>.</summary>
    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));

    public static string ReportDirectory(string dataDirectory, string programmeId, ReportMonth month) =>
        Path.Combine(dataDirectory, "reports", programmeId, month.ToString());

    private static string Rollups(Meter meter) => meter.Carrier switch
    {
        Carrier.Electricity => "kWh",
        Carrier.Water => "m3",
        _ => "canonical",
    };

    private ReportMonth ParseMonthOrPrevious(string? month)
    {
        if (month is not null)
        {
            return ReportMonth.TryParse(month, out var parsed) ? parsed : throw new ArgumentException($"'{month}' is not a month (yyyy-MM)", nameof(month));
        }

        var now = time.GetUtcNow();
        return ReportMonth.Of(DateOnly.FromDateTime(now.UtcDateTime).AddMonths(-1));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Daily finalisation: {SiteDays} site days and {MeterDays} meter days archived, {Points} KPI and alert points written")]
    private static partial void LogFinalised(ILogger logger, int siteDays, int meterDays, int points);

    [LoggerMessage(Level = LogLevel.Information, Message = "Monthly finalisation of {Month} done")]
    private static partial void LogMonthFinalised(ILogger logger, string month);

    [LoggerMessage(Level = LogLevel.Information, Message = "Baseline refit: {Added} new version(s), {Kept} unchanged, {Skipped} without enough data")]
    private static partial void LogRefit(ILogger logger, int added, int kept, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Programme report {Programme} {Month}: {File}")]
    private static partial void LogReport(ILogger logger, string programme, string month, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Programme report {Programme} {Month} not written: {Reason}")]
    private static partial void LogReportSkipped(ILogger logger, string programme, string month, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data-quality scan: {Found} finding(s), {Raised} new alert(s)")]
    private static partial void LogScan(ILogger logger, int found, int raised);
}

/// <summary>
/// Writes KPI and alert points to InfluxDB through the pipeline's pass-through path (write-ahead log → outbox →
/// spool), so they are as durable as readings and written by the aggregation thread that owns the outbox. Off when
/// no InfluxDB is configured. The batch id is the content's hash: a re-run with the same figures is stored once.
/// </summary>
internal sealed class KpiSeriesWriter(IngestPipeline pipeline, bool enabled)
{
    /// <summary>Lines per write-ahead log batch: a full history of KPI points is written in pieces the log takes.</summary>
    private const int ChunkLines = 5000;

    public bool Enabled => enabled;

    public async Task WriteAsync(string kind, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        if (!enabled || lines.Count == 0)
        {
            return;
        }

        for (var first = 0; first < lines.Count; first += ChunkLines)
        {
            var chunk = lines.Skip(first).Take(ChunkLines);
            var body = Encoding.UTF8.GetBytes(string.Join('\n', chunk) + "\n");
            var batchId = BatchIdWindow.Key("jobs", Encoding.UTF8.GetBytes("kpi:" + kind + ":" + Convert.ToHexStringLower(SHA256.HashData(body))[..24]));
            var outcome = await pipeline.SubmitAsync(IngestBatch.Create(batchId, [], body), cancellationToken).ConfigureAwait(false);
            if (outcome is not (SubmitOutcome.Stored or SubmitOutcome.Duplicate))
            {
                throw new InvalidOperationException($"the write-ahead log did not take the {kind} points ({outcome}): the job will retry");
            }
        }
    }
}
