namespace Monitoring.Domain.Configuration;

/// <summary>Where something was written in a registry file; line and column are 1-based, 0 means "the whole file".</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>One problem found in a configuration file, printed as <c>file:line:column: message</c>.</summary>
public sealed record ConfigurationError(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
