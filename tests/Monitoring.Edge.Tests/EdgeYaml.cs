using Monitoring.Edge.Configuration;

namespace Monitoring.Edge.Tests;

/// <summary>Loads edge configurations written inline in tests, under the file name <c>edge.yaml</c>.</summary>
internal static class EdgeYaml
{
    public const string File = "edge.yaml";

    /// <summary>Loads <paramref name="yaml"/> and asserts that it is valid.</summary>
    public static EdgeConfiguration Valid(string yaml)
    {
        var result = EdgeConfigurationLoader.Load(File, yaml);
        Assert.True(result.Configuration is not null, string.Join(Environment.NewLine, result.Errors));
        return result.Configuration!;
    }

    /// <summary>Loads <paramref name="yaml"/>, asserts exactly one error and returns it as <c>file:line:column: message</c>.</summary>
    public static string SingleError(string yaml)
    {
        var result = EdgeConfigurationLoader.Load(File, yaml);
        Assert.Null(result.Configuration);
        return Assert.Single(result.Errors).ToString();
    }
}
