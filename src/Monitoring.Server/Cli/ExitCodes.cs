namespace Monitoring.Server.Cli;

/// <summary>Process exit codes, stable for scripts and CI.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    /// <summary>The registry (or another input file) is invalid; every error was printed.</summary>
    public const int InvalidConfiguration = 2;
}
