using System.Text;
using Monitoring.Domain.Registry;
using Monitoring.Simulators.Output;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Tests;

public sealed class GenerateTests
{
    [Theory]
    [InlineData("casa-aero")]
    [InlineData("tanger-mach")]
    public void A_generated_calibration_year_matches_the_configured_annual_totals_within_one_percent(string site)
    {
        var scenario = Scenarios.Load(site == "casa-aero" ? Scenarios.CasaPath : Scenarios.TangerPath);
        var (lines, truth) = Scenarios.Generate(scenario, "2023-01-01", "2024-01-01", TimeSpan.FromHours(1));

        var checkedMeters = 0;
        foreach (var meter in scenario.Meters.Where(m => m.Kind != MeterKind.Weather && m.Device != DeviceKind.None))
        {
            var field = meter.Kind == MeterKind.Production ? meter.Fields[0] : CounterField(meter.Carrier!.Value);
            var index = meter.Fields.ToList().IndexOf(field);
            var configured = meter.Kind == MeterKind.Production
                ? scenario.Lines[meter.LineIndex].Annual
                : scenario.ConfiguredAnnual(meter.Id)!.Value;
            var counter = Scenarios.Unwrapped(lines, meter.Id, field, meter.Multipliers[index], meter.Rollovers[index]);
            var measured = counter[^1].Total - counter[0].Total;
            if (meter.ReportedFields.Contains("energy_export_kwh"))
            {
                var export = Scenarios.Unwrapped(lines, meter.Id, "energy_export_kwh", 1, null);
                measured -= export[^1].Total - export[0].Total; // net of on-site generation
            }

            Assert.True(Math.Abs(measured - configured) <= 0.01 * configured, $"{meter.Id}: generated {measured:0.0}, configured {configured:0.0}");
            var fromTruth = truth.Where(r => r.Id == meter.Id && r.Quantity == field).Sum(r => r.Value)
                - truth.Where(r => r.Id == meter.Id && r.Quantity == "energy_export_kwh").Sum(r => r.Value);
            Assert.True(Math.Abs(fromTruth - configured) <= 0.01 * configured, $"{meter.Id}: ground truth {fromTruth:0.0}, configured {configured:0.0}");
            checkedMeters++;
        }

        Assert.True(checkedMeters >= 14, $"{checkedMeters} meters checked");
        Assert.Equal(365, truth.Count(r => r.Kind == "weather"));
    }

    [Fact]
    public void The_compressor_counter_rolls_over_at_the_registry_modulus_during_the_year()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (lines, _) = Scenarios.Generate(scenario, "2023-01-01", "2023-03-01", TimeSpan.FromHours(1));

        var readings = lines.Where(l => l.Meter == "compressors").Select(l => l.Fields["energy_import_kwh"]).ToList();
        Assert.All(readings, r => Assert.InRange(r, 0, 1_000_000));
        Assert.Contains(readings.Zip(readings.Where((_, i) => i > 0)), pair => pair.Second < pair.First);
    }

    [Fact]
    public void Project_savings_in_the_ground_truth_equal_the_difference_between_runs_with_and_without_the_project()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (with, truth) = Scenarios.Generate(scenario, "2025-02-25", "2025-03-10", TimeSpan.FromHours(1));
        var (without, _) = Scenarios.Generate(scenario, "2025-02-25", "2025-03-10", TimeSpan.FromHours(1), "casa-air-leaks");

        var withDaily = Daily(scenario, with, "compressors");
        var withoutDaily = Daily(scenario, without, "compressors");
        var savings = truth.Where(r => r.Kind == "project" && r.Id == "casa-air-leaks").ToDictionary(r => r.Date, r => r.Value);
        Assert.Equal(13, savings.Count);
        foreach (var (day, saved) in savings)
        {
            var difference = withoutDaily[day] - withDaily[day];
            Assert.True(Math.Abs(difference - saved) < 0.01, $"{day}: runs differ by {difference:0.000} kWh, ground truth says {saved:0.000}");
            Assert.True(day < new DateOnly(2025, 3, 1) ? saved == 0 : saved > 50, $"{day}: {saved}");
        }

        // The other meters do not move (the main incomer moves by the same amount).
        Assert.Equal(Daily(scenario, with, "cnc-line-1"), Daily(scenario, without, "cnc-line-1"));
        var main = Daily(scenario, without, "main-incomer")[new DateOnly(2025, 3, 5)] - Daily(scenario, with, "main-incomer")[new DateOnly(2025, 3, 5)];
        Assert.Equal(savings[new DateOnly(2025, 3, 5)], main, 0.01);
    }

    [Fact]
    public void The_chiller_drive_saves_more_in_a_hot_month_than_in_a_cool_one()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var (_, truth) = Scenarios.Generate(scenario, "2025-06-16", "2025-09-01", TimeSpan.FromHours(6));

        var vsd = truth.Where(r => r.Kind == "project" && r.Id == "casa-chiller-vsd").ToList();
        Assert.All(vsd, r => Assert.True(r.Value > 0, $"{r.Date}: {r.Value}"));
        var chillers = truth.Where(r => r.Id == "chillers" && r.Quantity == "energy_import_kwh").Sum(r => r.Value);
        var share = vsd.Sum(r => r.Value) / (chillers + vsd.Sum(r => r.Value));
        Assert.InRange(share, 0.05, 0.6);
    }

    [Fact]
    public void Generation_is_deterministic_for_a_seed()
    {
        var scenario = Scenarios.Load(Scenarios.TangerPath);
        var first = Bytes(scenario);
        var second = Bytes(scenario);

        Assert.Equal(first, second);
        Assert.True(first.Length > 100_000);

        static byte[] Bytes(Scenario scenario)
        {
            using var stream = new MemoryStream();
            Generator.Run(scenario, new GenerateOptions(Scenarios.Local(scenario, "2024-06-03"), Scenarios.Local(scenario, "2024-06-05"), TimeSpan.FromMinutes(1)), stream);
            return stream.ToArray();
        }
    }

    [Fact]
    public void Lines_use_the_vocabulary_and_the_registry_fields_of_each_meter()
    {
        var scenario = Scenarios.Load(Scenarios.TangerPath);
        using var stream = new MemoryStream();
        Generator.Run(scenario, new GenerateOptions(Scenarios.Local(scenario, "2024-06-03 12:00"), Scenarios.Local(scenario, "2024-06-03 12:00"), TimeSpan.FromMinutes(1)), stream);
        var text = Encoding.UTF8.GetString(stream.ToArray());

        Assert.Contains("meter,site=tanger-mach,meter=main-incomer current_a=", text, StringComparison.Ordinal);
        var lines = Scenarios.ParseLines(text);
        Assert.Equal(scenario.Meters.Count, lines.Count);
        foreach (var line in lines)
        {
            var registry = scenario.Site.FindMeter(line.Meter);
            var expected = registry is null
                ? [scenario.Site.FindProductionCounter(line.Meter)!.Field]
                : registry.Fields.Select(f => f.Name).Where(f => scenario.Meters.First(m => m.Id == line.Meter).Fields.Contains(f));
            Assert.Equal(expected.Order(StringComparer.Ordinal), line.Fields.Keys.Order(StringComparer.Ordinal));
        }

        // The CT-metered board reports secondary values: true kW / 160.
        var fabrication = lines.Single(l => l.Meter == "fabrication");
        Assert.InRange(fabrication.Fields["power_kw"], 0.5, 5);
    }

    private static Dictionary<DateOnly, double> Daily(Scenario scenario, List<Line> lines, string meterId)
    {
        var meter = scenario.Meters.First(m => m.Id == meterId);
        var index = meter.Fields.ToList().IndexOf("energy_import_kwh");
        var counter = Scenarios.Unwrapped(lines, meterId, "energy_import_kwh", meter.Multipliers[index], meter.Rollovers[index]);
        var midnights = counter.Where(c => scenario.ToLocal(c.Time).TimeOfDay == TimeSpan.Zero).ToList();
        return midnights.Zip(midnights[1..]).ToDictionary(p => DateOnly.FromDateTime(scenario.ToLocal(p.First.Time)), p => p.Second.Total - p.First.Total);
    }

    private static string CounterField(Carrier carrier) => carrier switch
    {
        Carrier.Electricity => "energy_import_kwh",
        Carrier.Water => "volume_m3",
        Carrier.NaturalGas => "gas_volume_nm3",
        _ => "fuel_volume_l",
    };
}
