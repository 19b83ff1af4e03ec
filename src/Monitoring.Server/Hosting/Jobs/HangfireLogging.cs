using HangfireLog = Hangfire.Logging;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>
/// Hangfire's log output through the host's <see cref="ILoggerFactory"/>. Hangfire keeps its log provider in a static;
/// when a second host in the process (tests) has replaced it and then stopped, loggers are asked of a disposed factory:
/// this provider then logs nothing instead of failing the job server.
/// </summary>
internal sealed class HangfireLogProvider(ILoggerFactory factory) : HangfireLog.ILogProvider
{
    public HangfireLog.ILog GetLogger(string name)
    {
        try
        {
            return new LoggerLog(factory.CreateLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new LoggerLog(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
    }

    private sealed class LoggerLog(ILogger logger) : HangfireLog.ILog
    {
        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = logLevel switch
            {
                HangfireLog.LogLevel.Trace => LogLevel.Trace,
                HangfireLog.LogLevel.Debug => LogLevel.Debug,
                HangfireLog.LogLevel.Info => LogLevel.Information,
                HangfireLog.LogLevel.Warn => LogLevel.Warning,
                HangfireLog.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            if (messageFunc is null || !logger.IsEnabled(level))
            {
                return logger.IsEnabled(level);
            }

            var message = messageFunc();
#pragma warning disable CA1848, CA1873 // Hangfire hands over finished messages (there is no template to generate); the level is checked above.
            logger.Log(level, exception, "{Message}", message);
#pragma warning restore CA1848, CA1873
            return true;
        }
    }
}
