using System.Globalization;

namespace Monitoring.Edge.Configuration;

/// <summary>Durations and sizes as people write them in YAML: <c>500ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, <c>30d</c>; <c>512MiB</c>, <c>1GiB</c>.</summary>
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
            _ when text.EndsWith('d') => (text[..^1], 86_400_000.0),
            _ => (string.Empty, 0),
        };
        if (unit == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * unit);
        return true;
    }

    /// <summary>Bytes written as a whole number with an optional KiB, MiB or GiB (or kB, MB, GB) suffix.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        (string Suffix, long Factor)[] units = [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("kB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)];
        var (number, factor) = (text, 1L);
        foreach (var (suffix, unitFactor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                (number, factor) = (text[..^suffix.Length], unitFactor);
                break;
            }
        }

        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue / factor)
        {
            return false;
        }

        bytes = value * factor;
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
