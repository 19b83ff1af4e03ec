using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Finance;
using Monitoring.Kpi.Programmes;
using Monitoring.Kpi.Savings;
using Monitoring.Kpi.Water;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// The KPI and alert series the dashboards read (docs/data-model.md, "KPI, alert and health series"), computed with
/// the KPI engine from the interval store's day, month and hour records: regression baselines, savings, CUSUM and its
/// uncertainty, trajectories to the programme targets, demand against contract, night flows and base load, leak alerts
/// and project business cases. Every run recomputes the whole history the store keeps, so the points it writes
/// overwrite those of the previous run (same measurement, tags and timestamps) with the latest figures.
/// </summary>
internal sealed class DashboardSeries
{
    /// <summary>Alerts are written for the days that started within this window before <c>now</c>.</summary>
    public static readonly TimeSpan AlertHistory = TimeSpan.FromDays(366);

    private const double CoolingBaseC = 18.0;
    private const double UncertaintyConfidence = 0.90;

    /// <summary>
    /// Days with more estimated consumption than this stay out of baselines and savings. Not the INCOMPLETE flag: a
    /// meter that declares reactive_energy_kvarh but does not send it leaves its roll-ups INCOMPLETE (one input of
    /// two) although the energy is measured.
    /// </summary>
    private const double MaxEstimatedFraction = 0.1;

    private readonly SiteRegistry _registry;
    private readonly RollupTopology _topology;
    private readonly LatestIntervalStore _store;
    private readonly DateTimeOffset _now;
    private readonly DateTimeOffset _alertsFrom;
    private readonly Dictionary<(string Site, string Counter), Dictionary<DateTimeOffset, double>> _dailyOutput = [];
    private readonly Dictionary<string, Dictionary<DateTimeOffset, double>> _dailyTemperature = [];

    /// <param name="now">The end of the data to use: days and years after it are left out or annualised.</param>
    public DashboardSeries(SiteRegistry registry, LatestIntervalStore store, DateTimeOffset now)
    {
        _registry = registry;
        _store = store;
        _topology = store.Topology;
        _now = now;
        _alertsFrom = now - AlertHistory;
        foreach (var intensity in _topology.Intensities)
        {
            if (intensity.Node.SiteId is not { } siteId)
            {
                continue;
            }

            // A counter has one intensity per node and carrier, each with the counter's output on the days it has a
            // record: their union gives every day with an output.
            var key = (siteId, intensity.Counter.Id);
            if (!_dailyOutput.TryGetValue(key, out var days))
            {
                _dailyOutput[key] = days = [];
            }

            foreach (var day in store.GetIntensities(intensity, IntervalResolution.Day, DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
            {
                days[day.Start] = day.Output;
            }
        }

        foreach (var site in registry.Sites)
        {
            if (site.Temperature is { } source && _topology.Catalog.TryGetSeries(site.Id, source.MeterId, source.Field, out var id))
            {
                _dailyTemperature[site.Id] = store.GetSeriesIntervals(_topology.Catalog[id], IntervalResolution.Day, DateTimeOffset.MinValue, DateTimeOffset.MaxValue)
                    .Where(d => d.Count > 0).ToDictionary(d => d.Start, d => d.Mean);
            }
        }
    }

    /// <summary>The nodes whose hours the store keeps as long as days: site electricity (base load) and water meters (night flow).</summary>
    public static bool NeedsLongHours(RollupNode node) =>
        (node.Level == RollupLevel.Site && node.Carrier == Carrier.Electricity) || (node.Level == RollupLevel.Meter && node.Carrier == Carrier.Water);

    public void Write(KpiLines output)
    {
        foreach (var programme in _registry.Programmes)
        {
            WriteSavings(output, programme);
            WriteTrajectories(output, programme);
        }

        foreach (var site in _registry.Sites)
        {
            WriteDemand(output, site);
            WriteNight(output, site);
        }

        WriteProjects(output);
    }

    // ------------------------------------------------------------------ savings, CUSUM, baselines

    /// <summary>One day of a savings series: the adjusted baseline (expected), actual, CUSUM and its uncertainty.</summary>
    private sealed record SavingsDay(DateTimeOffset Start, double Actual, double Expected, double Cusum, double CumulativeExpected, double Uncertainty, double Output, SavingsPeriod? Period);

    private sealed record SavingsSeries(RollupLevel Level, string Node, Site? Site, string? Ecosystem, string Carrier, string Unit, TimeZoneInfo Zone, List<SavingsDay> Days);

    private void WriteSavings(KpiLines output, Programme programme)
    {
        var siteSeries = new List<SavingsSeries>();
        foreach (var site in programme.SiteIds.Select(id => _registry.FindSite(id)!))
        {
            var counters = site.ProductionCounters;
            foreach (Carrier? carrier in new Carrier?[] { Carrier.Electricity, Carrier.Water, null })
            {
                var drivers = counters.Select(c => c.Id).Append("cdd18").ToArray();
                var fitted = FitAndWrite(output, programme, site, RollupLevel.Site, site.Id, carrier, drivers, counters);
                if (fitted is not null)
                {
                    siteSeries.Add(fitted);
                }
            }

            foreach (var line in site.Lines)
            {
                var lineCounters = counters.Where(c => c.LineId == line.Id).ToList();
                if (lineCounters.Count > 0)
                {
                    _ = FitAndWrite(output, programme, site, RollupLevel.Line, line.Id, Carrier.Electricity, [.. lineCounters.Select(c => c.Id)], lineCounters);
                }
            }
        }

        var zone = _registry.FindSite(programme.SiteIds[0])!.TimeZone;
        foreach (var group in siteSeries.GroupBy(s => s.Carrier))
        {
            foreach (var ecosystem in programme.Ecosystems)
            {
                var members = group.Where(s => s.Ecosystem == ecosystem).ToList();
                if (members.Count > 0)
                {
                    WriteSavingsDays(output, programme, Sum(RollupLevel.Ecosystem, ecosystem, ecosystem, members, zone));
                }
            }

            WriteSavingsDays(output, programme, Sum(RollupLevel.Programme, programme.Id, null, [.. group], zone));
        }
    }

    /// <summary>
    /// Fits the node's baseline on the programme's baseline year (daily consumption against the drivers' daily
    /// values), computes savings and CUSUM from the next year on, writes kpi_baseline and kpi_savings.
    /// </summary>
    private SavingsSeries? FitAndWrite(
        KpiLines output, Programme programme, Site site, RollupLevel level, string nodeId, Carrier? carrier,
        string[] drivers, IReadOnlyList<ProductionCounter> counters)
    {
        var node = _topology.Find(level, nodeId, carrier, site.Id);
        if (node is null)
        {
            return null;
        }

        var zone = site.TimeZone;
        var baseline = new List<BaselinePeriod>();
        var reportingVariables = new List<IReadOnlyList<double>>();
        var reporting = new List<(RollupInterval Day, double Output)>();
        foreach (var day in Records(node, IntervalResolution.Day).OrderBy(d => d.Start))
        {
            var year = LocalYear(day.Start, zone);
            if (day.EstimatedFraction > MaxEstimatedFraction || day.End > _now || year < programme.BaselineYear
                || DriverValues(site, day.Start, drivers, counters) is not { } variables)
            {
                continue;
            }

            if (year == programme.BaselineYear)
            {
                baseline.Add(new BaselinePeriod(day.Consumption, variables));
            }
            else
            {
                reportingVariables.Add(variables);
                reporting.Add((day, counters.Count == 1 ? variables[0] : double.NaN));
            }
        }

        if (baseline.Count < 60 || reporting.Count == 0)
        {
            return null;
        }

        var model = LinearRegression.Fit(drivers, baseline);
        var result = SavingsCalculator.Compute(model, reportingVariables, [.. reporting.Select(r => r.Day.Consumption)]);
        var days = new List<SavingsDay>(reporting.Count);
        var cumulativeExpected = 0.0;
        for (var i = 0; i < reporting.Count; i++)
        {
            var period = result.Periods[i];
            cumulativeExpected += period.Expected;
            var inputs = UncertaintyInputs.FromModel(model, i + 1);
            var fraction = period.CumulativeSavings / cumulativeExpected;
            // ΔS = FSU × S: the half-width of the cumulative savings at the confidence level (ASHRAE Guideline 14).
            var uncertainty = fraction != 0
                ? Math.Abs(SavingsUncertainty.Fractional(FsuMethod.AshraeG14, inputs, fraction, UncertaintyConfidence).Value * period.CumulativeSavings)
                : double.NaN;
            days.Add(new SavingsDay(reporting[i].Day.Start, period.Actual, period.Expected, period.CumulativeSavings, cumulativeExpected, uncertainty, reporting[i].Output, period));
        }

        var series = new SavingsSeries(level, nodeId, site, site.Ecosystem, node.CarrierName, node.Unit, zone, days);
        WriteSavingsDays(output, programme, series);

        var s = model.Statistics;
        Tags(output.Point("kpi_baseline"), programme, series)
            .Tag("model", "regression")
            .Field("n", s.N).Field("r_squared", s.RSquared).Field("cv_rmse", s.CvRmse).Field("nmbe", s.Nmbe)
            .Field("residual_se", s.ResidualStandardError).Field("baseline_total", baseline.Sum(p => p.Response))
            .Field("reporting_days", reporting.Count).Field("improvement", result.Improvement).Field("senpi", result.SEnPI)
            .Field("exception_threshold", result.ExceptionThreshold)
            .Field("drivers", string.Join(",", drivers))
            .Field("coefficients", string.Join(",", model.Coefficients.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name}={c.Estimate:G6}"))))
            .At(LocalMidnight(new DateOnly(programme.BaselineYear, 1, 1), zone));

        if (level == RollupLevel.Site)
        {
            foreach (var day in days.Where(d => d.Period is { IsException: true } && d.Start >= _alertsFrom))
            {
                output.Point("alert").Tag("site", site.Id).Tag("kind", "savings_exception").Tag("source", nodeId + "/" + node.CarrierName).Tag("severity", "warning")
                    .Field("value", day.Period!.Deviation).Field("threshold", result.ExceptionThreshold)
                    .Field("message", string.Create(CultureInfo.InvariantCulture, $"{node.CarrierName}: {day.Actual:0} {node.Unit} against {day.Expected:0} expected (more than 2σ of the baseline model)"))
                    .At(day.Start);
            }
        }

        return series;
    }

    /// <summary>Drivers of one day: each counter's output, then cooling degree days (base 18 °C) when named; null when one is missing.</summary>
    private double[]? DriverValues(Site site, DateTimeOffset day, string[] drivers, IReadOnlyList<ProductionCounter> counters)
    {
        var values = new double[drivers.Length];
        for (var i = 0; i < counters.Count; i++)
        {
            if (!_dailyOutput.TryGetValue((site.Id, counters[i].Id), out var outputs) || !outputs.TryGetValue(day, out values[i]))
            {
                return null;
            }
        }

        if (drivers.Length > counters.Count)
        {
            if (!_dailyTemperature.TryGetValue(site.Id, out var temperatures) || !temperatures.TryGetValue(day, out var mean))
            {
                return null;
            }

            values[^1] = Math.Max(0, mean - CoolingBaseC);
        }

        return values;
    }

    /// <summary>Ecosystem or programme savings: the members' sums on the days all of them have; uncertainties add in quadrature (independent models).</summary>
    private static SavingsSeries Sum(RollupLevel level, string node, string? ecosystem, List<SavingsSeries> members, TimeZoneInfo zone)
    {
        var common = members.Select(m => m.Days.Select(d => d.Start)).Aggregate((a, b) => a.Intersect(b)).ToHashSet();
        var byStart = members.Select(m => m.Days.Where(d => common.Contains(d.Start)).ToDictionary(d => d.Start)).ToList();
        var days = new List<SavingsDay>();
        double cusum = 0, cumulativeExpected = 0;
        foreach (var start in common.Order())
        {
            var parts = byStart.Select(b => b[start]).ToList();
            var actual = parts.Sum(p => p.Actual);
            var expected = parts.Sum(p => p.Expected);
            cusum += expected - actual;
            cumulativeExpected += expected;
            days.Add(new SavingsDay(start, actual, expected, cusum, cumulativeExpected, Math.Sqrt(parts.Sum(p => double.IsFinite(p.Uncertainty) ? p.Uncertainty * p.Uncertainty : 0)), double.NaN, null));
        }

        return new SavingsSeries(level, node, null, ecosystem, members[0].Carrier, members[0].Unit, zone, days);
    }

    /// <summary>kpi_savings at 1d, and at 1mo (sums over the local month; CUSUM and uncertainty at the month's last day).</summary>
    private static void WriteSavingsDays(KpiLines output, Programme programme, SavingsSeries series)
    {
        foreach (var day in series.Days)
        {
            SavingsFields(Tags(output.Point("kpi_savings"), programme, series).Tag("resolution", "1d"), day.Actual, day.Expected, day, day.Output)
                .Field("exception", day.Period is null ? double.NaN : day.Period.IsException ? 1 : 0)
                .At(day.Start);
        }

        foreach (var month in series.Days.GroupBy(d => LocalMonthStart(d.Start, series.Zone)))
        {
            var outputs = month.Sum(d => d.Output);
            SavingsFields(Tags(output.Point("kpi_savings"), programme, series).Tag("resolution", "1mo"), month.Sum(d => d.Actual), month.Sum(d => d.Expected), month.Last(), outputs)
                .At(month.Key);
        }
    }

    private static KpiLines SavingsFields(KpiLines point, double actual, double expected, SavingsDay last, double output) => point
        .Field("actual", actual).Field("expected", expected).Field("savings", expected - actual)
        .Field("cusum", last.Cusum).Field("cusum_uncertainty", last.Uncertainty).Field("improvement", last.Cusum / last.CumulativeExpected)
        .Field("output", output).Field("actual_per_unit", output > 0 ? actual / output : double.NaN).Field("expected_per_unit", output > 0 ? expected / output : double.NaN);

    private static KpiLines Tags(KpiLines point, Programme programme, SavingsSeries series) => point
        .Tag("level", series.Level.ToName()).Tag("node", series.Node).Tag("site", series.Site?.Id).Tag("ecosystem", series.Ecosystem)
        .Tag("programme", programme.Id).Tag("carrier", series.Carrier).Tag("unit", series.Unit);

    // ------------------------------------------------------------------ trajectories

    private void WriteTrajectories(KpiLines output, Programme programme)
    {
        var zone = _registry.FindSite(programme.SiteIds[0])!.TimeZone;
        var nodes = programme.SiteIds.Select(id => (Level: RollupLevel.Site, Id: id, Site: (string?)id, Ecosystem: (string?)_registry.FindSite(id)!.Ecosystem))
            .Concat(programme.Ecosystems.Select(e => (Level: RollupLevel.Ecosystem, Id: e, Site: (string?)null, Ecosystem: (string?)e)))
            .Append((Level: RollupLevel.Programme, Id: programme.Id, Site: null, Ecosystem: null));
        var quantities = new (string Name, string Unit, Carrier? Carrier, double? Percent, Func<RollupInterval, double> Value)[]
        {
            ("co2e", "tCO2e", null, programme.Targets.Co2ePercent, r => r.Co2eKg / 1000),
            ("energy", "MWh", null, programme.Targets.EnergyPercent, r => r.EnergyKwh / 1000),
            ("water", "m3", Carrier.Water, programme.Targets.WaterPercent, r => r.Consumption),
        };
        foreach (var (level, id, site, ecosystem) in nodes)
        {
            foreach (var quantity in quantities.Where(q => q.Percent is not null))
            {
                var node = _topology.Find(level, id, quantity.Carrier, site);
                if (node is null)
                {
                    continue;
                }

                var years = Records(node, IntervalResolution.Month)
                    .GroupBy(m => LocalYear(m.Start, zone))
                    .ToDictionary(g => g.Key, g => (Total: g.Sum(quantity.Value), Months: g.Count()));
                if (!years.TryGetValue(programme.BaselineYear, out var baseYear) || baseYear.Months < 12)
                {
                    continue;
                }

                var trajectory = new LinearTrajectory(baseYear.Total, programme.BaselineYear, quantity.Percent!.Value / 100, programme.TargetYear);
                for (var year = programme.BaselineYear; year <= programme.TargetYear; year++)
                {
                    var start = LocalMidnight(new DateOnly(year, 1, 1), zone);
                    var end = LocalMidnight(new DateOnly(year + 1, 1, 1), zone);
                    var target = trajectory.Target(year);
                    var point = output.Point("kpi_trajectory").Tag("level", level.ToName()).Tag("node", id).Tag("site", site).Tag("ecosystem", ecosystem)
                        .Tag("programme", programme.Id).Tag("quantity", quantity.Name).Tag("unit", quantity.Unit)
                        .Field("baseline", baseYear.Total).Field("target", target).Field("target_reduction_fraction", 1 - (target / baseYear.Total));
                    if (years.TryGetValue(year, out var actual) && start < _now)
                    {
                        var covered = (Min(end, _now) - start).TotalSeconds;
                        var annualised = actual.Total * (end - start).TotalSeconds / covered;
                        point.Field("actual", actual.Total).Field("annualised", annualised).Field("gap", trajectory.Gap(year, annualised))
                            .Field("reduction_fraction", ProgrammeKpis.Reduction(baseYear.Total, annualised).Fraction);
                    }

                    point.At(start);
                }
            }
        }
    }

    // ------------------------------------------------------------------ demand

    private void WriteDemand(KpiLines output, Site site)
    {
        var node = _topology.Find(RollupLevel.Site, site.Id, Carrier.Electricity, site.Id);
        if (node is null || site.ContractDemandKw is not { } contract)
        {
            return;
        }

        foreach (var resolution in new[] { IntervalResolution.Day, IntervalResolution.Month })
        {
            foreach (var record in Records(node, resolution))
            {
                var utilisation = record.PeakDemand / contract;
                output.Point("kpi_demand").Tag("site", site.Id).Tag("resolution", resolution.ToName())
                    .Field("max_demand_kw", record.PeakDemand).Field("contract_kw", contract).Field("utilisation", utilisation)
                    .At(record.Start);
                if (resolution == IntervalResolution.Day && utilisation > 0.9 && record.Start >= _alertsFrom)
                {
                    output.Point("alert").Tag("site", site.Id).Tag("kind", "demand_over_contract").Tag("source", site.Id).Tag("severity", utilisation > 1 ? "critical" : "warning")
                        .Field("value", record.PeakDemand).Field("threshold", contract)
                        .Field("message", string.Create(CultureInfo.InvariantCulture, $"15-min demand {record.PeakDemand:0} kW is {utilisation:P0} of the {contract:0} kW contract"))
                        .At(record.Start);
                }
            }
        }
    }

    // ------------------------------------------------------------------ night flows, base load, leaks

    private void WriteNight(KpiLines output, Site site)
    {
        var baselineYear = _registry.Programmes.Where(p => p.SiteIds.Contains(site.Id)).Select(p => p.BaselineYear).DefaultIfEmpty(_now.Year - 1).Min();
        var electricity = _topology.Find(RollupLevel.Site, site.Id, Carrier.Electricity, site.Id);
        var targets = site.Meters.Where(m => m.Carrier == Carrier.Water).Select(m => (Level: RollupLevel.Meter, Id: m.Id, Node: _topology.Find(RollupLevel.Meter, m.Id, Carrier.Water, site.Id)))
            .Prepend((Level: RollupLevel.Site, Id: site.Id, Node: electricity));
        foreach (var (level, id, node) in targets)
        {
            if (node is null)
            {
                continue;
            }

            var days = LocalDaysOfHours(node, site.TimeZone);
            var isWater = node.Carrier == Carrier.Water;
            var baselineNights = days.Where(d => d.Date.Year == baselineYear).Select(d => LeakDetection.MinimumNightFlow(d.Hours, NightWindow.Default)).ToList();
            var nightBaseline = isWater && baselineNights.Count >= 2 ? NightFlowBaseline.FromHistory(baselineNights) : null;
            var unit = isWater ? "m3/h" : "kW";
            foreach (var (date, start, hours) in days.Where(d => d.Start >= _alertsFrom))
            {
                var night = LeakDetection.MinimumNightFlow(hours, NightWindow.Default);
                var continuous = LeakDetection.ContinuousFlow(hours);
                var assessment = nightBaseline is null ? null : LeakDetection.NightFlow(night, nightBaseline);
                var point = output.Point("kpi_night").Tag("site", site.Id).Tag("level", level.ToName()).Tag("node", id).Tag("carrier", node.CarrierName).Tag("unit", unit)
                    .Field("night_min", night).Field("day_min", continuous.ContinuousFlowRate);
                if (assessment is not null)
                {
                    point.Field("threshold", assessment.Threshold).Field("night_alert", assessment.IsAlert ? 1 : 0)
                        .Field("continuous_alert", continuous.IsSuspected ? 1 : 0).Field("estimated_leak_m3", assessment.EstimatedLeakPerDay);
                }

                point.At(start);
                if (assessment is { IsAlert: true })
                {
                    output.Point("alert").Tag("site", site.Id).Tag("kind", "night_flow").Tag("source", id).Tag("severity", "warning")
                        .Field("value", night).Field("threshold", assessment.Threshold)
                        .Field("message", string.Create(CultureInfo.InvariantCulture, $"minimum night flow {night:0.###} m3/h above {assessment.Threshold:0.###} m3/h: about {assessment.EstimatedLeakPerDay:0.#} m3/day lost"))
                        .At(start);
                }

                if (isWater && continuous.IsSuspected)
                {
                    output.Point("alert").Tag("site", site.Id).Tag("kind", "continuous_flow").Tag("source", id).Tag("severity", "info")
                        .Field("value", continuous.ContinuousFlowRate).Field("threshold", 0)
                        .Field("message", string.Create(CultureInfo.InvariantCulture, $"no hour without flow: at least {continuous.ContinuousFlowRate:0.###} m3/h all day"))
                        .At(start);
                }
            }
        }
    }

    /// <summary>The node's hourly consumption per local day (index = local hour), for days with exactly 24 hours recorded.</summary>
    private List<(DateOnly Date, DateTimeOffset Start, double[] Hours)> LocalDaysOfHours(RollupNode node, TimeZoneInfo zone)
    {
        var days = new List<(DateOnly, DateTimeOffset, double[])>();
        foreach (var day in Records(node, IntervalResolution.Hour).GroupBy(h => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(h.Start, zone).DateTime)).OrderBy(g => g.Key))
        {
            var hours = new double[24];
            var seen = 0;
            foreach (var hour in day)
            {
                var local = TimeZoneInfo.ConvertTime(hour.Start, zone);
                hours[local.Hour] = hour.Consumption;
                seen++;
            }

            if (seen == 24)
            {
                days.Add((day.Key, LocalMidnight(day.Key, zone), hours));
            }
        }

        return days;
    }

    // ------------------------------------------------------------------ projects

    private void WriteProjects(KpiLines output)
    {
        foreach (var project in _registry.Projects)
        {
            var site = _registry.FindSite(project.SiteId)!;
            var today = LocalMidnight(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_now, site.TimeZone).DateTime), site.TimeZone);
            var margin = _registry.FindEmissionFactor(Carrier.Electricity, EmissionFactorKind.CombinedMargin, today.Year);
            var energy = project.ExpectedSavings.EnergyKwh ?? 0;
            var investment = new ProjectInvestment(project.Capex, project.ExpectedSavings.Cost, project.LifetimeYears, energy,
                margin is null ? 0 : energy * margin.KgPerUnit / 1000);
            var business = BusinessCase.Evaluate(investment, project.DiscountRate);
            foreach (var programme in _registry.Programmes.Where(p => p.SiteIds.Contains(site.Id)))
            {
                output.Point("kpi_project").Tag("programme", programme.Id).Tag("ecosystem", site.Ecosystem).Tag("site", site.Id)
                    .Tag("project", project.Id).Tag("status", project.Status.ToString().ToLowerInvariant()).Tag("currency", project.Currency)
                    .Field("name", project.Name).Field("capex", project.Capex).Field("annual_savings", project.ExpectedSavings.Cost)
                    .Field("expected_energy_kwh", energy).Field("expected_water_m3", project.ExpectedSavings.WaterM3 ?? 0).Field("expected_gas_nm3", project.ExpectedSavings.GasNm3 ?? 0)
                    .Field("npv", business.Npv).Field("irr", business.Irr ?? double.NaN).Field("simple_payback_years", business.SimplePayback ?? double.NaN)
                    .Field("discounted_payback_years", business.DiscountedPayback ?? double.NaN).Field("npv_low", business.NpvLowSavings).Field("npv_high", business.NpvHighSavings)
                    .Field("tco2e_per_year", investment.AnnualTco2eAvoided).Field("abatement_cost", business.AbatementCost ?? double.NaN)
                    .Field("risk_expected_loss", project.Risks.Sum(r => r.ExpectedLoss))
                    .At(today);
            }
        }
    }

    // ------------------------------------------------------------------ local calendar

    private IReadOnlyList<RollupInterval> Records(RollupNode node, IntervalResolution resolution) =>
        _store.GetNodeIntervals(node, resolution, DateTimeOffset.MinValue, DateTimeOffset.MaxValue);

    private static int LocalYear(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).Year;

    private static DateTimeOffset LocalMonthStart(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return LocalMidnight(new DateOnly(local.Year, local.Month, 1), zone);
    }

    /// <summary>The instant of local midnight (the zones in use never move their clocks at midnight).</summary>
    public static DateTimeOffset LocalMidnight(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
