using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Monitoring.Testing;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Server.Tests;

/// <summary>
/// compose.yaml's services started as native processes, each with the command, environment and files compose gives
/// it, translated to one machine without a container engine: a service name is 127.0.0.1, a container port a free
/// local one (a block per service, so consecutive ports stay consecutive), a bind mount a translated copy, a named
/// volume an empty folder. Services listed in <c>standIns</c> are not started: their name and ports point at a test
/// service of ./test.sh instead. Our images' entry point is their executable (<c>APP</c>), run from the test binaries.
/// </summary>
internal sealed partial class NativeStack : IAsyncDisposable
{
    private readonly ComposeFile _compose;
    private readonly IReadOnlyDictionary<string, string> _variables;
    private readonly IReadOnlyDictionary<string, ServiceEndpoint> _standIns;
    private readonly ITestOutputHelper _log;
    private readonly Dictionary<string, int> _portBlocks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string Container, string Host)>> _mounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NativeService> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services;

    public NativeStack(ComposeFile compose, IReadOnlyDictionary<string, string> variables, IReadOnlyDictionary<string, ServiceEndpoint> standIns, ITestOutputHelper log)
    {
        _compose = compose;
        _variables = variables;
        _standIns = standIns;
        _log = log;
        _services = [.. compose.ServiceNames()];
        Root = Path.Combine(Path.GetTempPath(), "monitoring-stack-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The folder holding every translated mount and volume.</summary>
    public string Root { get; }

    /// <summary>The local port that stands for <paramref name="port"/> of <paramref name="service"/>.</summary>
    public int Port(string service, int port)
    {
        if (_standIns.TryGetValue(service, out var standIn))
        {
            return standIn.Port;
        }

        if (!_portBlocks.TryGetValue(service, out var block))
        {
            block = FreeBlock();
            _portBlocks[service] = block;
        }

        return block + (port % 100);
    }

    /// <summary>The local path of <paramref name="containerPath"/> in <paramref name="service"/>'s mounts.</summary>
    public string PathOf(string service, string containerPath)
    {
        PrepareMounts(service);
        var path = TranslatePaths(service, containerPath);
        Assert.NotEqual(containerPath, path);
        return path;
    }

    /// <summary>The service's <c>environment</c>, interpolated and translated.</summary>
    public IReadOnlyDictionary<string, string> Environment(string service)
    {
        PrepareMounts(service);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ComposeFile.Mapping(_compose.Service(service), "environment") is { } environment)
        {
            foreach (var (key, value) in environment.Children)
            {
                result[((YamlScalarNode)key).Value!] = Translate(service, Interpolate(((YamlScalarNode)value).Value ?? ""));
            }
        }

        // A host and its port in two settings (MONITORING_Mqtt__BrokerHost, …BrokerPort).
        foreach (var (key, host) in result.Where(kv => kv.Key.EndsWith("Host", StringComparison.Ordinal) && _services.Contains(kv.Value)).ToList())
        {
            result[key] = "127.0.0.1";
            if (result.TryGetValue(key[..^"Host".Length] + "Port", out var port))
            {
                result[key[..^"Host".Length] + "Port"] = Port(host, int.Parse(port, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    /// <summary>The process the service runs: its entry point and command, interpolated and translated.</summary>
    public IReadOnlyList<string> CommandLine(string service)
    {
        PrepareMounts(service);
        var node = _compose.Service(service);
        var entrypoint = ComposeFile.Sequence(node, "entrypoint");
        var command = ComposeFile.Sequence(node, "command");
        IEnumerable<string> line = entrypoint.Count > 0
            ? [.. entrypoint, .. command]
            : ["dotnet", EntryPoint(node), .. command];
        var translated = line.Select(a => Translate(service, Interpolate(a))).ToList();
        for (var i = 0; i + 1 < translated.Count; i++)
        {
            if (translated[i] == "--base-port")
            {
                translated[i + 1] = Port(service, int.Parse(translated[i + 1], CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
            }
        }

        return translated;
    }

    /// <summary>The service's health check command (<c>CMD</c> form), translated; null when it has none.</summary>
    public IReadOnlyList<string>? HealthCheck(string service)
    {
        if (ComposeFile.Mapping(_compose.Service(service), "healthcheck") is not { } healthcheck)
        {
            return null;
        }

        var test = ComposeFile.Sequence(healthcheck, "test");
        Assert.Equal("CMD", test[0]);
        var line = test.ToArray()[1..].Select(a => Translate(service, Interpolate(a))).ToList();
        if (line[0] == "/usr/local/bin/entrypoint")
        {
            line.RemoveAt(0);
            line.InsertRange(0, ["dotnet", EntryPoint(_compose.Service(service))]);
        }

        return line;
    }

    public NativeService Start(string service, IReadOnlyDictionary<string, string>? extra = null)
    {
        Assert.False(_standIns.ContainsKey(service), $"{service} is stood in for by a test service");
        var line = CommandLine(service);
        var info = new ProcessStartInfo(line[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in line.ToArray()[1..])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment(service).Concat(extra ?? new Dictionary<string, string>()))
        {
            info.Environment[name] = value;
        }

        var started = new NativeService(service, Process.Start(info) ?? throw new InvalidOperationException($"cannot start {service}"), _log);
        _running[service] = started;
        return started;
    }

    public async Task StopAsync(string service)
    {
        if (_running.Remove(service, out var running))
        {
            await running.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _running.Keys.Reverse().ToList())
        {
            await StopAsync(service);
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file written by a process that ran as another user; the temp folder is cleaned by the system.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>
    /// The service's app as its image has it: the build's <c>PROJECT</c> in its own output folder, with its own
    /// dependencies. Not the copy in this test's folder, where the ASP.NET framework's assemblies stand in for
    /// packages another app ships itself (monitoring-edge could not load Microsoft.Extensions.Logging.Abstractions).
    /// </summary>
    private static string EntryPoint(YamlMappingNode service)
    {
        var arguments = ComposeFile.Mapping(ComposeFile.Mapping(service, "build")!, "args")!;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<configuration>/net10.0/
        return Path.Combine(Repository.Root, ComposeFile.Scalar(arguments, "PROJECT")!, "bin", configuration, "net10.0", ComposeFile.Scalar(arguments, "APP")! + ".dll");
    }

    private string Interpolate(string value) => VariableReference().Replace(value, m =>
        _variables.TryGetValue(m.Groups["name"].Value, out var v) ? v : throw new InvalidOperationException($"compose.yaml reads ${{{m.Groups["name"].Value}}}, which the test's .env does not set"));

    /// <summary>Service names and listen addresses to local ones, container paths to the service's mounts.</summary>
    private string Translate(string service, string text)
    {
        text = Endpoint().Replace(text, m => IsHost(m.Groups["host"].Value, service, out var target)
            ? string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port(target, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture))}")
            : m.Value);
        text = HostAndPort().Replace(text, m => IsHost(m.Groups["host"].Value, service, out var target)
            ? string.Create(CultureInfo.InvariantCulture, $"{m.Groups["hk"].Value}127.0.0.1{m.Groups["sep"].Value}{m.Groups["pk"].Value}{Port(target, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture))}")
            : m.Value);
        text = OwnPort().Replace(text, m => string.Create(CultureInfo.InvariantCulture,
            $"{m.Groups["key"].Value}{Port(service, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture))} 127.0.0.1"));
        text = AnyAddress().Replace(text, "127.0.0.1");
        return TranslatePaths(service, text);
    }

    private bool IsHost(string host, string service, out string target)
    {
        target = host is "0.0.0.0" or "127.0.0.1" or "localhost" ? service : host;
        return target == service || _services.Contains(target);
    }

    private string TranslatePaths(string service, string text)
    {
        foreach (var (container, host) in _mounts.GetValueOrDefault(service) ?? [])
        {
            text = Regex.Replace(text, Regex.Escape(container) + "(?![A-Za-z0-9_.-])", host.Replace("$", "$$", StringComparison.Ordinal), RegexOptions.CultureInvariant);
        }

        return text;
    }

    /// <summary>Named volumes become folders shared by the services that mount them; bind mounts translated copies.</summary>
    private void PrepareMounts(string service)
    {
        if (_mounts.ContainsKey(service))
        {
            return;
        }

        var mounts = new List<(string Container, string Host)>();
        _mounts[service] = mounts;
        var binds = new List<(string Source, string Host)>();
        foreach (var volume in _compose.ServiceVolumes(service))
        {
            var parts = volume.Split(':');
            var (source, container) = (parts[0], parts[1]);
            string host;
            if (source.StartsWith('.'))
            {
                host = Path.Combine(Root, "mounts", service, container.TrimStart('/').Replace('/', '_'));
                binds.Add((Path.GetFullPath(Path.Combine(Repository.Root, source)), host));
            }
            else
            {
                host = Path.Combine(Root, "volumes", source);
                Directory.CreateDirectory(host);
                // A service that drops its privileges (mosquitto) writes there too.
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(host, (UnixFileMode)0x1FF);
                }
            }

            mounts.Add((container, host));
        }

        mounts.Sort((a, b) => b.Container.Length.CompareTo(a.Container.Length));
        foreach (var (source, host) in binds)
        {
            if (File.Exists(source))
            {
                CopyTranslated(service, source, host);
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                CopyTranslated(service, file, Path.Combine(host, Path.GetRelativePath(source, file)));
            }
        }
    }

    private void CopyTranslated(string service, string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllText(destination, Translate(service, File.ReadAllText(source)), new UTF8Encoding(false));
    }

    /// <summary>The first of 100 consecutive ports that are free now.</summary>
    private static int FreeBlock()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var block = 20000 + (Random.Shared.Next(0, 400) * 100);
            if (Enumerable.Range(block, 100).All(IsFree))
            {
                return block;
            }
        }

        throw new InvalidOperationException("no block of 100 free ports between 20000 and 60000");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"(?<!\$)\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex VariableReference();

    /// <summary><c>host:port</c> in URLs and addresses.</summary>
    [GeneratedRegex(@"(?<=^|[/@\s""'=])(?<host>[a-z][a-z0-9-]*|0\.0\.0\.0|127\.0\.0\.1):(?<port>\d{2,5})(?![\d:])", RegexOptions.CultureInvariant)]
    private static partial Regex Endpoint();

    /// <summary><c>host: NAME, port: N</c> (edge devices) and <c>Host=NAME;Port=N</c> (connection strings).</summary>
    [GeneratedRegex(@"(?<hk>\bhost: |\bHost=)(?<host>[a-z][a-z0-9-]*)(?<sep>, |;)(?<pk>port: |Port=)(?<port>\d{2,5})\b", RegexOptions.CultureInvariant)]
    private static partial Regex HostAndPort();

    /// <summary>Where mosquitto listens: <c>listener N</c> (the simulators' <c>--base-port N</c> is in <see cref="CommandLine"/>).</summary>
    [GeneratedRegex(@"(?<key>(?m:^)listener\s+)(?<port>\d{2,5})\b", RegexOptions.CultureInvariant)]
    private static partial Regex OwnPort();

    [GeneratedRegex(@"\b0\.0\.0\.0\b", RegexOptions.CultureInvariant)]
    private static partial Regex AnyAddress();
}

/// <summary>One native process of the stack; its output goes to the test log, prefixed with the service name.</summary>
internal sealed class NativeService : IAsyncDisposable
{
    private readonly StringBuilder _output = new();

    public NativeService(string name, Process process, ITestOutputHelper log)
    {
        Name = name;
        Process = process;
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            try
            {
                log.WriteLine($"[{name}] {line}");
            }
            catch (InvalidOperationException)
            {
                // The test is over.
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Process Process { get; }

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

    /// <summary>SIGTERM, as <c>docker compose stop</c> sends; SIGKILL after 30 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await Process.WaitForExitAsync(budget.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
        }

        Process.Dispose();
    }
}
