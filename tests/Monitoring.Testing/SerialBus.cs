using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Monitoring.Testing;

/// <summary>
/// An RS-485 bus without hardware: tests/peers/modbus_server.py serving its register map as Modbus RTU on one end of
/// a pseudo-terminal pair, the client opening <see cref="Port"/> at the other. The pair is socat's
/// (<c>MONITORING_TEST_SOCAT</c>), or tests/peers/serial_relay.py's when answers are to be corrupted or the line's
/// speed emulated.
/// </summary>
public sealed class SerialBus : IAsyncDisposable
{
    public const string SocatVariable = "MONITORING_TEST_SOCAT";

    private readonly string _directory;
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _output = new();

    private SerialBus(string directory)
    {
        _directory = directory;
        Port = Path.Combine(directory, "agent");
    }

    /// <summary>The serial port the client opens (a link to a pseudo-terminal).</summary>
    public string Port { get; }

    /// <summary>What the relay and the server printed, for assertions and failure messages.</summary>
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

    /// <summary>A plain line: socat's pseudo-terminal pair.</summary>
    public static Task<SerialBus> StartAsync() => StartAsync(relayArguments: null);

    /// <summary>A line through serial_relay.py, e.g. <c>["--corrupt", "2"]</c> or <c>["--baud", "9600"]</c>.</summary>
    public static Task<SerialBus> StartRelayedAsync(params string[] relayArguments) => StartAsync(relayArguments);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }

            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<SerialBus> StartAsync(string[]? relayArguments)
    {
        var peers = ServiceEnvironment.Require(ServiceEnvironment.PeersVariable, "the peer scripts");
        var directory = Directory.CreateTempSubdirectory("serial-bus-").FullName;
        var bus = new SerialBus(directory);
        try
        {
            var device = Path.Combine(directory, "device");
            if (relayArguments is null)
            {
                var socat = ServiceEnvironment.RequireExecutable(SocatVariable, "socat");
                await bus.StartProcessAsync(
                    socat,
                    ["-d", "-d", $"pty,raw,echo=0,link={bus.Port}", $"pty,raw,echo=0,link={device}"],
                    ready: _ => File.Exists(bus.Port) && File.Exists(device)).ConfigureAwait(false);
            }
            else
            {
                await bus.StartProcessAsync(
                    "/usr/bin/python3",
                    [Path.Combine(peers, "serial_relay.py"), "--link-dir", directory, .. relayArguments],
                    ready: line => line.StartsWith("serial_relay: ready", StringComparison.Ordinal)).ConfigureAwait(false);
            }

            await bus.StartProcessAsync(
                "/usr/bin/python3",
                [Path.Combine(peers, "modbus_server.py"), "--serial", device],
                ready: line => line.StartsWith("modbus_server: serving", StringComparison.Ordinal)).ConfigureAwait(false);
            return bus;
        }
        catch
        {
            await bus.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a helper and waits until it prints a line that <paramref name="ready"/> accepts (or, for socat, until its links exist).</summary>
    private async Task StartProcessAsync(string fileName, string[] arguments, Func<string, bool> ready)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {fileName}");
        _processes.Add(process);
        var isReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            if (ready(line))
            {
                isReady.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var budget = TestTimeouts.Start(TestTimeouts.Operation);
        while (!isReady.Task.IsCompleted)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{fileName} exited with {process.ExitCode} before it was ready:\n{Output}"));
            }

            if (ready(string.Empty))
            {
                return;
            }

            try
            {
                await isReady.Task.WaitAsync(TimeSpan.FromMilliseconds(50), budget.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Poll again: socat announces its links only at -d -d verbosity, so their existence is checked too.
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{fileName} was not ready within {TestTimeouts.Operation.TotalSeconds:0} s:\n{Output}");
            }
        }
    }
}
