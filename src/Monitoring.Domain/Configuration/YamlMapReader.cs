using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Domain.Configuration;

/// <summary>Collects every error of a load; nothing stops at the first one.</summary>
public sealed class Diagnostics
{
    public List<ConfigurationError> Errors { get; } = [];

    public void Report(SourceLocation at, string message) => Errors.Add(new ConfigurationError(at, message));
}

/// <summary>One YAML file being read: turns node marks into <see cref="SourceLocation"/>s.</summary>
public sealed class YamlSource(string path, Diagnostics diagnostics)
{
    public string Path { get; } = path;

    public Diagnostics Diagnostics { get; } = diagnostics;

    public SourceLocation At(YamlNode node) => At(node.Start);

    public SourceLocation At(Mark mark) => new(Path, checked((int)mark.Line), checked((int)mark.Column));

    public void Report(YamlNode node, string message) => Diagnostics.Report(At(node), message);
}

/// <summary>
/// Reads one YAML mapping with positions: typed getters report wrong types, missing required keys and,
/// at the end, keys nobody asked for (typos), each with the file, line and column.
/// </summary>
public sealed class YamlMapReader
{
    private readonly YamlMappingNode? _map;
    private readonly HashSet<string> _readKeys = new(StringComparer.Ordinal);

    private YamlMapReader(YamlSource source, YamlNode node, YamlMappingNode? map, string what)
    {
        Source = source;
        Node = node;
        _map = map;
        What = what;
    }

    public YamlSource Source { get; }

    public YamlNode Node { get; }

    /// <summary>How errors name this mapping, e.g. "meter 'compressors'".</summary>
    public string What { get; set; }

    public SourceLocation Location => Source.At(Node);

    public bool IsMapping => _map is not null;

    public static YamlMapReader For(YamlSource source, YamlNode node, string what)
    {
        var map = node as YamlMappingNode;
        if (map is null)
        {
            source.Report(node, $"{what}: expected a mapping of keys to values");
        }

        return new YamlMapReader(source, node, map, what);
    }

    /// <summary>The value node of <paramref name="key"/>, or null when the key is absent or its value is null.</summary>
    public YamlNode? Get(string key)
    {
        _readKeys.Add(key);
        if (_map is null || !_map.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return null;
        }

        return IsNull(value) ? null : value;
    }

    public bool Has(string key) => Get(key) is not null;

    public string? Scalar(string key, bool required = false)
    {
        var node = Get(key);
        if (node is null)
        {
            ReportMissing(key, required);
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Source.Report(node, $"{What}: '{key}' must be a single value");
            return null;
        }

        var value = scalar.Value!.Trim();
        if (value.Length == 0 && required)
        {
            Source.Report(node, $"{What}: '{key}' must not be empty");
            return null;
        }

        return value;
    }

    /// <summary>An id or a reference to one; checked against <see cref="IdRules"/>.</summary>
    public string? Id(string key, bool required = false)
    {
        var value = Scalar(key, required);
        if (value is null || IdRules.IsValidId(value))
        {
            return value;
        }

        Source.Report(Get(key)!, $"{What}: '{key}' value '{value}' is not a valid id ({IdRules.Description})");
        return null;
    }

    public double? Number(string key, bool required = false, double min = double.MinValue, double max = double.MaxValue, bool minExclusive = false)
    {
        var text = Scalar(key, required);
        if (text is null)
        {
            return null;
        }

        var node = Get(key)!;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Source.Report(node, $"{What}: '{key}' must be a number, got '{text}'");
            return null;
        }

        if (value < min || value > max || (minExclusive && value <= min))
        {
            Source.Report(node, $"{What}: '{key}' must be {RangeText(min, max, minExclusive)}, got {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    public int? WholeNumber(string key, bool required = false, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = Scalar(key, required);
        if (text is null)
        {
            return null;
        }

        var node = Get(key)!;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Source.Report(node, $"{What}: '{key}' must be a whole number, got '{text}'");
            return null;
        }

        if (value < min || value > max)
        {
            var range = RangeText(min == int.MinValue ? double.MinValue : min, max == int.MaxValue ? double.MaxValue : max, false);
            Source.Report(node, $"{What}: '{key}' must be {range}, got {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    public bool? Boolean(string key)
    {
        var text = Scalar(key);
        switch (text)
        {
            case null: return null;
            case "true": return true;
            case "false": return false;
            default:
                Source.Report(Get(key)!, $"{What}: '{key}' must be true or false, got '{text}'");
                return null;
        }
    }

    public DateOnly? Date(string key, bool required = false)
    {
        var text = Scalar(key, required);
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        Source.Report(Get(key)!, $"{What}: '{key}' must be a date written yyyy-mm-dd, got '{text}'");
        return null;
    }

    /// <summary>An instant: ISO 8601 with its offset or <c>Z</c> (<c>2025-11-05T08:06:00Z</c>), so that it cannot be read in the wrong zone.</summary>
    public DateTimeOffset? Instant(string key, bool required = false)
    {
        var text = Scalar(key, required);
        if (text is null)
        {
            return null;
        }

        if ((text.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > 10)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        Source.Report(Get(key)!, $"{What}: '{key}' must be an instant with its offset, e.g. 2025-11-05T08:06:00Z, got '{text}'");
        return null;
    }

    /// <summary>One of <paramref name="allowed"/>, mapped to its value.</summary>
    public T? Choice<T>(string key, IReadOnlyDictionary<string, T> allowed, bool required = false)
        where T : struct
    {
        var text = Scalar(key, required);
        if (text is null)
        {
            return null;
        }

        if (allowed.TryGetValue(text, out var value))
        {
            return value;
        }

        Source.Report(Get(key)!, $"{What}: unknown {key} '{text}' (expected one of: {string.Join(", ", allowed.Keys)})");
        return null;
    }

    /// <summary>The items of a list value; reports a value that is not a list.</summary>
    public IReadOnlyList<YamlNode> Sequence(string key, bool required = false)
    {
        var node = Get(key);
        if (node is null)
        {
            ReportMissing(key, required);
            return [];
        }

        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.Where(n => !IsNull(n)).ToList();
        }

        Source.Report(node, $"{What}: '{key}' must be a list");
        return [];
    }

    /// <summary>A list of ids, e.g. <c>[casa-aero, tanger-mach]</c>, with the node of each for later errors.</summary>
    public IReadOnlyList<(string Id, YamlNode Node)> IdList(string key, bool required = false)
    {
        var ids = new List<(string, YamlNode)>();
        foreach (var item in Sequence(key, required))
        {
            if (item is YamlScalarNode { Value: { } value } && IdRules.IsValidId(value))
            {
                ids.Add((value, item));
            }
            else
            {
                Source.Report(item, $"{What}: '{key}' items must be ids ({IdRules.Description})");
            }
        }

        return ids;
    }

    /// <summary>Reports every key that no getter asked for: almost always a typo.</summary>
    public void ReportUnknownKeys()
    {
        if (_map is null)
        {
            return;
        }

        foreach (var key in _map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (_readKeys.Contains(name))
            {
                continue;
            }

            var suggestion = _readKeys.MinBy(known => EditDistance(known, name));
            var hint = suggestion is not null && EditDistance(suggestion, name) <= 2 ? $" (did you mean '{suggestion}'?)" : string.Empty;
            Source.Report(key, $"{What}: unknown key '{name}'{hint}");
        }
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private void ReportMissing(string key, bool required)
    {
        if (required)
        {
            Source.Report(Node, $"{What}: missing required key '{key}'");
        }
    }

    private static string RangeText(double min, double max, bool minExclusive)
    {
        var lower = minExclusive ? "greater than" : "at least";
        return (min > double.MinValue, max < double.MaxValue) switch
        {
            (true, true) => $"{lower} {F(min)} and at most {F(max)}",
            (true, false) => $"{lower} {F(min)}",
            (false, true) => $"at most {F(max)}",
            _ => "a number",
        };

        static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
