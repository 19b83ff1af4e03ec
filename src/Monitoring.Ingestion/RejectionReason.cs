namespace Monitoring.Ingestion;

/// <summary>Why a reading was not taken; every one is counted, the first few are kept with their line.</summary>
public enum RejectionReason
{
    /// <summary>The line itself is not valid line protocol.</summary>
    Syntax,
    /// <summary>Readings travel as measurement <c>meter</c> (DESIGN.md §4); other measurements are not readings.</summary>
    UnknownMeasurement,
    /// <summary>The <c>site</c> or <c>meter</c> tag is missing.</summary>
    MissingTag,
    /// <summary>No such site and meter in the registry.</summary>
    UnknownMeter,
    /// <summary>The registry does not declare this field for the meter.</summary>
    UnknownField,
    /// <summary>A boolean or string where the field is a number.</summary>
    NotANumber,
    /// <summary>The aggregation core refused the value: not finite, or too far in the future.</summary>
    InvalidValue,
    /// <summary>Later than the allowed lateness and older than the history kept: its split between intervals is lost.</summary>
    TooLate,
    /// <summary>The registry's series limit was reached.</summary>
    OverCardinality,
    /// <summary>The timestamp lies further ahead of the server's clock than the allowed skew.</summary>
    FutureTimestamp,
    /// <summary>The timestamp lies further behind the server's clock than the aggregation accepts (a clock at 1970, a mistyped timestamp).</summary>
    TooOld,
    /// <summary>An agent health line with a tag it may not have, or a site or agent name that is not a bounded name.</summary>
    InvalidTag,
    /// <summary>An agent health line of a new agent at a site that has reached <c>Ingestion:MaxAgentsPerSite</c>.</summary>
    TooManyAgents,
}

/// <summary>A rejected reading with where it was and why.</summary>
public sealed record Rejection(long Line, RejectionReason Reason, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}
