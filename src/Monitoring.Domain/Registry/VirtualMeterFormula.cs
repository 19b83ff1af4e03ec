using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Registry;

/// <summary>
/// A virtual meter's definition: a signed sum of meters, e.g. <c>main-incomer - sum(children)</c>.
/// Meter ids may contain '-', so operators stand between spaces.
/// </summary>
public sealed record VirtualMeterFormula(string Text, IReadOnlyList<FormulaTerm> Terms);

/// <summary>One signed term: a meter, or the sum of a meter's children (<c>sum(children)</c> means the parent's).</summary>
/// <param name="ChildrenOf">Set for <c>sum(children(x))</c>; null for <c>sum(children)</c> on a plain meter term.</param>
public sealed record FormulaTerm(int Sign, string? MeterId, bool IsChildrenSum, string? ChildrenOf);

internal static class VirtualMeterFormulaParser
{
    /// <summary>Parses <paramref name="text"/>; on failure returns null and the reason.</summary>
    public static VirtualMeterFormula? Parse(string text, out string? error)
    {
        var tokens = Tokenize(text);
        var terms = new List<FormulaTerm>();
        var position = 0;
        var sign = 1;
        error = null;
        while (true)
        {
            if (position >= tokens.Count)
            {
                error = terms.Count == 0 ? "formula is empty" : "formula ends with an operator";
                return null;
            }

            if (!TryParseTerm(tokens, ref position, sign, terms, out error))
            {
                return null;
            }

            if (position == tokens.Count)
            {
                return new VirtualMeterFormula(text, terms);
            }

            switch (tokens[position])
            {
                case "+": sign = 1; break;
                case "-": sign = -1; break;
                default:
                    error = $"expected '+' or '-' (with spaces around it) before '{tokens[position]}'";
                    return null;
            }

            position++;
        }
    }

    private static bool TryParseTerm(List<string> tokens, ref int position, int sign, List<FormulaTerm> terms, out string? error)
    {
        error = null;
        var token = tokens[position];
        if (token != "sum")
        {
            if (!IdRules.IsValidId(token))
            {
                error = $"'{token}' is not a meter id";
                return false;
            }

            terms.Add(new FormulaTerm(sign, token, false, null));
            position++;
            return true;
        }

        // sum( children ) | sum( children ( id ) ) | sum( id , id ... )
        if (!Expect(tokens, position + 1, "(", out error))
        {
            return false;
        }

        position += 2;
        if (position < tokens.Count && tokens[position] == "children")
        {
            position++;
            string? of = null;
            if (position < tokens.Count && tokens[position] == "(")
            {
                if (position + 1 >= tokens.Count || !IdRules.IsValidId(tokens[position + 1]))
                {
                    error = "children( ) needs a meter id";
                    return false;
                }

                of = tokens[position + 1];
                if (!Expect(tokens, position + 2, ")", out error))
                {
                    return false;
                }

                position += 3;
            }

            if (!Expect(tokens, position, ")", out error))
            {
                return false;
            }

            position++;
            terms.Add(new FormulaTerm(sign, null, true, of));
            return true;
        }

        while (true)
        {
            if (position >= tokens.Count || !IdRules.IsValidId(tokens[position]))
            {
                error = "sum( ) takes 'children', 'children(id)' or a list of meter ids";
                return false;
            }

            terms.Add(new FormulaTerm(sign, tokens[position], false, null));
            position++;
            if (position < tokens.Count && tokens[position] == ",")
            {
                position++;
                continue;
            }

            if (!Expect(tokens, position, ")", out error))
            {
                return false;
            }

            position++;
            return true;
        }
    }

    private static bool Expect(List<string> tokens, int position, string expected, out string? error)
    {
        error = position < tokens.Count && tokens[position] == expected
            ? null
            : $"expected '{expected}' in sum( )";
        return error is null;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            var isDelimiter = char.IsWhiteSpace(c) || c is '(' or ')' or ',';
            if (!isDelimiter)
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0)
            {
                tokens.Add(text[start..i]);
                start = -1;
            }

            if (!char.IsWhiteSpace(c))
            {
                tokens.Add(c.ToString());
            }
        }

        return tokens;
    }
}
