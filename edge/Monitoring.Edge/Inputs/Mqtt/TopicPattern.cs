namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>
/// A subscription topic with named segments, e.g. <c>factory/{site}/{meter}/state</c>: the broker is sent the
/// filter <c>factory/+/+/state</c>, and a received topic yields the values of <c>{site}</c> and <c>{meter}</c>.
/// MQTT wildcards <c>+</c> (one level) and <c>#</c> (the rest, last segment only) may be used as well.
/// </summary>
public sealed class TopicPattern
{
    public const string SiteSegment = "{site}";
    public const string MeterSegment = "{meter}";

    private readonly string[] _segments;

    private TopicPattern(string text, string[] segments)
    {
        Text = text;
        _segments = segments;
        Filter = string.Join('/', segments.Select(s => s is SiteSegment or MeterSegment ? "+" : s));
        SiteIndex = Array.IndexOf(segments, SiteSegment);
        MeterIndex = Array.IndexOf(segments, MeterSegment);
    }

    /// <summary>As configured.</summary>
    public string Text { get; }

    /// <summary>The MQTT topic filter sent to the broker.</summary>
    public string Filter { get; }

    public bool HasSite => SiteIndex >= 0;

    public bool HasMeter => MeterIndex >= 0;

    private int SiteIndex { get; }

    private int MeterIndex { get; }

    public static TopicPattern? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length == 0)
        {
            error = "the topic must not be empty";
            return null;
        }

        var segments = text.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Contains('{', StringComparison.Ordinal) || segment.Contains('}', StringComparison.Ordinal))
            {
                if (segment is not (SiteSegment or MeterSegment))
                {
                    error = $"segment '{segment}': a named segment is a whole level and is either {SiteSegment} or {MeterSegment}";
                    return null;
                }

                if (Array.IndexOf(segments, segment) != i)
                {
                    error = $"{segment} appears twice";
                    return null;
                }
            }
            else if (segment == "#")
            {
                if (i != segments.Length - 1)
                {
                    error = "'#' must be the last level";
                    return null;
                }
            }
            else if (segment != "+" && (segment.Contains('+', StringComparison.Ordinal) || segment.Contains('#', StringComparison.Ordinal)))
            {
                error = $"segment '{segment}': '+' and '#' must stand alone in a level";
                return null;
            }
            else if (segment.Contains('\0', StringComparison.Ordinal))
            {
                error = "the topic contains a NUL character";
                return null;
            }
        }

        return new TopicPattern(text, segments);
    }

    /// <summary>Whether <paramref name="topic"/> matches, with the values of the named segments.</summary>
    public bool TryMatch(string topic, out string? site, out string? meter)
    {
        ArgumentNullException.ThrowIfNull(topic);
        site = null;
        meter = null;
        var levels = topic.Split('/');
        if (!Matches(levels, topic))
        {
            return false;
        }

        site = SiteIndex >= 0 ? levels[SiteIndex] : null;
        meter = MeterIndex >= 0 ? levels[MeterIndex] : null;
        return true;
    }

    private bool Matches(string[] levels, string topic)
    {
        // Wildcards at the first level never match topics starting with '$' (broker topics such as $SYS).
        if (topic.StartsWith('$') && _segments[0] is "+" or "#" or SiteSegment or MeterSegment)
        {
            return false;
        }

        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (segment == "#")
            {
                return true; // the rest, including nothing: "a/#" matches "a"
            }

            if (i >= levels.Length)
            {
                return false;
            }

            if (segment is not ("+" or SiteSegment or MeterSegment) && !string.Equals(segment, levels[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return levels.Length == _segments.Length;
    }

    public override string ToString() => Text;
}
