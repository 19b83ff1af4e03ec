using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>Roll-ups of synthetic readings on the example registry: balances, corrections, forced closes.</summary>
public sealed class RollupFlowTests
{
    private const string Site = "casa-aero";

    private static readonly (string Meter, double Max)[] ElectricChildren =
        [("compressors", 80), ("cnc-line-1", 100), ("cnc-line-2", 100), ("furnace-aux", 30), ("chillers", 120), ("lighting-hvac", 20)];

    private static readonly (string Meter, double Max)[] WaterChildren = [("water-process", 3), ("water-cooling-tower", 2), ("water-sanitary", 0.5)];

    /// <summary>One local day (2024-06-10, UTC+1) of 15-minute reads of every counter of casa-aero; a few sub-meter reads are missing.</summary>
    private static List<(string Meter, string Field, DateTimeOffset Time, double Value)> Day(int seed, string? skipMeter = null, DateTimeOffset? skipAt = null)
    {
        var random = new Random(seed);
        var readings = new List<(string, string, DateTimeOffset, double)>();
        var registers = new Dictionary<string, double>(StringComparer.Ordinal) { ["compressors/energy_import_kwh"] = 999_000, ["gas-main/gas_volume_nm3"] = 99_999_990 };
        var start = Utc("2024-06-09T23:00:00Z");
        for (var q = 0; q <= 96; q++)
        {
            var t = start.AddMinutes(15 * q);

            void Add(string meter, string field, double increment, double? modulus = null)
            {
                var key = meter + "/" + field;
                var value = registers.GetValueOrDefault(key) + (q == 0 ? 0 : increment);
                if (modulus is { } m && value >= m)
                {
                    value -= m;
                }

                registers[key] = value;
                var missing = (meter == skipMeter && t == skipAt) || (meter == "cnc-line-1" && q is 30 or 61);
                if (!missing)
                {
                    readings.Add((meter, field, t, Math.Round(value, 6)));
                }
            }

            var children = 0.0;
            foreach (var (meter, max) in ElectricChildren)
            {
                var increment = Math.Round(random.NextDouble() * max, 3);
                children += increment;
                Add(meter, "energy_import_kwh", increment, meter == "compressors" ? 1_000_000 : null);
            }

            var main = children + Math.Round(random.NextDouble() * 25, 3);
            Add("main-incomer", "energy_import_kwh", main);
            Add("main-incomer", "reactive_energy_kvarh", main * 0.4);

            var water = 0.0;
            foreach (var (meter, max) in WaterChildren)
            {
                var increment = Math.Round(random.NextDouble() * max, 4);
                water += increment;
                Add(meter, "volume_m3", increment);
            }

            Add("water-main", "volume_m3", water + Math.Round(random.NextDouble() * 0.3, 4));
            var furnace = Math.Round(random.NextDouble() * 20, 3);
            Add("furnace-gas", "gas_volume_nm3", furnace);
            Add("gas-main", "gas_volume_nm3", furnace + Math.Round(random.NextDouble() * 2, 3), 100_000_000);
            Add("machining-parts", "units", random.Next(0, 6));
            Add("treated-parts", "units", random.Next(0, 6));
        }

        return readings;
    }

    private static RollupHarness Feed(IEnumerable<(string Meter, string Field, DateTimeOffset Time, double Value)> readings, AggregatorOptions? options = null)
    {
        var h = new RollupHarness(RollupHarness.Example(), options);
        foreach (var (meter, field, time, value) in readings)
        {
            h.Read(Site, meter, field, time, value);
        }

        return h;
    }

    private static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [InlineData(Carrier.Electricity, "elec-unmetered")]
    [InlineData(Carrier.Water, "water-unaccounted")]
    public void The_site_total_equals_the_sum_of_its_lines_and_the_unmetered_remainder(Carrier carrier, string unmetered)
    {
        var h = Feed(Day(7));
        h.Close();
        var site = h.Node(RollupLevel.Site, Site, carrier, Site);
        var lines = h.Topology.Nodes.Where(n => n.Level == RollupLevel.Line && n.SiteId == Site && n.Carrier == carrier).ToList();
        var realLines = lines.Where(n => n.Id != RollupNode.CommonLineId).ToList();
        var common = h.Node(RollupLevel.Line, RollupNode.CommonLineId, carrier, Site);
        var unassigned = common.Inputs.Where(n => !n.IsVirtual).ToList();
        var remainder = h.Node(RollupLevel.Meter, unmetered, carrier, Site);
        var main = h.Node(RollupLevel.Meter, site.Inputs.Single().Id, carrier, Site);

        foreach (var resolution in IntervalResolutions.All)
        {
            var totals = h.Merged(site, resolution);
            Assert.NotEmpty(totals);
            var byLine = lines.Select(n => h.Merged(n, resolution)).ToList();
            var byRealLine = realLines.Select(n => h.Merged(n, resolution)).ToList();
            var byUnassigned = unassigned.Select(n => h.Merged(n, resolution)).ToList();
            var byRemainder = h.Merged(remainder, resolution);
            var byMain = h.Merged(main, resolution);
            foreach (var (start, total) in totals)
            {
                Near(byMain[start].Consumption, total.Consumption, $"{resolution} {start} site = main meter");
                Near(total.Consumption, byLine.Sum(l => l[start].Consumption), $"{resolution} {start} site = Σ line nodes");
                Near(total.Consumption, byRealLine.Sum(l => l[start].Consumption) + byUnassigned.Sum(m => m[start].Consumption) + byRemainder[start].Consumption,
                    $"{resolution} {start} site = Σ lines + unassigned leaves + unmetered");
                Near(total.Co2eKg, byLine.Sum(l => l[start].Co2eKg), $"{resolution} {start} CO2e balance");
                Assert.Equal(total.ExpectedInputs, total.Inputs);   // written because every input delivered, not forced
            }
        }

        Assert.Equal(0, h.Engine.Counters.Corrections);
        // (The programme node waits for tanger-mach, which sends nothing: it is written as its buffer fills, INCOMPLETE.)
        // The day: 96 quarters, 24 hours, one day (local), one month.
        Assert.Equal([96, 24, 1, 1], IntervalResolutions.All.Select(r => h.Merged(site, r).Count));
    }

    [Fact]
    public void Estimated_consumption_propagates_weighted_by_consumption()
    {
        var h = Feed(Day(11));
        h.Close();
        var cnc1 = h.Node(RollupLevel.Meter, "cnc-line-1", Carrier.Electricity, Site);
        var cnc2 = h.Node(RollupLevel.Meter, "cnc-line-2", Carrier.Electricity, Site);
        var machining = h.Node(RollupLevel.Line, "machining", Carrier.Electricity, Site);
        // cnc-line-1 misses its read at q = 30 (2024-06-10T06:30Z): the quarters 06:15 and 06:30 are estimated.
        var quarter = "2024-06-10T06:15:00Z";
        var m1 = h.At(cnc1, IntervalResolution.FifteenMinutes, quarter);
        var m2 = h.At(cnc2, IntervalResolution.FifteenMinutes, quarter);
        var line = h.At(machining, IntervalResolution.FifteenMinutes, quarter);
        Assert.Equal(1, m1.EstimatedFraction);
        Assert.Equal(0, m2.EstimatedFraction);
        Near(m1.Consumption / (m1.Consumption + m2.Consumption), line.EstimatedFraction, "line estimated fraction");
        Assert.True((line.Flags & IntervalQuality.Estimated) != 0);
        // The hour 06:00-07:00 (UTC) holds the whole gap: measured.
        Assert.Equal(0, h.At(machining, IntervalResolution.Hour, "2024-06-10T06:00:00Z").EstimatedFraction);
    }

    [Fact]
    public void A_late_reading_changes_the_site_total_by_the_same_delta_as_the_meter()
    {
        var skipAt = Utc("2024-06-10T10:15:00Z");
        var readings = Day(5, "main-incomer", skipAt);
        var late = Day(5).Single(r => r.Meter == "main-incomer" && r.Field == "energy_import_kwh" && r.Time == skipAt);
        var h = Feed(readings.Where(r => r.Time < Utc("2024-06-10T12:00:00Z")));
        var main = h.Node(RollupLevel.Meter, "main-incomer", Carrier.Electricity, Site);
        var site = h.Node(RollupLevel.Site, Site, Carrier.Electricity, Site);
        var unmetered = h.Node(RollupLevel.Meter, "elec-unmetered", Carrier.Electricity, Site);
        var ecosystem = h.Node(RollupLevel.Ecosystem, "aeronautics", Carrier.Electricity);
        var programme = h.Node(RollupLevel.Programme, "ma-industry-2030", Carrier.Electricity);
        var quarter = "2024-06-10T10:00:00Z";
        var before = h.At(site, IntervalResolution.FifteenMinutes, quarter);
        Assert.Equal(1, before.EstimatedFraction);   // the main meter's share of the 30-minute gap

        Assert.Equal(UpdateResult.Corrected, h.Read(Site, late.Meter, late.Field, late.Time, late.Value));
        var meterCorrections = h.Corrections(main);
        var siteCorrections = h.Corrections(site);
        Assert.Equal(2, meterCorrections.Count(c => c.Resolution == IntervalResolution.FifteenMinutes));
        Assert.Equal(
            meterCorrections.Select(c => (c.Resolution, c.Start, c.Consumption, c.EstimatedConsumption, c.Co2eKg)),
            siteCorrections.Select(c => (c.Resolution, c.Start, c.Consumption, c.EstimatedConsumption, c.Co2eKg)));
        Assert.Equal(
            meterCorrections.Select(c => (c.Resolution, c.Start, c.Consumption)),
            h.Corrections(unmetered).Select(c => (c.Resolution, c.Start, c.Consumption)));
        Assert.Equal(meterCorrections.Select(c => (c.Start, c.Consumption)), h.Corrections(ecosystem).Select(c => (c.Start, c.Consumption)));
        // The programme still waits for tanger-mach (no data): its open intervals absorb the change, no correction needed.
        Assert.Empty(h.Corrections(programme));

        var after = h.At(site, IntervalResolution.FifteenMinutes, quarter);
        var delta = meterCorrections.Single(c => c.Resolution == IntervalResolution.FifteenMinutes && c.Start == Utc(quarter)).Consumption;
        Assert.NotEqual(0, delta);
        Near(before.Consumption + delta, after.Consumption, "site quarter after the correction");
        Assert.Equal(0, after.EstimatedFraction, 9);

        // Same result as if the reading had been on time.
        var reference = Feed(Day(5).Where(r => r.Time < Utc("2024-06-10T12:00:00Z")));
        var referenceSite = reference.Node(RollupLevel.Site, Site, Carrier.Electricity, Site);
        var referenceUnmetered = reference.Node(RollupLevel.Meter, "elec-unmetered", Carrier.Electricity, Site);
        Near(reference.At(referenceSite, IntervalResolution.FifteenMinutes, quarter).Consumption, after.Consumption, "site quarter vs in-order");
        Near(reference.At(referenceUnmetered, IntervalResolution.FifteenMinutes, quarter).Consumption, h.At(unmetered, IntervalResolution.FifteenMinutes, quarter).Consumption, "unmetered vs in-order");
    }

    [Fact]
    public void Advance_writes_incomplete_nodes_and_a_straggler_arrives_as_a_correction()
    {
        var h = new RollupHarness(RollupHarness.Example(), new AggregatorOptions { AllowedLateness = TimeSpan.Zero }, new RollupOptions { CompletionGrace = TimeSpan.Zero });
        var t0 = Utc("2024-06-10T08:00:00Z");
        h.Read(Site, "water-main", "volume_m3", t0, 100);
        h.Read(Site, "water-process", "volume_m3", t0, 10);
        h.Read(Site, "water-main", "volume_m3", t0.AddMinutes(15), 105);
        var unaccounted = h.Node(RollupLevel.Meter, "water-unaccounted", Carrier.Water, Site);
        var site = h.Node(RollupLevel.Site, Site, Carrier.Water, Site);
        Assert.Single(h.Merged(site, IntervalResolution.FifteenMinutes));   // the site needs only the main
        Assert.Empty(h.Merged(unaccounted, IntervalResolution.FifteenMinutes));   // waits for its sub-meters

        h.Engine.Advance(h.Aggregator.Watermark!.Value);
        var forced = h.At(unaccounted, IntervalResolution.FifteenMinutes, "2024-06-10T08:00:00Z");
        Assert.True((forced.Flags & IntervalQuality.Incomplete) != 0);
        Assert.Equal(1, forced.Inputs);
        Assert.Equal(4, forced.ExpectedInputs);
        Assert.Equal(5, forced.Consumption);

        h.Read(Site, "water-process", "volume_m3", t0.AddMinutes(15), 12);
        var corrections = h.Corrections(unaccounted);
        Assert.Equal(-2, Assert.Single(corrections, c => c.Resolution == IntervalResolution.FifteenMinutes).Consumption);
        Assert.Equal(3, h.At(unaccounted, IntervalResolution.FifteenMinutes, "2024-06-10T08:00:00Z").Consumption);
    }
}
