using System.Globalization;
using System.Text.RegularExpressions;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// Grafana's time arithmetic, as far as the dashboards use it: relative times (<c>now-7d</c>, <c>now/d</c>,
/// <c>now/M</c>) in the dashboard's time zone, panel relative-time overrides, and the <c>$__interval</c> rounding.
/// </summary>
internal static partial class GrafanaTime
{
    /// <summary>A dashboard's or panel's time range.</summary>
    public sealed record TimeRange(DateTimeOffset From, DateTimeOffset To)
    {
        public TimeSpan Span => To - From;
    }

    /// <summary>
    /// The range a panel queries: the dashboard's <c>time.from</c>/<c>time.to</c>, or the panel's <c>timeFrom</c>
    /// (<c>now/d</c>: today; <c>3h</c>: the last 3 hours), shifted back by <c>timeShift</c>.
    /// </summary>
    public static TimeRange PanelRange(string dashboardFrom, string dashboardTo, string? panelTimeFrom, string? panelTimeShift, DateTimeOffset now, TimeZoneInfo zone)
    {
        TimeRange range;
        if (string.IsNullOrEmpty(panelTimeFrom))
        {
            range = new TimeRange(Parse(dashboardFrom, now, zone, roundUp: false), Parse(dashboardTo, now, zone, roundUp: true));
        }
        else if (panelTimeFrom.StartsWith("now", StringComparison.Ordinal))
        {
            range = new TimeRange(Parse(panelTimeFrom, now, zone, roundUp: false), Parse(panelTimeFrom, now, zone, roundUp: true));
        }
        else
        {
            range = new TimeRange(Parse("now-" + panelTimeFrom, now, zone, roundUp: false), now);
        }

        if (!string.IsNullOrEmpty(panelTimeShift))
        {
            var shifted = Parse("now-" + panelTimeShift, now, zone, roundUp: false) - now;
            range = new TimeRange(range.From + shifted, range.To + shifted);
        }

        return range;
    }

    /// <summary>
    /// Grafana date math: <c>now</c> followed by <c>±N unit</c> and <c>/unit</c> (round down, or up to the end of the
    /// unit with <paramref name="roundUp"/>), units s m h d w M y, computed in <paramref name="zone"/>.
    /// </summary>
    public static DateTimeOffset Parse(string text, DateTimeOffset now, TimeZoneInfo zone, bool roundUp)
    {
        if (!text.StartsWith("now", StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not a relative time (now...)");
        }

        var local = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        foreach (Match part in DateMathPart().Matches(text[3..]))
        {
            if (part.Groups["round"].Success)
            {
                local = Round(local, part.Groups["round"].Value[0], roundUp);
            }
            else
            {
                var amount = int.Parse(part.Groups["amount"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                local = Add(local, amount, part.Groups["unit"].Value[0]);
            }
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary><c>15m</c>, <c>1h</c>, <c>30s</c>, <c>1d</c> → a duration.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var match = Duration().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"'{text}' is not a duration such as 15m or 1h");
        }

        var amount = int.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            "d" => TimeSpan.FromDays(amount),
            _ => TimeSpan.FromDays(7 * amount),
        };
    }

    /// <summary>
    /// <c>$__interval</c>: the range over the panel's data points, rounded to Grafana's nice intervals, never below
    /// the panel's (or else the datasource's) minimum interval.
    /// </summary>
    public static TimeSpan Interval(TimeRange range, int maxDataPoints, TimeSpan minimum)
    {
        var rounded = RoundInterval(range.Span.TotalMilliseconds / maxDataPoints);
        return rounded > minimum ? rounded : minimum;
    }

    /// <summary>As Grafana writes an interval into a query: the largest whole unit (1d, 15m, 30s, 500ms).</summary>
    public static string Format(TimeSpan interval)
    {
        if (interval.TotalDays >= 1 && interval.TotalDays % 1 == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{interval.TotalDays:0}d");
        }

        if (interval.TotalHours >= 1 && interval.TotalHours % 1 == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{interval.TotalHours:0}h");
        }

        if (interval.TotalMinutes >= 1 && interval.TotalMinutes % 1 == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{interval.TotalMinutes:0}m");
        }

        return interval.TotalSeconds >= 1 && interval.TotalSeconds % 1 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{interval.TotalSeconds:0}s")
            : string.Create(CultureInfo.InvariantCulture, $"{interval.TotalMilliseconds:0}ms");
    }

    /// <summary>Grafana's <c>roundInterval</c> table (the interval nearest to range / data points).</summary>
    private static TimeSpan RoundInterval(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds switch
    {
        < 10 => 1,
        < 15 => 10,
        < 35 => 20,
        < 75 => 50,
        < 150 => 100,
        < 350 => 200,
        < 750 => 500,
        < 1_500 => 1_000,
        < 3_500 => 2_000,
        < 7_500 => 5_000,
        < 12_500 => 10_000,
        < 17_500 => 15_000,
        < 25_000 => 20_000,
        < 45_000 => 30_000,
        < 90_000 => 60_000,
        < 210_000 => 120_000,
        < 450_000 => 300_000,
        < 750_000 => 600_000,
        < 1_050_000 => 900_000,
        < 1_500_000 => 1_200_000,
        < 2_700_000 => 1_800_000,
        < 5_400_000 => 3_600_000,
        < 9_000_000 => 7_200_000,
        < 16_200_000 => 10_800_000,
        < 24_300_000 => 21_600_000,
        < 32_400_000 => 28_800_000,
        < 86_400_000 => 43_200_000,
        < 604_800_000 => 86_400_000,
        < 1_814_400_000 => 604_800_000,
        < 3_628_800_000 => 2_592_000_000,
        _ => 31_536_000_000,
    });

    private static DateTime Round(DateTime local, char unit, bool roundUp)
    {
        var start = unit switch
        {
            'y' => new DateTime(local.Year, 1, 1, 0, 0, 0, local.Kind),
            'M' => new DateTime(local.Year, local.Month, 1, 0, 0, 0, local.Kind),
            'w' => local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            'd' => local.Date,
            'h' => new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, local.Kind),
            'm' => new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, local.Kind),
            's' => new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second, local.Kind),
            _ => throw new FormatException($"unknown time unit '{unit}'"),
        };
        return roundUp ? Add(start, 1, unit).AddMilliseconds(-1) : start;
    }

    private static DateTime Add(DateTime local, int amount, char unit) => unit switch
    {
        'y' => local.AddYears(amount),
        'M' => local.AddMonths(amount),
        'w' => local.AddDays(7 * amount),
        'd' => local.AddDays(amount),
        'h' => local.AddHours(amount),
        'm' => local.AddMinutes(amount),
        's' => local.AddSeconds(amount),
        _ => throw new FormatException($"unknown time unit '{unit}'"),
    };

    [GeneratedRegex(@"/(?<round>[smhdwMy])|(?<amount>[+-]\d+)(?<unit>[smhdwMy])")]
    private static partial Regex DateMathPart();

    [GeneratedRegex(@"^(?<amount>\d+)(?<unit>ms|s|m|h|d|w)$")]
    private static partial Regex Duration();
}
