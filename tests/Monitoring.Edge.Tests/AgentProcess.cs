using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Monitoring.Edge.Tests;

/// <summary>The real <c>monitoring-edge run</c> as a child process, its output kept for assertions.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    private AgentProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the agent printed, stdout and stderr interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static AgentProcess Start(string config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var agent = Path.Combine(AppContext.BaseDirectory, "monitoring-edge.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(agent);
        startInfo.ArgumentList.Add("run");
        startInfo.ArgumentList.Add("--config");
        startInfo.ArgumentList.Add(config);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("cannot start monitoring-edge");
        var agentProcess = new AgentProcess(process);
        process.OutputDataReceived += (_, e) => agentProcess.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => agentProcess.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agentProcess;
    }

    /// <summary>Waits until the agent prints a line containing <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            _waiters.Add((line => line.Contains(text, StringComparison.Ordinal), seen));
        }

        try
        {
            await Task.WhenAny(seen.Task, _process.WaitForExitAsync(cancellationToken)).Unwrap();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the agent did not print '{text}'; it printed:\n{Output}");
        }

        if (!seen.Task.IsCompleted)
        {
            throw new InvalidOperationException($"the agent exited ({_process.ExitCode}) before it printed '{text}'; it printed:\n{Output}");
        }
    }

    /// <summary>SIGKILL: the agent gets no chance to say goodbye (the broker publishes its wills).</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>SIGTERM, then the exit code.</summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync(cancellationToken);
        }

        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
