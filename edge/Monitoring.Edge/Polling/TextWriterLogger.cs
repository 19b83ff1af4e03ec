using Microsoft.Extensions.Logging;

namespace Monitoring.Edge.Polling;

/// <summary>
/// The agent's log is its standard error, one line per event, beside what <c>run</c> prints itself (and what systemd
/// puts in the journal); the supervised loops and the agent log through this.
/// </summary>
internal sealed class TextWriterLogger(TextWriter writer) : ILogger
{
    private readonly Lock _lock = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var cause = exception is null ? string.Empty : $": {exception.GetType().Name}: {exception.Message}";
        lock (_lock)
        {
            writer.WriteLine($"monitoring-edge: {Level(logLevel)}: {formatter(state, exception)}{cause}");
            writer.Flush();
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Critical => "critical",
        LogLevel.Error => "error",
        LogLevel.Warning => "warning",
        _ => "info",
    };
}
