using System.Globalization;
using System.Text.Json;

namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>
/// The subset of JSONPath that picks one value: <c>$</c>, <c>$.a.b</c>, <c>$.a[0].b</c>, <c>$['key with.dots']</c>,
/// <c>$.values[-1]</c> (from the end). No wildcards, filters or recursive descent: a field is one value.
/// </summary>
public sealed class JsonPath
{
    private readonly IReadOnlyList<object> _steps; // string (member) or int (index)

    private JsonPath(string text, IReadOnlyList<object> steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    public static JsonPath? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (!text.StartsWith('$'))
        {
            error = "a JSON path starts with '$', e.g. $.energy.total";
            return null;
        }

        var steps = new List<object>();
        var i = 1;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] is not ('.' or '['))
                {
                    i++;
                }

                if (i == start)
                {
                    error = $"empty member name at position {start + 1}";
                    return null;
                }

                steps.Add(text[start..i]);
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    error = "'[' without ']'";
                    return null;
                }

                var inside = text[(i + 1)..close].Trim();
                if (inside.Length >= 2 && inside[0] is '\'' or '"' && inside[^1] == inside[0])
                {
                    steps.Add(inside[1..^1]);
                }
                else if (int.TryParse(inside, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                {
                    steps.Add(index);
                }
                else
                {
                    error = $"'[{inside}]' must be an index such as [0] or a quoted name such as ['total energy']";
                    return null;
                }

                i = close + 1;
            }
            else
            {
                error = $"unexpected '{text[i]}' at position {i + 1}; write $.name or $[0]";
                return null;
            }
        }

        return new JsonPath(text, steps);
    }

    /// <summary>The value at this path, or false when a step is missing (or the value is JSON null).</summary>
    public bool TryEvaluate(JsonElement root, out JsonElement value)
    {
        value = root;
        foreach (var step in _steps)
        {
            if (step is string name)
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                {
                    return false;
                }
            }
            else
            {
                var index = (int)step;
                if (value.ValueKind != JsonValueKind.Array)
                {
                    return false;
                }

                var length = value.GetArrayLength();
                index = index < 0 ? length + index : index;
                if (index < 0 || index >= length)
                {
                    return false;
                }

                value = value[index];
            }
        }

        return value.ValueKind != JsonValueKind.Null;
    }

    public override string ToString() => Text;
}
