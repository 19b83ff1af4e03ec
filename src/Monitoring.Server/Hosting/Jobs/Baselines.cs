using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Monitoring.Domain.Registry;
using Monitoring.Kpi.Baselines;
using Monitoring.Kpi.Savings;
using Monitoring.Reports;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// One fitted baseline of a site quantity (<c>energy</c>, <c>water</c>, <c>co2e</c>) or of a consumption meter
/// (<c>meter.{id}</c>): ISO 50006 regression on the daily drivers production, HDD and CDD (best valid subset, as the
/// programme report), with the period and a digest of the data it was fitted on.
/// </summary>
internal sealed record BaselineVersion(
    int Version,
    DateTimeOffset FittedAt,
    string SiteId,
    string Target,
    string Unit,
    DateOnly From,
    DateOnly ToExclusive,
    int Days,
    string DataDigest,
    IReadOnlyList<string> Variables,
    bool Valid,
    string? Note,
    RegressionModel Model);

/// <summary>
/// Baseline versions per site and target (<c>{data}/kpi/baselines/{site}/{target}.json</c>): a refit appends a new
/// version beside the old ones, and only when its period or data changed, so re-running a refit is a no-op.
/// </summary>
internal sealed class BaselineBook(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Lock _lock = new();

    public IReadOnlyList<BaselineVersion> History(string siteId, string target)
    {
        var path = PathOf(siteId, target);
        lock (_lock)
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<List<BaselineVersion>>(File.ReadAllText(path), Json) ?? [] : [];
        }
    }

    public BaselineVersion? Latest(string siteId, string target) => History(siteId, target) is { Count: > 0 } h ? h[^1] : null;

    /// <summary>The targets of a site that have at least one version.</summary>
    public IReadOnlyList<string> Targets(string siteId)
    {
        var folder = Path.Combine(directory, siteId);
        return Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>Appends <paramref name="fitted"/> as the next version unless the latest has the same period and data; returns the version in force.</summary>
    public (BaselineVersion Version, bool Added) Append(BaselineVersion fitted)
    {
        lock (_lock)
        {
            var history = History(fitted.SiteId, fitted.Target).ToList();
            if (history.Count > 0 && history[^1].DataDigest == fitted.DataDigest && history[^1].From == fitted.From && history[^1].ToExclusive == fitted.ToExclusive)
            {
                return (history[^1], false);
            }

            var version = fitted with { Version = history.Count + 1 };
            history.Add(version);
            var path = PathOf(fitted.SiteId, fitted.Target);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(history, Json));
            File.Move(path + ".tmp", path, overwrite: true);
            return (version, true);
        }
    }

    private string PathOf(string siteId, string target) => Path.Combine(directory, siteId, target + ".json");
}

/// <summary>Fits baselines and computes savings against them, for the refit job and the savings endpoint.</summary>
internal static class BaselineMath
{
    public static readonly string[] Drivers = ["production", "hdd", "cdd"];
    public static readonly string[] SiteQuantities = ["energy", "water", "co2e"];
    private static readonly ReportOptions Options = ReportOptions.Default;

    public static string MeterTarget(string meterId) => "meter." + meterId;

    public static string UnitOf(string target) => target switch
    {
        "energy" => "kWh",
        "water" => "m3",
        "co2e" => "kgCO2e",
        _ => "canonical",
    };

    public static double Value(SiteDay day, string quantity) => quantity switch
    {
        "energy" => day.EnergyKwh,
        "water" => day.WaterM3,
        "co2e" => day.Co2eKg,
        _ => throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "energy, water or co2e"),
    };

    public static double[] AllDrivers(SiteDay day) =>
        [day.Production, Math.Max(Options.HddBaseC - day.TemperatureC, 0.0), Math.Max(day.TemperatureC - Options.CddBaseC, 0.0)];

    public static double[] ModelDrivers(SiteDay day, RegressionModel model) =>
        [.. model.VariableNames.Select(v => AllDrivers(day)[Array.IndexOf(Drivers, v)])];

    /// <summary>
    /// The baseline period of a site: its programme's baseline year when that year has at least
    /// <paramref name="minimumDays"/> days with a temperature, else the last 365 days that have data.
    /// </summary>
    public static (DateOnly From, DateOnly ToExclusive)? Period(SiteRegistry registry, Site site, IReadOnlyList<SiteDay> days, int minimumDays)
    {
        var usable = days.Where(d => double.IsFinite(d.TemperatureC)).ToArray();
        if (registry.Programmes.FirstOrDefault(p => p.SiteIds.Contains(site.Id)) is { } programme)
        {
            var (from, to) = (new DateOnly(programme.BaselineYear, 1, 1), new DateOnly(programme.BaselineYear + 1, 1, 1));
            if (usable.Count(d => d.Date >= from && d.Date < to) >= minimumDays)
            {
                return (from, to);
            }
        }

        if (usable.Length < minimumDays)
        {
            return null;
        }

        var last = usable.Max(d => d.Date);
        return (last.AddDays(-364), last.AddDays(1));
    }

    /// <summary>Fits a baseline of the days' responses over the days with a temperature; null when no model fits.</summary>
    public static BaselineVersion? Fit(
        string siteId, string target, string unit, DateOnly from, DateOnly toExclusive, IReadOnlyList<(SiteDay Day, double Response)> days, TimeProvider time)
    {
        var usable = days.Where(d => double.IsFinite(d.Day.TemperatureC) && double.IsFinite(d.Response) && d.Day.Date >= from && d.Day.Date < toExclusive)
            .OrderBy(d => d.Day.Date).ToArray();
        if (usable.Length == 0 || usable.Sum(d => d.Response) <= 0.0)
        {
            return null;
        }

        var selection = CandidateSelection.SelectBest(Drivers, [.. usable.Select(d => new BaselinePeriod(d.Response, AllDrivers(d.Day)))], ValidityCriteria.Default);
        var chosen = selection.Best ?? selection.Candidates.Where(c => c.Model is not null).MaxBy(c => c.Model!.Statistics.AdjustedRSquared);
        if (chosen?.Model is not { } model)
        {
            return null;
        }

        var note = selection.Best is null ? "no candidate passed every validity check: the best fitted one is kept" : null;
        return new BaselineVersion(0, time.GetUtcNow(), siteId, target, unit, from, toExclusive, usable.Length, Digest(usable), chosen.Variables, selection.Best is not null, note, model);
    }

    /// <summary>Savings of the days after the baseline against it: expected, actual, savings, CUSUM, exceptions, ASHRAE G14 uncertainty.</summary>
    public static SavingsReport? Savings(BaselineVersion baseline, IReadOnlyList<(SiteDay Day, double Actual)> days)
    {
        var reporting = days.Where(d => double.IsFinite(d.Day.TemperatureC) && d.Day.Date >= baseline.ToExclusive).OrderBy(d => d.Day.Date).ToArray();
        if (reporting.Length == 0)
        {
            return null;
        }

        var result = SavingsCalculator.Compute(baseline.Model, [.. reporting.Select(d => (IReadOnlyList<double>)ModelDrivers(d.Day, baseline.Model))], [.. reporting.Select(d => d.Actual)]);
        double? uncertainty = null;
        if (result.TotalSavings != 0.0 && double.IsFinite(result.Improvement))
        {
            var fsu = SavingsUncertainty.Fractional(FsuMethod.AshraeG14, UncertaintyInputs.FromModel(baseline.Model, reporting.Length), result.Improvement, Options.ConfidenceLevel);
            var band = Math.Abs(fsu.Value * result.TotalSavings);
            uncertainty = double.IsFinite(band) ? band : null;
        }

        var points = reporting.Select((d, i) => new SavingsDay(d.Day.Date, result.Periods[i].Expected, result.Periods[i].Actual, result.Periods[i].Savings,
            result.Periods[i].CumulativeSavings, result.Periods[i].IsException)).ToList();
        return new SavingsReport(baseline.SiteId, baseline.Target, baseline.Unit, baseline.Version, result.TotalExpected, result.TotalActual, result.TotalSavings,
            result.Improvement, uncertainty, Options.ConfidenceLevel, result.ExceptionThreshold, SavingsResult.SignConvention, points);
    }

    private static string Digest(IEnumerable<(SiteDay Day, double Response)> days)
    {
        var text = new StringBuilder();
        foreach (var (day, response) in days)
        {
            text.Append(CultureInfo.InvariantCulture, $"{day.Date:yyyy-MM-dd};{response:R};{day.Production:R};{day.TemperatureC:R}\n");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}

internal sealed record SavingsDay(DateOnly Date, double Expected, double Actual, double Savings, double Cusum, bool Exception);

internal sealed record SavingsReport(
    string SiteId,
    string Target,
    string Unit,
    int BaselineVersion,
    double TotalExpected,
    double TotalActual,
    double TotalSavings,
    double Improvement,
    double? Uncertainty,
    double ConfidenceLevel,
    double ExceptionThreshold,
    string SignConvention,
    IReadOnlyList<SavingsDay> Days);
