using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.Reports;
using Monitoring.Server.Hosting.Authentication;
using Monitoring.Server.Hosting.Jobs;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Api;

/// <summary>
/// The read API under <c>/api/v1</c> (docs/api.md). Every route needs a reader or admin token covering the site or
/// programme it names (<see cref="TokenAuthentication.ReadPolicy"/>); lists are filtered to the token's sites; jobs
/// need an admin. Errors are RFC 7807 problem details.
/// </summary>
internal static class ApiEndpoints
{
    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(TokenAuthentication.ReadPolicy);
        var sites = api.MapGroup("/sites").WithTags("sites");
        sites.MapGet("/", ListSites).WithSummary("Sites the token may read");
        sites.MapGet("/{siteId}", GetSite).WithSummary("A site: lines, assets, meters, production counters");
        sites.MapGet("/{siteId}/meters", ListMeters).WithSummary("A site's meters and their fields");
        sites.MapGet("/{siteId}/meters/{meterId}/intervals", SeriesIntervals).WithTags("intervals").WithSummary("Intervals of one meter field (?field=&resolution=&from=&to=)");
        sites.MapGet("/{siteId}/nodes/{level}/{nodeId}/intervals", NodeIntervals).WithTags("intervals").WithSummary("Roll-up intervals of a meter, asset, line or the site (?carrier=&resolution=&from=&to=)");
        sites.MapGet("/{siteId}/intensities", Intensities).WithTags("kpi").WithSummary("Consumption per unit produced, per line and site (?resolution=&from=&to=&node=&counter=)");
        sites.MapGet("/{siteId}/baselines", Baselines).WithTags("kpi").WithSummary("The latest baseline of each target, with its statistics");
        sites.MapGet("/{siteId}/baselines/{target}/history", BaselineHistory).WithTags("kpi").WithSummary("Every version of one baseline");
        sites.MapGet("/{siteId}/savings", Savings).WithTags("kpi").WithSummary("Daily savings and CUSUM against the latest baseline (?target=energy|water|co2e|meter.{id}&from=&to=)");

        var programmes = api.MapGroup("/programmes").WithTags("programmes");
        programmes.MapGet("/", ListProgrammes).WithSummary("Programmes whose every site the token may read");
        programmes.MapGet("/{programmeId}/intervals", ProgrammeIntervals).WithTags("intervals").WithSummary("Programme roll-up intervals (?carrier=&resolution=&from=&to=)");
        programmes.MapGet("/{programmeId}/progress", Progress).WithSummary("Trajectories and normalised savings to the end of a month (?month=yyyy-MM)");
        programmes.MapGet("/{programmeId}/projects", Projects).WithSummary("The project bank's business cases (?year=)");
        programmes.MapGet("/{programmeId}/reports/{month}", Report).WithSummary("The monthly programme report: HTML, or ?format=csv&table=NAME");

        api.MapGet("/alerts", Alerts).WithTags("operations").WithSummary("Data-quality and leak alerts (?site=&kind=&from=&to=)");
        api.MapGet("/quarantine", QuarantineList).WithTags("operations").WithSummary("Refused readings, per reason, and the latest lines");
        api.MapGet("/agents", Agents).WithTags("operations").WithSummary("Edge agents' latest edge_status");

        var jobs = api.MapGroup("/jobs").WithTags("jobs").RequireAuthorization(TokenAuthentication.AdminPolicy);
        jobs.MapGet("/", ListJobs).WithSummary("Recurring jobs, their schedule and last run (admin)");
        jobs.MapPost("/{jobId}/trigger", TriggerJob).WithSummary("Run a recurring job now (admin)");

        var admin = api.MapGroup("/admin").WithTags("operations").RequireAuthorization(TokenAuthentication.AdminPolicy);
        admin.MapGet("/registry", RegistryInForce).WithSummary("The registry in force and the last refused reload with its errors (admin)");
        admin.MapPost("/registry/reload", ReloadRegistry).WithSummary("Read the registry folder again now, as SIGHUP does (admin)");
    }

    private static IResult ListSites(HttpContext context, SiteRegistry registry)
    {
        var scope = ApiScope.Of(context);
        return Results.Ok(registry.Sites.Where(s => scope.Covers(s.Id)).Select(s => new
        {
            id = s.Id,
            name = s.Name,
            ecosystem = s.Ecosystem,
            region = s.Region,
            time_zone = s.TimeZone.Id,
            contract_demand_kw = s.ContractDemandKw,
            programmes = registry.Programmes.Where(p => p.SiteIds.Contains(s.Id)).Select(p => p.Id),
        }));
    }

    private static IResult GetSite(string siteId, SiteRegistry registry) =>
        registry.FindSite(siteId) is not { } site ? NotFound($"no site '{siteId}'") : Results.Ok(new
        {
            id = site.Id,
            name = site.Name,
            ecosystem = site.Ecosystem,
            region = site.Region,
            time_zone = site.TimeZone.Id,
            contract_demand_kw = site.ContractDemandKw,
            lines = site.Lines,
            assets = site.Assets,
            meters = site.Meters.Select(MeterView),
            production_counters = site.ProductionCounters,
            temperature = site.Temperature,
        });

    private static IResult ListMeters(string siteId, SiteRegistry registry) =>
        registry.FindSite(siteId) is not { } site ? NotFound($"no site '{siteId}'") : Results.Ok(site.Meters.Select(MeterView));

    private static object MeterView(Meter m) => new
    {
        id = m.Id,
        name = m.Name,
        carrier = m.Carrier.ToName(),
        asset = m.AssetId,
        line = m.LineId,
        parent = m.ParentId,
        @virtual = m.IsVirtual,
        renewable = m.Renewable,
        fields = m.Fields.Select(f => new { name = f.Name, kind = f.Kind.ToString().ToLowerInvariant(), unit = f.Unit }),
    };

    private static IResult SeriesIntervals(HttpContext context, string siteId, string meterId, string? field, SiteRegistry registry, LatestIntervalStore store, TimeProvider time)
    {
        if (registry.FindSite(siteId) is not { } site || site.FindMeter(meterId) is not { } meter)
        {
            return NotFound($"no meter '{meterId}' at site '{siteId}'");
        }

        var fieldName = field ?? meter.Fields.FirstOrDefault(f => f.Kind == FieldKind.Counter)?.Name ?? (meter.Fields.Count > 0 ? meter.Fields[0].Name : null);
        if (fieldName is null || !store.Topology.Catalog.TryGetSeries(siteId, meterId, fieldName, out var id))
        {
            return BadRequest($"meter '{meterId}' has no series '{field}' (fields: {string.Join(", ", meter.Fields.Select(f => f.Name))})");
        }

        if (!ApiQuery.TryParse(context.Request, site, time, out var query, out var error))
        {
            return BadRequest(error);
        }

        var series = store.Topology.Catalog[id];
        return Results.Ok(new
        {
            site = siteId,
            meter = meterId,
            field = fieldName,
            kind = series.Kind.ToString().ToLowerInvariant(),
            unit = series.Unit,
            resolution = query.Resolution.ToName(),
            from = query.From,
            to = query.To,
            intervals = store.GetSeriesIntervals(series, query.Resolution, query.From, query.To).Select(r => ApiQuery.ToDto(r)),
        });
    }

    private static IResult NodeIntervals(HttpContext context, string siteId, string level, string nodeId, string? carrier, SiteRegistry registry, LatestIntervalStore store, TimeProvider time)
    {
        if (registry.FindSite(siteId) is not { } site)
        {
            return NotFound($"no site '{siteId}'");
        }

        RollupLevel? parsed = level switch
        {
            "meter" => RollupLevel.Meter,
            "asset" => RollupLevel.Asset,
            "line" => RollupLevel.Line,
            "site" => RollupLevel.Site,
            _ => null,
        };
        if (parsed is not { } rollupLevel)
        {
            return BadRequest($"level '{level}' is not one of meter, asset, line, site");
        }

        return Nodes(context, site, rollupLevel, nodeId, siteId, carrier, store, time);
    }

    private static IResult ProgrammeIntervals(HttpContext context, string programmeId, string? carrier, SiteRegistry registry, LatestIntervalStore store, TimeProvider time)
    {
        if (registry.FindProgramme(programmeId) is not { } programme)
        {
            return NotFound($"no programme '{programmeId}'");
        }

        // Programme nodes take the zone of their first site (docs/data-model.md, roll-up limits).
        return Nodes(context, registry.FindSite(programme.SiteIds[0]), RollupLevel.Programme, programmeId, null, carrier, store, time);
    }

    private static IResult Nodes(HttpContext context, Site? site, RollupLevel level, string nodeId, string? siteId, string? carrier, LatestIntervalStore store, TimeProvider time)
    {
        Carrier? carrierFilter = null;
        var all = carrier == RollupNode.AllCarriers;
        if (carrier is not null && !all)
        {
            if (!CarrierNames.TryParse(carrier, out var parsedCarrier))
            {
                return BadRequest($"carrier '{carrier}' is not one of all, {string.Join(", ", CarrierNames.All)}");
            }

            carrierFilter = parsedCarrier;
        }

        var nodes = store.Topology.Nodes.Where(n => n.Level == level && n.Id == nodeId && (siteId is null || n.SiteId == siteId)
            && (carrier is null || (all ? n.Carrier is null : n.Carrier == carrierFilter))).ToList();
        if (nodes.Count == 0)
        {
            return NotFound($"no {level.ToName()} node '{nodeId}'{(carrier is null ? "" : $" for carrier {carrier}")}");
        }

        if (!ApiQuery.TryParse(context.Request, site, time, out var query, out var error))
        {
            return BadRequest(error);
        }

        return Results.Ok(new
        {
            level = level.ToName(),
            node = nodeId,
            site = siteId,
            resolution = query.Resolution.ToName(),
            from = query.From,
            to = query.To,
            series = nodes.Select(n => new
            {
                carrier = n.CarrierName,
                unit = n.Unit,
                intervals = store.GetNodeIntervals(n, query.Resolution, query.From, query.To).Select(r => ApiQuery.ToDto(r)),
            }),
        });
    }

    private static IResult Intensities(HttpContext context, string siteId, string? node, string? counter, SiteRegistry registry, LatestIntervalStore store, TimeProvider time)
    {
        if (registry.FindSite(siteId) is not { } site)
        {
            return NotFound($"no site '{siteId}'");
        }

        if (!ApiQuery.TryParse(context.Request, site, time, out var query, out var error))
        {
            return BadRequest(error);
        }

        var definitions = store.Topology.Intensities.Where(i => i.Node.SiteId == siteId && (node is null || i.Node.Id == node) && (counter is null || i.Counter.Id == counter));
        return Results.Ok(new
        {
            site = siteId,
            resolution = query.Resolution.ToName(),
            from = query.From,
            to = query.To,
            intensities = definitions.SelectMany(d => store.GetIntensities(d, query.Resolution, query.From, query.To)).Select(r => ApiQuery.ToDto(r)),
        });
    }

    private static IResult Baselines(string siteId, SiteRegistry registry, BaselineBook baselines) =>
        registry.FindSite(siteId) is null ? NotFound($"no site '{siteId}'")
            : Results.Ok(baselines.Targets(siteId).Select(t => baselines.Latest(siteId, t)).OfType<BaselineVersion>());

    private static IResult BaselineHistory(string siteId, string target, SiteRegistry registry, BaselineBook baselines)
    {
        var history = registry.FindSite(siteId) is null ? [] : baselines.History(siteId, target);
        return history.Count == 0 ? NotFound($"no baseline '{target}' at site '{siteId}' (the nightly refit fits one once a baseline period has data)") : Results.Ok(history);
    }

    private static async Task<IResult> Savings(HttpContext context, string siteId, string? target, SiteRegistry registry, BaselineBook baselines, ServerSiteDays days, TimeProvider time, CancellationToken cancellationToken)
    {
        target ??= "energy";
        if (registry.FindSite(siteId) is not { } site)
        {
            return NotFound($"no site '{siteId}'");
        }

        if (baselines.Latest(siteId, target) is not { } baseline)
        {
            return NotFound($"no baseline '{target}' at site '{siteId}' yet");
        }

        if (!ApiQuery.TryParse(context.Request, site, time, out var query, out var error))
        {
            return BadRequest(error);
        }

        var (from, to) = (LocalCalendar.DateOf(site, query.From), LocalCalendar.DateOf(site, query.To));
        var records = await days.ReadAsync([siteId], baseline.ToExclusive, to, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<(SiteDay, double)> values;
        if (target.StartsWith("meter.", StringComparison.Ordinal))
        {
            var meterId = target["meter.".Length..];
            var meterDays = days.Archive.MeterDays(siteId, baseline.ToExclusive, to).Concat(days.MeterDaysFromStore(site, baseline.ToExclusive, to))
                .Where(d => d.MeterId == meterId).GroupBy(d => d.Date).ToDictionary(g => g.Key, g => g.Last().Consumption);
            values = [.. records.Where(d => meterDays.ContainsKey(d.Date)).Select(d => (d, meterDays[d.Date]))];
        }
        else
        {
            values = [.. records.Select(d => (d, BaselineMath.Value(d, target)))];
        }

        if (BaselineMath.Savings(baseline, values) is not { } savings)
        {
            return NotFound($"no reporting days after the baseline period of '{target}' (ends {baseline.ToExclusive:yyyy-MM-dd})");
        }

        // CUSUM runs from the end of the baseline; the range only selects the days shown.
        return Results.Ok(savings with { Days = [.. savings.Days.Where(d => d.Date >= from && d.Date < to)] });
    }

    private static IResult ListProgrammes(HttpContext context, SiteRegistry registry)
    {
        var scope = ApiScope.Of(context);
        return Results.Ok(registry.Programmes.Where(scope.Covers));
    }

    private static async Task<IResult> Progress(string programmeId, string? month, SiteRegistry registry, ServerSiteDays days, TimeProvider time, CancellationToken cancellationToken)
    {
        if (registry.FindProgramme(programmeId) is null)
        {
            return NotFound($"no programme '{programmeId}'");
        }

        var reportMonth = ReportMonth.Of(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        if (month is not null && !ReportMonth.TryParse(month, out reportMonth))
        {
            return BadRequest($"month '{month}' is not yyyy-MM");
        }

        try
        {
            var report = await ProgrammeReportBuilder.BuildAsync(registry, programmeId, reportMonth, days, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Results.Ok(new
            {
                programme = programmeId,
                month = reportMonth.ToString(),
                trajectories = report.Trajectory.Select(t => new
                {
                    quantity = t.Quantity.ToString().ToLowerInvariant(),
                    t.Year,
                    baseline_year_total = t.BaselineYearTotal,
                    baseline_same_period = t.BaselineSamePeriod,
                    year_to_date = t.YearToDate,
                    projected = t.ProjectedYear,
                    t.Target,
                    t.Gap,
                    on_track = t.OnTrack,
                }),
                savings = report.ProgrammeSavings,
                sites = report.SiteSavings.Select(s => new
                {
                    site = s.SiteId,
                    quantity = s.Quantity.ToString().ToLowerInvariant(),
                    s.TotalExpected,
                    s.TotalActual,
                    s.TotalSavings,
                    s.Improvement,
                    s.Uncertainty,
                    cusum = s.DailyCusum.Count > 0 ? s.DailyCusum[^1].CumulativeSavings : 0.0,
                }),
                notes = report.Notes,
            });
        }
        catch (ReportDataException ex)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "Not enough data", ex.Message);
        }
    }

    private static IResult Projects(string programmeId, int? year, SiteRegistry registry, TimeProvider time)
    {
        if (registry.FindProgramme(programmeId) is not { } programme)
        {
            return NotFound($"no programme '{programmeId}'");
        }

        var cases = ProgrammeReportBuilder.Projects(registry, programme, year ?? time.GetUtcNow().Year, ReportOptions.Default);
        return Results.Ok(cases.Select(c => new
        {
            id = c.Project.Id,
            name = c.Project.Name,
            site = c.Project.SiteId,
            status = c.Project.Status.ToString().ToLowerInvariant(),
            currency = c.Project.Currency,
            capex = c.Project.Capex,
            annual_savings = c.Project.ExpectedSavings.Cost,
            annual_energy_kwh = c.AnnualEnergyKwh,
            annual_tco2e = c.AnnualTco2e,
            risk_score = c.RiskScore,
            business_case = c.Case,
            risks = c.Project.Risks,
        }));
    }

    private static async Task<IResult> Report(string programmeId, string month, string? format, string? table, SiteRegistry registry, ServerSiteDays days, CancellationToken cancellationToken)
    {
        if (!ReportMonth.TryParse(month, out var reportMonth))
        {
            return BadRequest($"month '{month}' is not yyyy-MM");
        }

        if (format is not (null or "html" or "csv"))
        {
            return BadRequest($"format '{format}' is not html or csv");
        }

        if (registry.FindProgramme(programmeId) is null)
        {
            return NotFound($"no programme '{programmeId}'");
        }

        ProgrammeReport report;
        try
        {
            report = await ProgrammeReportBuilder.BuildAsync(registry, programmeId, reportMonth, days, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ReportDataException ex)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "Not enough data for this report", ex.Message);
        }

        var tables = ReportTables.Create(report);
        if (format != "csv")
        {
            return Results.Content(HtmlReportRenderer.Render(report, tables), "text/html; charset=utf-8", Encoding.UTF8);
        }

        if (tables.FirstOrDefault(t => t.Id == table) is not { } chosen)
        {
            return BadRequest($"table '{table}' is not one of {string.Join(", ", tables.Select(t => t.Id))}");
        }

        return Results.Text(CsvTableWriter.ToCsv(chosen), "text/csv; charset=utf-8", Encoding.UTF8);
    }

    private static IResult Alerts(HttpContext context, string? site, string? kind, DateTimeOffset? from, DateTimeOffset? to, AlertBook alerts)
    {
        var scope = ApiScope.Of(context);
        if (site is not null && !scope.Covers(site))
        {
            return Problem(StatusCodes.Status403Forbidden, "Forbidden", $"this token may not read site '{site}'");
        }

        return Results.Ok(alerts.All().Where(a => scope.Covers(a.SiteId) && (site is null || a.SiteId == site) && (kind is null || a.Kind == kind)
            && (from is null || a.Start >= from) && (to is null || a.Start < to)));
    }

    private static IResult QuarantineList(HttpContext context, IngestPipeline pipeline, int? limit)
    {
        var scope = ApiScope.Of(context);
        var quarantine = pipeline.Quarantine;
        var lines = quarantine.Recent()
            .Where(line => scope.IsUnrestricted || SiteOf(line.Text) is { } site && scope.Covers(site))
            .TakeLast(Math.Clamp(limit ?? 100, 1, 1000))
            .ToList();
        return Results.Ok(new
        {
            total = quarantine.Total,
            by_reason = Enum.GetValues<RejectionReason>().Where(r => quarantine.Count(r) > 0).ToDictionary(r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()), quarantine.Count),
            file = scope.IsUnrestricted ? quarantine.FilePath : null,
            lines,
        });
    }

    /// <summary>The <c>site</c> tag of a refused line, when it has one.</summary>
    private static string? SiteOf(string line)
    {
        var start = line.IndexOf(",site=", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += ",site=".Length;
        var end = line.IndexOfAny([',', ' '], start);
        return end < 0 ? line[start..] : line[start..end];
    }

    private static IResult Agents(HttpContext context, EdgeStatusBoard agents)
    {
        var scope = ApiScope.Of(context);
        return Results.Ok(agents.All().Where(a => scope.Covers(a.SiteId)));
    }

    private static IResult ListJobs(JobStorage storage)
    {
        using var connection = storage.GetConnection();
        return Results.Ok(connection.GetRecurringJobs().Select(j => new
        {
            id = j.Id,
            cron = j.Cron,
            time_zone = j.TimeZoneId,
            next_execution = j.NextExecution,
            last_execution = j.LastExecution,
            last_job_id = j.LastJobId,
            last_job_state = j.LastJobState,
            error = j.Error,
        }));
    }

    private static IResult TriggerJob(string jobId, JobStorage storage, IRecurringJobManager recurring)
    {
        using var connection = storage.GetConnection();
        if (connection.GetRecurringJobs().All(j => j.Id != jobId))
        {
            return NotFound($"no recurring job '{jobId}'");
        }

        recurring.Trigger(jobId);
        return Results.Accepted($"/api/v1/jobs", new { id = jobId, triggered = true });
    }

    private static IResult RegistryInForce(RegistryReloader reloader) => Results.Ok(RegistryBody(reloader.Status));

    private static async Task<IResult> ReloadRegistry(RegistryReloader reloader, CancellationToken cancellationToken)
    {
        var result = await reloader.ReloadAsync("admin API", force: true, cancellationToken).ConfigureAwait(false);
        var body = new { outcome = result.Outcome, detail = result.Detail, errors = result.Errors, registry = RegistryBody(reloader.Status) };
        return result.Outcome == RegistryReloadOutcome.Refused
            ? Results.UnprocessableEntity(body)
            : Results.Ok(body);
    }

    private static object RegistryBody(RegistryStatus status) => new
    {
        directory = status.Directory,
        fingerprint = status.Fingerprint,
        applied_at = status.AppliedAt,
        generation = status.Generation,
        sites = status.Sites,
        meters = status.Meters,
        series = status.Series,
        reloads = status.Reloads,
        refusals = status.Refusals,
        refused = status.Refused is { } refused ? new { at = refused.At, fingerprint = refused.Fingerprint, error_count = refused.Errors.Count, errors = refused.Errors } : null,
    };

    private static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    private static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Bad request", detail);

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
