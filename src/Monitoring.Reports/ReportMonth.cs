using System.Globalization;

namespace Monitoring.Reports;

/// <summary>A calendar month of the sites' local time, written <c>YYYY-MM</c>.</summary>
public readonly record struct ReportMonth(int Year, int Month)
{
    public DateOnly FirstDay => new(Year, Month, 1);

    /// <summary>The first day of the next month (exclusive end).</summary>
    public DateOnly End => FirstDay.AddMonths(1);

    public static bool TryParse(string? text, out ReportMonth month)
    {
        month = default;
        if (text is null || !DateOnly.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return false;
        }

        month = new ReportMonth(day.Year, day.Month);
        return true;
    }

    public static ReportMonth Of(DateOnly day) => new(day.Year, day.Month);

    /// <summary><c>YYYY-MM</c>.</summary>
    public override string ToString() => FirstDay.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>e.g. <c>October 2025</c>.</summary>
    public string ToLongName() => FirstDay.ToString("MMMM yyyy", CultureInfo.InvariantCulture);
}

/// <summary>Modelling choices of a report; the defaults are the documented ones (docs/kpi.md, Programme report).</summary>
public sealed record ReportOptions
{
    public static ReportOptions Default { get; } = new();

    /// <summary>Base temperature of heating degree days, °C.</summary>
    public double HddBaseC { get; init; } = 18.0;

    /// <summary>Base temperature of cooling degree days, °C.</summary>
    public double CddBaseC { get; init; } = 18.0;

    /// <summary>Two-sided confidence level of the savings uncertainty (ASHRAE Guideline 14 FSU).</summary>
    public double ConfidenceLevel { get; init; } = 0.90;

    /// <summary>Savings-sensitivity of the business cases (NPV at ∓ this fraction of the expected savings).</summary>
    public double SavingsSensitivity { get; init; } = 0.20;

    internal void Validate()
    {
        if (!(ConfidenceLevel is > 0.0 and < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "The confidence level must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(SavingsSensitivity);
    }
}

/// <summary>The data or the registry cannot give the report asked for (unknown programme, no baseline data, …).</summary>
public sealed class ReportDataException : Exception
{
    public ReportDataException()
    {
    }

    public ReportDataException(string message)
        : base(message)
    {
    }

    public ReportDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
