using System.Diagnostics;
using System.Globalization;
using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.Testing;

namespace Monitoring.Dashboards.Tests;

/// <summary>What <see cref="DashboardDataFiller.FillAsync"/> wrote.</summary>
internal sealed record FillSummary(long Points, long ReadingsAccepted, TimeSpan Simulation, TimeSpan Total);

/// <summary>
/// Fills an InfluxDB 1.x database with what the dashboards read, until <c>monitoring serve</c> and the InfluxDB sink
/// write it: the example plants simulated from 1 January 2023 to <see cref="Now"/> (15-minute readings, two extra
/// faults in the last days) and aggregated by the product's own core, formatted into the measurements of
/// docs/data-model.md. The KPI and alert series come from the KPI engine (<see cref="KpiSeries"/>); quarantine counts
/// from the <see cref="PointRouter"/> refusing a few bad lines. <c>edge_status</c> alone is synthetic: an agent's
/// health fields over the last days with an uplink outage (the field names are those <c>monitoring-edge</c> emits).
/// </summary>
internal static class DashboardDataFiller
{
    /// <summary>The "now" of the simulated data; the query test expands Grafana's relative times against it.</summary>
    public static DateTimeOffset Now { get; } = new(2025, 10, 15, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Quarter hours, hours and edge health are written from here on; days and months for the whole period.</summary>
    public static DateTimeOffset DetailFrom { get; } = Now.AddDays(-9);

    /// <summary>KPI days (night flows, alerts) are written from here on.</summary>
    public static DateTimeOffset KpiDaysFrom { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The extra faults, local times of the sites: a gap on a CNC meter and a gateway outage at Tangier.</summary>
    private static readonly Dictionary<string, string[]> ExtraFaults = new(StringComparer.Ordinal)
    {
        ["casa-aero"] = ["{ type: drop, meter: cnc-line-1, from: \"2025-10-13 10:00\", to: \"2025-10-13 12:00\" }"],
        ["tanger-mach"] = ["{ type: drop, gateway: water-gw, from: \"2025-10-14 02:00\", to: \"2025-10-14 03:30\" }"],
    };

    public static async Task<FillSummary> FillAsync(InfluxDb1Client client, string database, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await client.CreateDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
        var records = new PlantRecords(DetailFrom);
        var plants = await SimulatedPlants.RunAsync("2023-01-01", LocalText(Now, "Africa/Casablanca"), TimeSpan.FromMinutes(15), ExtraFaults, records, cancellationToken).ConfigureAwait(false);
        var simulation = clock.Elapsed;

        var output = new LinePointWriter((lines, ct) => client.WriteAsync(database, lines, "s", ct));
        await WriteIntervalsAsync(output, records, cancellationToken).ConfigureAwait(false);
        await new KpiSeries(plants, records, Now, KpiDaysFrom).WriteAsync(output, cancellationToken).ConfigureAwait(false);
        await WriteQuarantineAsync(output, plants, cancellationToken).ConfigureAwait(false);
        await WriteEdgeStatusAsync(output, plants.Registry, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new FillSummary(output.Points, plants.Router.Accepted, simulation, clock.Elapsed);
    }

    private static string LocalText(DateTimeOffset instant, string zone) =>
        TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.FindSystemTimeZoneById(zone)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>interval_series, interval_meter, interval_node and kpi_intensity exactly as docs/data-model.md lists them.</summary>
    private static async Task WriteIntervalsAsync(LinePointWriter output, PlantRecords records, CancellationToken cancellationToken)
    {
        foreach (var s in records.Series.Values.Where(s => records.IsWritten(s.Resolution, s.Start) && s.Start >= records.DetailFrom))
        {
            var point = output.Point("interval_series").Tag("site", s.Series.SiteId).Tag("meter", s.Series.MeterId).Tag("field", s.Series.Field).Tag("resolution", s.Resolution.ToName());
            if (s.Series.Kind == FieldKind.Counter)
            {
                point.Field("consumption", s.Consumption).Field("estimated", s.EstimatedConsumption).Field("demand", s.PeakDemand).Field("covered_s", s.CoveredMilliseconds / 1000.0);
            }
            else
            {
                point.Field("mean", s.Mean).Field("min", s.Min).Field("max", s.Max).Field("last", s.Last).Field("count", s.Count);
            }

            await point.Field("flags", s.Flags.ToNames()).AtAsync(s.Start, cancellationToken).ConfigureAwait(false);
        }

        foreach (var r in records.Rollups.Values.Where(r => records.IsWritten(r.Resolution, r.Start)))
        {
            var node = r.Node;
            var point = node.Level == RollupLevel.Meter
                ? output.Point("interval_meter").Tag("site", node.SiteId).Tag("meter", node.Id).Tag("carrier", node.CarrierName).Tag("unit", node.Unit)
                    .Tag("virtual", node.IsVirtual ? "true" : "false")
                : output.Point("interval_node").Tag("level", node.Level.ToName()).Tag("node", node.Id).Tag("site", node.SiteId).Tag("carrier", node.CarrierName).Tag("unit", node.Unit);
            point.Tag("resolution", r.Resolution.ToName())
                .Field("consumption", r.Consumption).Field("estimated", r.EstimatedConsumption).Field("gross", r.GrossConsumption)
                .Field("estimated_fraction", r.EstimatedFraction).Field("energy_kwh", r.EnergyKwh).Field("co2e_kg", r.Co2eKg).Field("co2e_market_kg", r.Co2eMarketKg);
            if (node.Carrier == Carrier.Electricity)
            {
                point.Field("demand_kw", r.PeakDemand).Field("reactive_kvarh", node.HasReactiveEnergy ? r.ReactiveKvarh : double.NaN).Field("pf", r.PowerFactor);
            }

            await point.Field("factor_year", r.FactorYear == 0 ? double.NaN : r.FactorYear).Field("inputs", r.Inputs).Field("expected_inputs", r.ExpectedInputs)
                .Field("flags", r.Flags.ToNames()).AtAsync(r.Start, cancellationToken).ConfigureAwait(false);
        }

        foreach (var i in records.Intensities.Values)
        {
            var node = i.Node;
            await output.Point("kpi_intensity").Tag("level", node.Level.ToName()).Tag("node", node.Id).Tag("site", node.SiteId).Tag("carrier", node.CarrierName)
                .Tag("unit", node.Unit).Tag("counter", i.Definition.Counter.Id).Tag("output_unit", i.Definition.Counter.Unit).Tag("resolution", i.Resolution.ToName())
                .Field("consumption", i.Consumption).Field("energy_kwh", i.EnergyKwh).Field("co2e_kg", i.Co2eKg).Field("output", i.Output)
                .Field("per_unit", i.ConsumptionPerUnit).Field("energy_kwh_per_unit", i.EnergyKwhPerUnit).Field("co2e_kg_per_unit", i.Co2eKgPerUnit)
                .Field("flags", i.Flags.ToNames()).AtAsync(i.Start, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// quarantine: readings the registry refuses, counted per site, reason and hour by the router itself. A few bad
    /// lines per hour over the last day: a meter missing from the registry and a field a meter does not declare.
    /// </summary>
    private static async Task WriteQuarantineAsync(LinePointWriter output, SimulatedPlants plants, CancellationToken cancellationToken)
    {
        var bad = new (string Site, string Line)[]
        {
            ("casa-aero", "meter,site=casa-aero,meter=compressor-4 energy_import_kwh=1520.5,power_kw=71.2"),
            ("tanger-mach", "meter,site=tanger-mach,meter=chillers volume_m3=12.5"),
        };
        for (var hour = Now.AddHours(-24); hour < Now; hour = hour.AddHours(1))
        {
            foreach (var (site, line) in bad)
            {
                var before = Enum.GetValues<RejectionReason>().ToDictionary(r => r, plants.Router.Rejected);
                var repeats = 1 + (hour.Hour % 3);
                var body = new StringBuilder();
                for (var k = 0; k < repeats; k++)
                {
                    body.Append(line).Append(' ').Append(hour.AddMinutes(k).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                await plants.FeedAsync(body.ToString(), cancellationToken).ConfigureAwait(false);
                foreach (var reason in Enum.GetValues<RejectionReason>().Where(r => plants.Router.Rejected(r) > before[r]))
                {
                    await output.Point("quarantine").Tag("site", site).Tag("reason", ReasonName(reason))
                        .Field("count", plants.Router.Rejected(reason) - before[reason])
                        .AtAsync(hour, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The <c>reason</c> tag: the rejection reason in snake case (unknown_meter, unknown_field...).</summary>
    public static string ReasonName(RejectionReason reason) =>
        string.Concat(reason.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>
    /// edge_status, synthetic: one agent per site every 5 minutes over the detail window. The Casablanca agent loses
    /// its uplink for three hours two days ago (the buffer fills, then drains) and counts device errors while
    /// cnc-line-1 is dropped; the Tangier agent counts errors while its water gateway is down.
    /// </summary>
    private static async Task WriteEdgeStatusAsync(LinePointWriter output, SiteRegistry registry, CancellationToken cancellationToken)
    {
        const double RecordsPerMinute = 60; // one agent's readings per minute: counters and gauges of its devices
        var outageFrom = Now.AddDays(-2).AddHours(-3);
        var outageTo = outageFrom.AddHours(3);
        foreach (var site in registry.Sites)
        {
            var faultFrom = site.Id == "casa-aero" ? new DateTimeOffset(2025, 10, 13, 9, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2025, 10, 14, 1, 0, 0, TimeSpan.Zero);
            var faultTo = faultFrom.AddHours(site.Id == "casa-aero" ? 2 : 1.5);
            double deviceErrors = 0, batches = 0, failures = 0;
            for (var t = DetailFrom; t <= Now; t = t.AddMinutes(5))
            {
                var down = site.Id == "casa-aero" && t >= outageFrom && t < outageTo;
                var backlogMinutes = down ? (t - outageFrom).TotalMinutes : Math.Max(0, (outageTo - outageFrom).TotalMinutes - (3 * (t - outageTo).TotalMinutes));
                var backlog = site.Id == "casa-aero" && t >= outageFrom ? backlogMinutes : 0;
                deviceErrors += t >= faultFrom && t < faultTo ? 5 * 12 : 0; // one failed poll per 5 s
                batches += down ? 0 : 5 * 60;
                failures += down ? 5 * 2 : 0;
                await output.Point("edge_status").Tag("site", site.Id).Tag("agent", "edge-" + site.Id)
                    .Field("buffer_records", (backlog * RecordsPerMinute) + 12).Field("buffer_bytes", ((backlog * RecordsPerMinute) + 12) * 96)
                    .Field("buffer_oldest_s", backlog > 0 ? backlog * 60 : 1).Field("dropped_total", 0).Field("dropped_gauges_full", 0)
                    .Field("dropped_counters_full", 0).Field("dropped_expired", 0).Field("device_errors_total", deviceErrors)
                    .Field("invalid_values_total", 0).Field("uplink_up", down ? 0 : 1).Field("uplink_lag_s", backlog > 0 ? backlog * 60 : 1)
                    .Field("uplink_batches_sent", batches).Field("uplink_failures_total", failures).Field("uplink_records_rejected", 0)
                    .AtAsync(t, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
