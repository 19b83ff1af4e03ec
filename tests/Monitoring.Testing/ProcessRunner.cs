using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Monitoring.Testing;

/// <summary>What a finished child process printed and returned.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything about the run, for assertion messages.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"`{CommandLine}` exited with {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}");
}

/// <summary>Runs a command-line peer (mbpoll, mosquitto_pub, ...) with a timeout, capturing its output.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["LC_ALL"] = "C";
        var commandLine = string.Join(' ', startInfo.ArgumentList.Prepend(fileName));

        using var process = new Process { StartInfo = startInfo };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start `{commandLine}`.");
        }

        process.StandardInput.Close();
        using var budget = TestTimeouts.Link(cancellationToken, timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(budget.Token);
        var stderr = process.StandardError.ReadToEndAsync(budget.Token);
        try
        {
            await process.WaitForExitAsync(budget.Token).ConfigureAwait(false);
            return new ProcessResult(
                commandLine,
                process.ExitCode,
                await stdout.ConfigureAwait(false),
                await stderr.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"`{commandLine}` did not finish within {(timeout ?? TestTimeouts.Operation).TotalSeconds} s and was killed."));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
