using Monitoring.Domain.Registry;

using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>Each rule of methods.md §Counters on its own.</summary>
public sealed class CounterRuleTests
{
    private const string Day = "2025-06-02T";

    private static Harness Run(Meter meter, AggregatorOptions? options, params (string Time, double Value)[] reads)
    {
        var h = new Harness(Registry("UTC", meter), options);
        foreach (var (time, value) in reads)
        {
            h.Read(meter.Id, $"{Day}{time}:00Z", value);
        }

        h.Aggregator.CloseAll();
        return h;
    }

    private static Harness Run(params (string Time, double Value)[] reads) => Run(Meter("m1", Counter()), null, reads);

    private static ClosedInterval Quarter(Harness h, string start) => h.Single(IntervalResolution.FifteenMinutes, $"{Day}{start}:00Z");

    [Fact]
    public void A_positive_delta_is_the_consumption()
    {
        var h = Run(("00:00", 1000), ("00:15", 1012.5));
        var q = Quarter(h, "00:00");
        Assert.Equal(12.5, q.Consumption);
        Assert.Equal(IntervalQuality.None, q.Flags);
        Assert.Equal(50, q.PeakDemand);
    }

    [Fact]
    public void Rollover_uses_the_field_modulus()
    {
        var h = Run(Meter("m1", Counter(rollover: 65536)), null, ("00:00", 65530), ("00:15", 4));
        var q = Quarter(h, "00:00");
        Assert.Equal(10, q.Consumption);
        Assert.Equal(IntervalQuality.Rollover, q.Flags);
    }

    [Fact]
    public void Without_a_modulus_a_wrap_is_a_reset()
    {
        var h = Run(("00:00", 65530), ("00:15", 4));
        var q = Quarter(h, "00:00");
        Assert.Equal(4, q.Consumption);
        Assert.Equal(IntervalQuality.Reset, q.Flags);
    }

    [Fact]
    public void Rollover_needs_prev_near_the_top_and_cur_near_zero()
    {
        // prev < 0.9 M: not a rollover; cur >= 0.9 prev: a dip.
        var h = Run(Meter("m1", Counter(rollover: 1000)), null, ("00:00", 880), ("00:15", 850));
        Assert.Equal(IntervalQuality.Dip, Quarter(h, "00:00").Flags);
    }

    [Fact]
    public void A_dip_gives_zero_and_keeps_the_reference()
    {
        var h = Run(("00:00", 200), ("00:15", 195), ("00:30", 262));
        Assert.Equal(0, Quarter(h, "00:00").Consumption);
        Assert.Equal(IntervalQuality.Dip, Quarter(h, "00:00").Flags);
        Assert.Equal(62, Quarter(h, "00:15").Consumption);
        Assert.Equal(IntervalQuality.None, Quarter(h, "00:15").Flags);
    }

    [Fact]
    public void A_reset_gives_the_new_value_flagged()
    {
        var h = Run(("00:00", 5000), ("00:15", 3), ("00:30", 10));
        Assert.Equal(3, Quarter(h, "00:00").Consumption);
        Assert.Equal(IntervalQuality.Reset, Quarter(h, "00:00").Flags);
        Assert.Equal(7, Quarter(h, "00:15").Consumption);
    }

    [Fact]
    public void A_registered_replacement_counts_old_final_minus_prev_plus_cur_minus_new_initial()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())));
        h.Aggregator.RegisterReplacement(new MeterReplacement("site-a", "m1", "energy_import_kwh", Utc($"{Day}00:10:00Z"), 1030, 2));
        h.Read("m1", $"{Day}00:00:00Z", 1000);
        h.Read("m1", $"{Day}00:15:00Z", 12);
        h.Read("m1", $"{Day}00:30:00Z", 20);
        h.Aggregator.CloseAll();
        var q = Quarter(h, "00:00");
        Assert.Equal((1030 - 1000) + (12 - 2), q.Consumption);
        Assert.Equal(IntervalQuality.Replacement, q.Flags);
        Assert.Equal(8, Quarter(h, "00:15").Consumption);
    }

    [Fact]
    public void A_replacement_declared_in_the_registry_is_applied_as_one_registered_in_code()
    {
        var meter = Meter("m1", Counter()) with { Replacements = [new RegisteredReplacement("energy_import_kwh", Utc($"{Day}00:10:00Z"), 1030, 2)] };
        var h = new Harness(Registry("UTC", meter));
        h.Read("m1", $"{Day}00:00:00Z", 1000);
        h.Read("m1", $"{Day}00:15:00Z", 12);
        h.Read("m1", $"{Day}00:30:00Z", 20);
        h.Aggregator.CloseAll();

        Assert.Equal(((1030 - 1000) + (12 - 2), IntervalQuality.Replacement), (Quarter(h, "00:00").Consumption, Quarter(h, "00:00").Flags));
        Assert.Equal(8, Quarter(h, "00:15").Consumption);
    }

    [Fact]
    public void A_replacement_declared_after_its_readings_were_aggregated_turns_the_reset_into_corrections_to_the_true_totals()
    {
        // The swap at 00:10 (old register 1030, new one from 2) was not declared: the readings make a RESET.
        var undeclared = Registry("UTC", Meter("m1", Counter()));
        var h = new Harness(undeclared);
        h.Read("m1", $"{Day}00:00:00Z", 1000);
        h.Read("m1", $"{Day}00:15:00Z", 12);
        h.Read("m1", $"{Day}00:30:00Z", 20);
        h.Read("m1", $"{Day}00:45:00Z", 31);
        h.Read("m1", $"{Day}01:15:00Z", 51);
        Assert.Equal(IntervalQuality.Reset, Quarter(h, "00:00").Flags);
        Assert.Equal(12, Quarter(h, "00:00").Consumption);
        using var state = new MemoryStream();
        h.Aggregator.SaveState(state);
        state.Position = 0;

        // Declared in the registry, the server restarted: the reset becomes the replacement, as corrections.
        var declared = Registry("UTC", Meter("m1", Counter()) with { Replacements = [new RegisteredReplacement("energy_import_kwh", Utc($"{Day}00:10:00Z"), 1030, 2)] });
        var sink = new InMemoryIntervalSink();
        var restarted = new IntervalAggregator(SeriesCatalog.Create(declared), sink, new AggregatorOptions(), h.Time);
        restarted.LoadState(state);
        Assert.Equal(1, restarted.ReconcileReplacements());
        var corrections = sink.Records.Where(r => r.IsCorrection && r.Resolution == IntervalResolution.FifteenMinutes && r.Start == Utc($"{Day}00:00:00Z")).ToList();
        var quarter = Assert.Single(corrections);
        Assert.Equal((1030 - 1000) + (12 - 2) - 12, quarter.Consumption, 9);
        Assert.True(quarter.Flags.HasFlag(IntervalQuality.Replacement));
        restarted.CloseAll();

        // Original plus corrections: the true consumption in the quarter, the hour and the day.
        var records = h.Sink.Records.Concat(sink.Records).Where(r => r.Series.MeterId == "m1").ToList();
        double Total(IntervalResolution resolution, string start) => records.Where(r => r.Resolution == resolution && r.Start == Utc($"{Day}{start}Z")).Sum(r => r.Consumption);
        Assert.Equal(40, Total(IntervalResolution.FifteenMinutes, "00:00:00"), 9);
        Assert.Equal(40 + 8 + 11 + 10, Total(IntervalResolution.Hour, "00:00:00"), 9); // half of the 00:45-01:15 gap
        Assert.Equal(40 + 8 + 11 + 20, Total(IntervalResolution.Day, "00:00:00"), 9);
    }

    [Fact]
    public void A_replacement_declared_days_later_long_after_its_readings_left_the_history_still_corrects_the_reset()
    {
        // The swap at 00:10 (old register 1030, new one from 2), then two days of quarter-hour readings (1 kWh each):
        // far more than the history keeps (32 readings).
        var h = new Harness(Registry("UTC", Meter("m1", Counter())));
        h.Read("m1", $"{Day}00:00:00Z", 1000);
        for (var q = 1; q <= 2 * 96; q++)
        {
            h.Read("m1", Utc($"{Day}00:00:00Z").AddMinutes(15 * q).ToString("O"), 11 + q);
        }

        Assert.Equal((12, IntervalQuality.Reset), (Quarter(h, "00:00").Consumption, Quarter(h, "00:00").Flags));
        using var state = new MemoryStream();
        h.Aggregator.SaveState(state);
        state.Position = 0;

        var declared = Registry("UTC", Meter("m1", Counter()) with { Replacements = [new RegisteredReplacement("energy_import_kwh", Utc($"{Day}00:10:00Z"), 1030, 2)] });
        var sink = new InMemoryIntervalSink();
        var restarted = new IntervalAggregator(SeriesCatalog.Create(declared), sink, new AggregatorOptions(), h.Time);
        restarted.LoadState(state);
        Assert.Equal(1, restarted.ReconcileReplacements());
        Assert.Equal(0, restarted.ReplacementsTooLate);

        var records = h.Sink.Records.Concat(sink.Records).Where(r => r.Series.MeterId == "m1").ToList();
        double Total(IntervalResolution resolution, string start) => records.Where(r => r.Resolution == resolution && r.Start == Utc($"{Day}{start}Z")).Sum(r => r.Consumption);
        Assert.Equal((1030 - 1000) + (12 - 2), Total(IntervalResolution.FifteenMinutes, "00:00:00"), 9);
        Assert.Equal(40 + (3 * 1), Total(IntervalResolution.Hour, "00:00:00"), 9);
        Assert.Equal(40 + 95, Total(IntervalResolution.Day, "00:00:00"), 9);

        // Declared once more (another restart): nothing changes twice.
        using var again = new MemoryStream();
        restarted.SaveState(again);
        again.Position = 0;
        var third = new IntervalAggregator(SeriesCatalog.Create(declared), new InMemoryIntervalSink(), new AggregatorOptions(), h.Time);
        third.LoadState(again);
        Assert.Equal(0, third.ReconcileReplacements());
    }

    [Fact]
    public void A_replacement_inside_a_gap_spreads_each_register_over_its_own_span()
    {
        var h = new Harness(Registry("UTC", Meter("m1", Counter())));
        h.Aggregator.RegisterReplacement(new MeterReplacement("site-a", "m1", "energy_import_kwh", Utc($"{Day}00:15:00Z"), 1030, 0));
        h.Read("m1", $"{Day}00:00:00Z", 1000);
        h.Read("m1", $"{Day}00:45:00Z", 60);
        h.Aggregator.CloseAll();
        Assert.Equal(30, Quarter(h, "00:00").Consumption);
        Assert.Equal(30, Quarter(h, "00:15").Consumption);
        Assert.Equal(30, Quarter(h, "00:30").Consumption);
        Assert.Equal(IntervalQuality.Replacement | IntervalQuality.Estimated, Quarter(h, "00:30").Flags);
    }

    [Fact]
    public void A_delta_above_rated_rate_times_hours_times_factor_is_a_spike_kept_raw()
    {
        // Rated 100 kW: a quarter hour may hold 100 × 0.25 × 1.2 = 30 kWh.
        var h = Run(Meter("m1", 100, Counter()), null, ("00:00", 0), ("00:15", 30), ("00:30", 60.5));
        Assert.Equal(IntervalQuality.None, Quarter(h, "00:00").Flags);
        var spike = Quarter(h, "00:15");
        Assert.Equal(30.5, spike.Consumption);
        Assert.Equal(IntervalQuality.Spike, spike.Flags);
        Assert.Equal(IntervalQuality.Spike, h.Single(IntervalResolution.Hour, $"{Day}00:00:00Z").Flags & IntervalQuality.Spike);
    }

    [Fact]
    public void The_spike_factor_is_configurable()
    {
        var h = Run(Meter("m1", 100, Counter()), new AggregatorOptions { SpikeFactor = 1.5 }, ("00:00", 0), ("00:15", 30.5));
        Assert.Equal(IntervalQuality.None, Quarter(h, "00:00").Flags);
    }

    [Fact]
    public void The_multiplier_applies_to_consumption()
    {
        // CT ratio 200/5 = 40.
        var h = Run(Meter("m1", Counter(multiplier: 40)), null, ("00:00", 10), ("00:15", 12.5), ("00:30", 13));
        Assert.Equal(100, Quarter(h, "00:00").Consumption);
        Assert.Equal(20, Quarter(h, "00:15").Consumption);
        Assert.Equal(400, Quarter(h, "00:00").PeakDemand);
    }

    [Fact]
    public void Missing_reads_spread_the_next_delta_by_duration_and_are_estimated()
    {
        var h = Run(("00:00", 0), ("00:15", 10), ("01:00", 100), ("01:15", 110));
        Assert.Equal(IntervalQuality.None, Quarter(h, "00:00").Flags);
        foreach (var start in new[] { "00:15", "00:30", "00:45" })
        {
            var q = Quarter(h, start);
            Assert.Equal(30, q.Consumption);
            Assert.Equal(IntervalQuality.Estimated, q.Flags);
            Assert.Equal(1, q.EstimatedFraction);
        }

        // The hour 00:00-01:00 holds the whole gap: its total is measured. The day sums every interval.
        var hour = h.Single(IntervalResolution.Hour, $"{Day}00:00:00Z");
        Assert.Equal(100, hour.Consumption);
        Assert.Equal(0, hour.EstimatedFraction);
        Assert.Equal(110, Assert.Single(h.Closed(IntervalResolution.Day)).Consumption);
    }

    [Fact]
    public void A_gap_across_an_hour_boundary_is_estimated_in_both_hours_with_a_fraction()
    {
        var h = Run(("00:00", 0), ("00:30", 10), ("00:45", 20), ("01:30", 80), ("02:00", 90));
        var first = h.Single(IntervalResolution.Hour, $"{Day}00:00:00Z");
        Assert.Equal(40, first.Consumption);
        Assert.Equal(20, first.EstimatedConsumption);
        Assert.Equal(0.5, first.EstimatedFraction);
        var second = h.Single(IntervalResolution.Hour, $"{Day}01:00:00Z");
        Assert.Equal(50, second.Consumption);
        Assert.Equal(40, second.EstimatedConsumption);
        Assert.Equal(0.8, second.EstimatedFraction);
    }

    [Fact]
    public void A_reset_is_never_spread_across_missing_reads()
    {
        var h = Run(("00:00", 500), ("00:45", 10), ("01:00", 25));
        var records = h.Closed(IntervalResolution.FifteenMinutes);
        Assert.DoesNotContain(records, r => r.Start == Utc($"{Day}00:00:00Z") && r.Consumption != 0);
        var reset = Quarter(h, "00:30");
        Assert.Equal(10, reset.Consumption);
        Assert.Equal(IntervalQuality.Reset, reset.Flags);
        Assert.Equal(15, Quarter(h, "00:45").Consumption);
        // The quarters before the reset have no data: the hour says it is not covered.
        Assert.True((h.Single(IntervalResolution.Hour, $"{Day}00:00:00Z").Flags & IntervalQuality.Incomplete) != 0);
    }

    [Fact]
    public void Reads_off_the_boundaries_are_prorated_across_them_by_duration()
    {
        var h = Run(("00:10", 100), ("00:20", 120), ("00:40", 130));
        var first = Quarter(h, "00:00");
        Assert.Equal(10, first.Consumption);
        Assert.Equal(IntervalQuality.Incomplete, first.Flags);   // data starts at 00:10
        Assert.Equal(TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(first.CoveredMilliseconds));
        var second = Quarter(h, "00:15");
        Assert.Equal(10 + 5, second.Consumption, 12);
        Assert.Equal(IntervalQuality.None, second.Flags);
        Assert.Equal(5, Quarter(h, "00:30").Consumption, 12);
    }

    [Fact]
    public void Prorating_is_exact_to_the_unit_over_a_long_gap()
    {
        var h = Run(("00:00", 0), ("07:00", 1000.1));
        var quarters = h.Closed(IntervalResolution.FifteenMinutes);
        Assert.Equal(28, quarters.Count);
        Assert.Equal(1000.1, quarters.Sum(q => q.Consumption), 10);
        Assert.Equal(1000.1, Assert.Single(h.Closed(IntervalResolution.Day)).Consumption);
    }

    [Fact]
    public void Production_counters_are_counters_too()
    {
        var counter = new ProductionCounter("parts", "Parts", "line-1", "units", "parts", 1, null);
        var h = new Harness(Registry("UTC", [Meter("m1", Counter())], [counter]));
        h.Read("parts", $"{Day}00:00:00Z", 10, "units");
        h.Read("parts", $"{Day}00:15:00Z", 17, "units");
        h.Aggregator.CloseAll();
        Assert.Equal(7, h.Single(IntervalResolution.FifteenMinutes, $"{Day}00:00:00Z", "parts", "units").Consumption);
    }
}
