using System.Text.RegularExpressions;

namespace Monitoring.Dashboards.Tests;

/// <summary>The columns an InfluxQL SELECT returns: <c>time</c>, then the alias of each expression of the outer select list.</summary>
internal static partial class InfluxQlSelect
{
    /// <summary>The aliases of the outer select list; throws when an expression has no <c>AS "alias"</c>.</summary>
    public static IReadOnlyList<string> Aliases(string query)
    {
        var select = query.IndexOf("SELECT ", StringComparison.Ordinal);
        if (select < 0)
        {
            throw new FormatException($"not a SELECT: {query}");
        }

        var items = new List<string>();
        var depth = 0;
        var quoted = '\0';
        var start = select + "SELECT ".Length;
        for (var i = start; i < query.Length; i++)
        {
            var c = query[i];
            if (quoted != '\0')
            {
                quoted = c == quoted && query[i - 1] != '\\' ? '\0' : quoted;
                continue;
            }

            switch (c)
            {
                case '"' or '\'':
                    quoted = c;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    items.Add(query[start..i]);
                    start = i + 1;
                    break;
                case ' ' when depth == 0 && string.CompareOrdinal(query, i, " FROM ", 0, 6) == 0:
                    items.Add(query[start..i]);
                    return [.. items.Select(Alias)];
            }
        }

        throw new FormatException($"no FROM after the select list: {query}");
    }

    private static string Alias(string expression)
    {
        var match = AsAlias().Match(expression);
        return match.Success ? match.Groups["alias"].Value : throw new FormatException($"select expression without AS \"alias\": {expression.Trim()}");
    }

    [GeneratedRegex(@"\sAS\s+""(?<alias>[^""]+)""\s*$")]
    private static partial Regex AsAlias();
}
