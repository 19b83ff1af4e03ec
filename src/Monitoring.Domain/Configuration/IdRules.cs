using System.Text.RegularExpressions;

namespace Monitoring.Domain.Configuration;

/// <summary>Ids travel as line-protocol tag values and URL segments, so they are kept to a safe alphabet.</summary>
public static partial class IdRules
{
    public const int MaxLength = 64;

    public const string Description = "lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64 characters";

    public static bool IsValidId(string value) => value.Length <= MaxLength && IdPattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
