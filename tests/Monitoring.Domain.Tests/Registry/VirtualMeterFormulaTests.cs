using Monitoring.Domain.Registry;


namespace Monitoring.Domain.Tests.Registry;

public sealed class VirtualMeterFormulaTests
{
    [Theory]
    [InlineData("main - sum(children)", "+main -children()")]
    [InlineData("main-incomer - sum(children(main-incomer))", "+main-incomer -children(main-incomer)")]
    [InlineData("a + b - sum(c, d)", "+a +b -c -d")]
    [InlineData("  a  ", "+a")]
    public void Parses_signed_terms(string text, string expected)
    {
        var formula = VirtualMeterFormulaParser.Parse(text, out var error);

        Assert.Null(error);
        var rendered = formula!.Terms.Select(t =>
            (t.Sign > 0 ? "+" : "-") + (t.IsChildrenSum ? $"children({t.ChildrenOf})" : t.MeterId));
        Assert.Equal(expected, string.Join(' ', rendered));
    }

    [Theory]
    [InlineData("", "formula is empty")]
    [InlineData("a -", "formula ends with an operator")]
    [InlineData("a b", "expected '+' or '-' (with spaces around it) before 'b'")]
    [InlineData("sum(children", "expected ')' in sum( )")]
    [InlineData("sum()", "sum( ) takes 'children', 'children(id)' or a list of meter ids")]
    [InlineData("Main", "'Main' is not a meter id")]
    public void Rejects_malformed_formulas_with_a_reason(string text, string expected)
    {
        Assert.Null(VirtualMeterFormulaParser.Parse(text, out var error));
        Assert.Equal(expected, error);
    }
}
