using Monitoring.Domain.Registry;

namespace Monitoring.Reports.Tests;

/// <summary>
/// A two-site programme whose figures can be worked out by hand: production cycles 100…160 over the week, the
/// temperature is constant at the degree-day base (so only production can explain consumption), energy is exactly
/// linear in production, and the reporting period (January to March 2024) has known savings: Alpha uses 10 % less
/// than its baseline model, Beta 50 kWh a day less; water does not change.
/// </summary>
internal static class SyntheticProgramme
{
    public const string Id = "test-programme";
    public const string Name = "Synthetic efficiency programme";
    public static readonly ReportMonth Month = new(2024, 3);

    public static SiteRegistry Registry(string alphaName = "Alpha Plant")
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Africa/Casablanca");
        Site SiteOf(string id, string name, string unit) => new(
            id, name, "test-ecosystem", null, zone, null, null, [new Line("main", "Main line")], [], [],
            [new ProductionCounter(id + "-output", "Output", "main", "units", unit, 1.0, null)]);
        var programme = new Programme(Id, Name, ["test-ecosystem"], ["alpha", "beta"], 2023, 2030, new ProgrammeTargets(20, 45, 15));
        var project = new Project(
            "alpha-burners", "Regenerative burners", "alpha", [], ProjectStatus.Approved, null, 1_200_000, "MAD",
            new ExpectedSavings(100_000, null, null, 350_000), 8, 0.08,
            [new ProjectRisk("Longer stop", 0.25, 150_000, "Plan the stop"), new ProjectRisk("Prices fall", 0.3, 200_000, null)]);
        return new SiteRegistry(
            [SiteOf("alpha", alphaName, "parts"), SiteOf("beta", "Beta Works", "t")],
            new CarbonSettings(GwpSet.Ar5),
            [new EmissionFactor(Carrier.Electricity, EmissionFactorKind.CombinedMargin, 2021, 0.547, "CO2", "tCO2/MWh", 0.547, "test")],
            [],
            [programme],
            [project]);
    }

    public static double Production(DateOnly day) => 100 + (10 * (day.DayNumber % 7));

    /// <summary>Alpha's baseline model, kWh per day.</summary>
    public static double AlphaModel(DateOnly day) => 1000 + (2 * Production(day));

    public static double BetaModel(DateOnly day) => 500 + Production(day);

    public static double Water(DateOnly day) => 10 + (0.1 * Production(day));

    public static bool IsReporting(DateOnly day) => day.Year == 2024;

    public static double AlphaActual(DateOnly day) => IsReporting(day) ? 0.9 * AlphaModel(day) : AlphaModel(day);

    public static double BetaActual(DateOnly day) => IsReporting(day) ? BetaModel(day) - 50 : BetaModel(day);

    /// <summary>Every day of 2023 and of January to March 2024.</summary>
    public static IEnumerable<DateOnly> Days(DateOnly from, DateOnly toExclusive)
    {
        for (var day = from; day < toExclusive; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    public static IEnumerable<DateOnly> AllDays => Days(new DateOnly(2023, 1, 1), new DateOnly(2024, 1, 1)).Concat(Days(new DateOnly(2024, 1, 1), new DateOnly(2024, 4, 1)));

    public static List<SiteDay> SiteDays() =>
    [
        .. AllDays.SelectMany(day => new[]
        {
            Record("alpha", day, AlphaActual(day)),
            Record("beta", day, BetaActual(day)),
        }),
    ];

    public static Task<ProgrammeReport> BuildAsync(SiteRegistry? registry = null) =>
        ProgrammeReportBuilder.BuildAsync(registry ?? Registry(), Id, Month, new InMemorySiteDaySource(SiteDays()));

    /// <summary>Energy split 3:1 between electricity and fuels; CO2e 0.5 kg per kWh.</summary>
    private static SiteDay Record(string site, DateOnly day, double energy) =>
        new(site, day, 0.75 * energy, 0.25 * energy, Water(day), 0.5 * energy, Production(day), 18.0);
}
