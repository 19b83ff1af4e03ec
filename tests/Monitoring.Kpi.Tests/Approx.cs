using System.Globalization;

namespace Monitoring.Kpi.Tests;

/// <summary>Comparisons "to the stated decimals" of methods.md: |expected − actual| ≤ half a unit of the last decimal.</summary>
internal static class Approx
{
    public static void Decimals(double expected, double actual, int decimals)
    {
        var tolerance = 0.5 * Math.Pow(10, -decimals) * (1 + 1e-9);
        Assert.True(
            Math.Abs(expected - actual) <= tolerance,
            string.Create(CultureInfo.InvariantCulture, $"Expected {expected} to {decimals} decimals, got {actual:R}."));
    }

    public static void Significant(double expected, double actual, int digits)
    {
        var tolerance = 0.5 * Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(expected))) - digits + 1) * (1 + 1e-9);
        Assert.True(
            Math.Abs(expected - actual) <= tolerance,
            string.Create(CultureInfo.InvariantCulture, $"Expected {expected} to {digits} significant digits, got {actual:R}."));
    }

    public static void Relative(double expected, double actual, double relativeTolerance)
    {
        Assert.True(
            Math.Abs(expected - actual) <= relativeTolerance * Math.Max(1.0, Math.Abs(expected)),
            string.Create(CultureInfo.InvariantCulture, $"Expected {expected:R}, got {actual:R} (relative tolerance {relativeTolerance})."));
    }
}
