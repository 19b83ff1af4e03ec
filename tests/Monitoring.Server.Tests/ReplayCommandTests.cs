using System.Globalization;
using Monitoring.LineProtocol;
using Monitoring.Server.Cli;

namespace Monitoring.Server.Tests;

/// <summary><c>monitoring replay</c>: parser, router and aggregation core in batch mode, as a user runs it.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "replay-test-" + Guid.NewGuid().ToString("N"));

    public ReplayCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "registry"));
        File.WriteAllText(Path.Combine(_folder, "registry", "site.yaml"), """
            emission_factors:
              - { carrier: electricity, kind: location, year: 2024, value: 0.578, unit: tCO2e/MWh, source: Ember 2024 }
            sites:
              - id: plant
                ecosystem: aeronautics
                timezone: Africa/Casablanca
                meters:
                  - id: m1
                    carrier: electricity
                    fields: [{ name: energy_import_kwh, rollover: 1000000 }, power_kw]
            """);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<(int Exit, string Output, string Error, string[][] Rows)> ReplayAsync(string lineProtocol, string format = "csv")
    {
        var input = Path.Combine(_folder, "input.lp");
        File.WriteAllText(input, lineProtocol);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await ReplayCommand.RunAsync(
            new ReplayCommand.ReplayRequest(Path.Combine(_folder, "registry"), input, null, null, Path.Combine(_folder, "out"), format == "json", LineProtocolPrecision.Seconds, TimeSpan.FromMinutes(15)),
            output,
            error,
            CancellationToken.None);
        var csv = Path.Combine(_folder, "out", "intervals.csv");
        var rows = File.Exists(csv) ? File.ReadAllLines(csv)[1..].Select(l => l.Split(',')).ToArray() : [];
        return (exit, output.ToString(), error.ToString(), rows);
    }

    private static string Reads(params (string Time, double Kwh)[] reads) =>
        string.Concat(reads.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"meter,site=plant,meter=m1 energy_import_kwh={r.Kwh} {DateTimeOffset.Parse($"2026-01-10T{r.Time}:00Z", CultureInfo.InvariantCulture).ToUnixTimeSeconds()}\n")));

    [Fact]
    public async Task The_counter_vector_of_methods_md_comes_out_of_replay()
    {
        // 15-min reads of a 6-digit register (M = 1 000 000); 00:45 is missing.
        var (exit, output, error, rows) = await ReplayAsync(Reads(
            ("00:00", 999900), ("00:15", 999960), ("00:30", 20), ("01:00", 140), ("01:15", 200),
            ("01:30", 195), ("01:45", 262), ("02:00", 3), ("02:15", 64)));

        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error);
        var quarters = rows.Where(r => r[2] == "energy_import_kwh" && r[5] == "15m").ToArray();
        Assert.Equal([60.0, 60, 60, 60, 60, 0, 62, 3, 61], quarters.Select(r => double.Parse(r[8], CultureInfo.InvariantCulture)));
        Assert.Equal(["", "ROLLOVER", "ESTIMATED", "ESTIMATED", "", "DIP", "", "RESET", ""], quarters.Select(r => r[14]));
        var day = Assert.Single(rows, r => r[2] == "energy_import_kwh" && r[5] == "1d");
        Assert.Equal((426.0, 248.0), (double.Parse(day[8], CultureInfo.InvariantCulture), double.Parse(day[13], CultureInfo.InvariantCulture)));
        Assert.Contains("9 lines", output, StringComparison.Ordinal);
        Assert.Contains("9 readings aggregated", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_lines_are_reported_with_their_line_number_and_reason_and_the_rest_is_kept()
    {
        var (exit, output, error, rows) = await ReplayAsync(
            Reads(("00:00", 100), ("00:15", 110))
            + "meter,site=plant,meter=m9 energy_import_kwh=1 1768003200\n"
            + "meter,site=plant,meter=m1 volume_m3=1 1768003200\n"
            + "meter,site=plant,meter=m1 power_kw=\"high\" 1768003200\n"
            + "not line protocol\n"
            + Reads(("00:30", 125)));

        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "input.lp:line 3: no meter 'm9' at site 'plant' in the registry",
                "input.lp:line 4: meter 'm1' has no field 'volume_m3' in the registry",
                "input.lp:line 5: field 'power_kw' must be a number, got string",
            ],
            error.TrimEnd().Split(Environment.NewLine).Take(3).Select(l => l[(l.IndexOf("input.lp", StringComparison.Ordinal))..]));
        Assert.StartsWith(Path.Combine(_folder, "input.lp") + ":line 6: column", error.TrimEnd().Split(Environment.NewLine)[3], StringComparison.Ordinal);
        Assert.Contains("4 rejected (Syntax 1, UnknownMeter 1, UnknownField 1, NotANumber 1)", output, StringComparison.Ordinal);
        Assert.Equal(25.0, rows.Where(r => r[2] == "energy_import_kwh" && r[5] == "15m").Sum(r => double.Parse(r[8], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Json_lines_output_carries_the_same_intervals()
    {
        var (exit, _, _, _) = await ReplayAsync(Reads(("00:00", 100), ("00:15", 110), ("00:30", 125)), format: "json");

        var lines = File.ReadAllLines(Path.Combine(_folder, "out", "intervals.jsonl"));
        Assert.Equal(0, exit);
        Assert.Contains(lines, l => l.Contains("\"resolution\":\"15m\"", StringComparison.Ordinal) && l.Contains("\"value\":15", StringComparison.Ordinal));
    }
}
