using System.Globalization;

namespace Monitoring.Edge.Configuration;

/// <summary>Durations as people write them in YAML: <c>500ms</c>, <c>1s</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000.0),
            _ => (string.Empty, 0),
        };
        if (unit == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * unit);
        return true;
    }

    public static string Format(TimeSpan duration) => duration switch
    {
        { TotalMilliseconds: < 1000 } => $"{duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms",
        { TotalSeconds: < 60 } => $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        { TotalMinutes: < 60 } => $"{duration.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m",
        _ => $"{duration.TotalHours.ToString(CultureInfo.InvariantCulture)}h",
    };
}
