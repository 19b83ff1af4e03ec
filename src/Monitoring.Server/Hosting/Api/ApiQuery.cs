using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;
using Monitoring.Server.Hosting.Jobs;

namespace Monitoring.Server.Hosting.Api;

/// <summary>A query's resolution and time range, parsed from <c>resolution</c>, <c>from</c> and <c>to</c>.</summary>
internal sealed record IntervalQuery(IntervalResolution Resolution, DateTimeOffset From, DateTimeOffset To);

/// <summary>Parsing of query parameters and the shapes of interval records in the API.</summary>
internal static class ApiQuery
{
    /// <summary>
    /// <c>resolution</c>: <c>15m</c>, <c>1h</c>, <c>1d</c> (default) or <c>1mo</c>; <c>from</c>/<c>to</c>: an ISO 8601 instant
    /// (with offset) or a date, read as local midnight in <paramref name="site"/>'s zone (UTC without a site). Default
    /// range: the 7 days (<c>15m</c>, <c>1h</c>), 31 days (<c>1d</c>) or 12 months (<c>1mo</c>) before <c>to</c> (default: now).
    /// </summary>
    public static bool TryParse(HttpRequest request, Site? site, TimeProvider time, out IntervalQuery query, out string error)
    {
        query = null!;
        error = "";
        var resolutionText = request.Query["resolution"].ToString();
        IntervalResolution resolution;
        if (resolutionText.Length == 0)
        {
            resolution = IntervalResolution.Day;
        }
        else if (IntervalResolutions.All.FirstOrDefault(r => r.ToName() == resolutionText) is var found && found.ToName() == resolutionText)
        {
            resolution = found;
        }
        else
        {
            error = $"resolution '{resolutionText}' is not one of 15m, 1h, 1d, 1mo";
            return false;
        }

        if (!TryInstant(request.Query["to"].ToString(), site, out var to, out error) || !TryInstant(request.Query["from"].ToString(), site, out var from, out error))
        {
            return false;
        }

        var end = to ?? time.GetUtcNow();
        var start = from ?? resolution switch
        {
            IntervalResolution.Month => end.AddMonths(-12),
            IntervalResolution.Day => end.AddDays(-31),
            _ => end.AddDays(-7),
        };
        if (start >= end)
        {
            error = "from must be before to";
            return false;
        }

        query = new IntervalQuery(resolution, start, end);
        return true;
    }

    private static bool TryInstant(string text, Site? site, out DateTimeOffset? instant, out string error)
    {
        instant = null;
        error = "";
        if (text.Length == 0)
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            instant = site is null ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : LocalCalendar.StartOf(site, date);
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            instant = parsed;
            return true;
        }

        error = $"'{text}' is neither an ISO 8601 instant (2025-01-31T23:00:00Z) nor a date (2025-02-01)";
        return false;
    }

    /// <summary>The local date of a day record, the local month of a month record (null for finer ones).</summary>
    public static string? LocalLabel(Site? site, IntervalResolution resolution, DateTimeOffset start)
    {
        if (site is null || resolution is IntervalResolution.FifteenMinutes or IntervalResolution.Hour)
        {
            return null;
        }

        var date = LocalCalendar.DateOf(site, start);
        return resolution == IntervalResolution.Day
            ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : date.ToString("yyyy-MM", CultureInfo.InvariantCulture);
    }

    public static SeriesIntervalDto ToDto(in ClosedInterval r)
    {
        var counter = r.Series.Kind == FieldKind.Counter;
        return new SeriesIntervalDto(r.Start, r.End, LocalLabel(r.Series.Site, r.Resolution, r.Start),
            counter ? r.Consumption : null, counter ? r.EstimatedConsumption : null, counter ? r.PeakDemand : null, counter ? r.CoveredMilliseconds / 1000.0 : null,
            counter || r.Count == 0 ? null : r.Mean, counter || r.Count == 0 ? null : r.Min, counter || r.Count == 0 ? null : r.Max,
            counter || r.Count == 0 ? null : r.Last, counter ? null : r.Count, Flags(r.Flags));
    }

    public static NodeIntervalDto ToDto(in RollupInterval r)
    {
        var electricity = r.Node.Carrier == Carrier.Electricity;
        var pf = r.PowerFactor;
        return new NodeIntervalDto(r.Start, r.End, LocalLabel(r.Node.Site, r.Resolution, r.Start), r.Consumption, r.EstimatedConsumption,
            Finite(r.EstimatedFraction), r.EnergyKwh, r.Co2eKg, r.Co2eMarketKg, electricity ? r.PeakDemand : null, electricity ? Finite(pf) : null,
            r.Inputs, r.ExpectedInputs, Flags(r.Flags));
    }

    public static IntensityDto ToDto(in IntensityInterval r) =>
        new(r.Node.Level.ToName(), r.Node.Id, r.Node.CarrierName, r.Node.Unit, r.Definition.Counter.Id, r.Definition.Counter.Unit, r.Start, r.End,
            LocalLabel(r.Node.Site, r.Resolution, r.Start), r.Consumption, r.EnergyKwh, r.Co2eKg, r.Output,
            Finite(r.ConsumptionPerUnit), Finite(r.EnergyKwhPerUnit), Finite(r.Co2eKgPerUnit), Flags(r.Flags));

    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string? Flags(IntervalQuality flags) => flags == IntervalQuality.None ? null : flags.ToNames();
}

internal sealed record SeriesIntervalDto(
    DateTimeOffset Start, DateTimeOffset End, string? Local, double? Consumption, double? Estimated, double? Demand, double? CoveredS,
    double? Mean, double? Min, double? Max, double? Last, int? Count, string? Flags);

internal sealed record NodeIntervalDto(
    DateTimeOffset Start, DateTimeOffset End, string? Local, double Consumption, double Estimated, double? EstimatedFraction, double EnergyKwh,
    double Co2eKg, double Co2eMarketKg, double? DemandKw, double? Pf, int Inputs, int ExpectedInputs, string? Flags);

internal sealed record IntensityDto(
    string Level, string Node, string Carrier, string Unit, string Counter, string OutputUnit, DateTimeOffset Start, DateTimeOffset End, string? Local,
    double Consumption, double EnergyKwh, double Co2eKg, double Output, double? PerUnit, double? EnergyKwhPerUnit, double? Co2eKgPerUnit, string? Flags);
