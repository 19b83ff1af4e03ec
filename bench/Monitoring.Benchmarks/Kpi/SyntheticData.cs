using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Benchmarks.Kpi;

/// <summary>Deterministic inputs: a seeded generator, so every run measures the same work.</summary>
internal static class SyntheticData
{
    /// <summary>
    /// 365 days of a Midwest-like climate (°F) and an electricity meter with heating below 55 °F and cooling above
    /// 68 °F: usage = 12 + 1.1·HDD55 + 2.5·CDD68 + noise.
    /// </summary>
    public static DailyObservation[] MeterYear(int seed)
    {
        var random = new Random(seed);
        var start = new DateOnly(2023, 1, 1);
        var days = new DailyObservation[365];
        for (var i = 0; i < days.Length; i++)
        {
            var temperature = 52 - (26 * Math.Cos(2 * Math.PI * (i - 15) / 365.0)) + (8 * (random.NextDouble() - 0.5));
            var usage = 12 + (1.1 * Math.Max(55 - temperature, 0)) + (2.5 * Math.Max(temperature - 68, 0)) + (6 * (random.NextDouble() - 0.5));
            days[i] = new DailyObservation(start.AddDays(i), Math.Max(usage, 0), temperature);
        }

        return days;
    }

    /// <summary>Per meter, 12 months of production [t], HDD and energy = base + k·production + h·HDD + noise.</summary>
    public static BaselinePeriod[][] MonthlyMeters(int meters, int seed)
    {
        var random = new Random(seed);
        var result = new BaselinePeriod[meters][];
        for (var m = 0; m < meters; m++)
        {
            var baseLoad = 5000 + (20000 * random.NextDouble());
            var perTonne = 20 + (40 * random.NextDouble());
            var perDegreeDay = 5 + (30 * random.NextDouble());
            var tonnes = 400 + (600 * random.NextDouble());
            var periods = new BaselinePeriod[12];
            for (var month = 0; month < 12; month++)
            {
                var production = tonnes * (0.8 + (0.4 * random.NextDouble()));
                var hdd = Math.Max(0, (160 * Math.Cos(2 * Math.PI * month / 12.0)) + 140 + (20 * (random.NextDouble() - 0.5)));
                var energy = baseLoad + (perTonne * production) + (perDegreeDay * hdd) + (0.02 * baseLoad * (random.NextDouble() - 0.5));
                periods[month] = new BaselinePeriod(energy, [production, hdd]);
            }

            result[m] = periods;
        }

        return result;
    }
}
