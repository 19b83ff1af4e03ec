namespace Monitoring.Simulators.Tests;

/// <summary>Each fault of simulators/scenarios/casa-aero.yaml shows up in <c>generate</c>'s output where it is scheduled.</summary>
public sealed class FaultTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("cnc-line-1", "2024-03-05 10:00", "2024-03-05 12:00")]  // drop: port closed
    [InlineData("cnc-line-2", "2024-03-06 08:00", "2024-03-06 09:00")]  // slow: 1.5 s > the agent's 1 s timeout
    [InlineData("furnace-aux", "2024-03-07 14:00", "2024-03-07 14:30")] // exception 4
    [InlineData("chillers", "2024-03-09 06:00", "2024-03-09 06:10")]    // sentinels: never a reading
    public void A_device_that_does_not_answer_leaves_a_gap_exactly_over_the_fault(string meter, string from, string to)
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var start = Scenarios.Local(scenario, from);
        var end = Scenarios.Local(scenario, to);
        var (lines, _) = Scenarios.Generate(scenario, ShiftText(scenario, start, -10), ShiftText(scenario, end, 10), Minute);

        var times = lines.Where(l => l.Meter == meter).Select(l => l.Time).ToHashSet();
        Assert.DoesNotContain(times, t => t >= start && t < end);
        Assert.Contains(start - Minute, times);
        Assert.Contains(end, times);
        Assert.Equal(20 + (int)(end - start).TotalMinutes + 1, lines.Select(l => l.Time).Distinct().Count());
    }

    [Fact]
    public void Frozen_values_repeat_the_value_of_the_start_of_the_fault()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (lines, _) = Scenarios.Generate(scenario, "2024-03-07 23:00", "2024-03-08 07:00", Minute);
        var start = Scenarios.Local(scenario, "2024-03-08 00:00");
        var end = Scenarios.Local(scenario, "2024-03-08 06:00");

        var process = lines.Where(l => l.Meter == "water-process").ToList();
        var frozen = process.Where(l => l.Time >= start && l.Time < end).Select(l => l.Fields["volume_m3"]).Distinct().ToList();
        Assert.Single(frozen);
        Assert.True(process.Single(l => l.Time == end).Fields["volume_m3"] > frozen[0]);
        Assert.True(process.Single(l => l.Time == start - Minute).Fields["volume_m3"] < frozen[0]);
    }

    [Fact]
    public void A_spike_multiplies_one_reading()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (lines, _) = Scenarios.Generate(scenario, "2024-03-10 11:58", "2024-03-10 12:02", Minute);

        var power = lines.Where(l => l.Meter == "main-incomer").OrderBy(l => l.Time).Select(l => l.Fields["power_kw"]).ToList();
        Assert.Equal(5, power.Count);
        Assert.True(power[2] > 10 * power[1], string.Join(", ", power));
        Assert.True(power[3] < 2 * power[1], string.Join(", ", power));
    }

    [Fact]
    public void A_replaced_meter_restarts_from_zero_and_a_forced_rollover_wraps_at_its_modulus()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (replaced, truth) = Scenarios.Generate(scenario, "2024-04-01 08:55", "2024-04-01 09:05", Minute);
        var cnc = replaced.Where(l => l.Meter == "cnc-line-2").OrderBy(l => l.Time).Select(l => l.Fields["energy_import_kwh"]).ToList();
        Assert.True(cnc[4] > 2_800_000, string.Join(", ", cnc));
        Assert.InRange(cnc[5], 0, 0.001);
        Assert.InRange(cnc[^1], 0.001, 100);

        var (rolled, _) = Scenarios.Generate(scenario, "2024-07-01 02:00", "2024-07-01 05:00", TimeSpan.FromMinutes(30));
        var gas = rolled.Where(l => l.Meter == "furnace-gas").OrderBy(l => l.Time).Select(l => l.Fields["gas_volume_nm3"]).ToList();
        Assert.InRange(gas[1], 990_000, 1_000_000);  // 02:30
        Assert.InRange(gas[2], 0, 1);                // 03:00: wrapped
        Assert.True(gas[^1] >= gas[2]);
    }

    [Fact]
    public void A_water_leak_adds_its_flow_at_night_and_is_in_the_ground_truth()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (lines, truth) = Scenarios.Generate(scenario, "2024-05-18", "2024-05-27", TimeSpan.FromHours(1));

        // Sunday nights (no shift): before the leak, and a week into it.
        double Night(string day) =>
            lines.Single(l => l.Meter == "water-sanitary" && l.Time == Scenarios.Local(scenario, day + " 04:00")).Fields["volume_m3"]
            - lines.Single(l => l.Meter == "water-sanitary" && l.Time == Scenarios.Local(scenario, day + " 02:00")).Fields["volume_m3"];
        Assert.InRange(Night("2024-05-19"), 0, 0.2);
        Assert.InRange(Night("2024-05-26"), 1.6, 1.8);
        var before = truth.Single(r => r.Id == "water-sanitary" && r.Date == new DateOnly(2024, 5, 19)).Value;
        var after = truth.Single(r => r.Id == "water-sanitary" && r.Date == new DateOnly(2024, 5, 26)).Value;
        Assert.InRange(after - before, 19.2 - 0.5, 19.2 + 0.5);
        // The main sees it too.
        var main = truth.Single(r => r.Id == "water-main" && r.Date == new DateOnly(2024, 5, 26)).Value;
        Assert.True(main > after);
    }

    [Fact]
    public void Clock_skew_shifts_the_timestamps_of_the_gateway_meters_only()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (lines, _) = Scenarios.Generate(scenario, "2024-06-02 12:00", "2024-06-02 12:10", Minute);
        var tick = Scenarios.Local(scenario, "2024-06-02 12:00");

        Assert.Contains(lines, l => l.Meter == "main-incomer" && l.Time == tick + TimeSpan.FromSeconds(420));
        Assert.Contains(lines, l => l.Meter == "compressors" && l.Time == tick + TimeSpan.FromSeconds(420));
        Assert.Contains(lines, l => l.Meter == "cnc-line-1" && l.Time == tick);
        Assert.DoesNotContain(lines, l => l.Meter == "main-incomer" && l.Time == tick);
    }

    private static string ShiftText(Monitoring.Simulators.Scenarios.Scenario scenario, DateTimeOffset t, int minutes) =>
        scenario.ToLocal(t.AddMinutes(minutes)).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}
