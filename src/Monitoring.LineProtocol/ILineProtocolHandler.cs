namespace Monitoring.LineProtocol;

/// <summary>
/// Receives the outcome of every non-blank, non-comment line, in order. The arguments are views into the parser's
/// buffers: read what you need during the call (copy or convert it), do not keep them. Implement it on a struct
/// and pass it by <c>ref</c> to <see cref="LineProtocolParser.Parse{THandler}(ReadOnlySpan{byte}, ref THandler)"/>
/// to get devirtualized, inlinable calls.
/// </summary>
public interface ILineProtocolHandler
{
    /// <summary>A valid line.</summary>
    void OnPoint(in LineProtocolPoint point);

    /// <summary>A rejected line; parsing goes on with the next line.</summary>
    void OnError(in LineProtocolSyntaxError syntaxError);
}

/// <summary>Outcome of <see cref="LineProtocolParser.ParseLine(ReadOnlySpan{byte}, long, out LineProtocolPoint, out LineProtocolSyntaxError)"/>.</summary>
public enum LineParseStatus
{
    /// <summary>A valid point.</summary>
    Point,

    /// <summary>A blank line or a comment.</summary>
    Skipped,

    /// <summary>A rejected line.</summary>
    Error,
}
