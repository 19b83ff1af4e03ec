using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Cli;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// The real <c>monitoring serve</c> as a child process on a free port, with the bundled registry, a data folder and
/// configuration from <c>MONITORING_*</c> environment variables, for fault tests (SIGKILL, full disks, bad writers).
/// Its output goes to the test log and is kept for assertions; disposing it kills it.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed so far.</summary>
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

    /// <summary>Starts <c>serve</c> on <paramref name="data"/> (tokens in <c>{data}/tokens.json</c>) and waits until it is ready.</summary>
    /// <param name="port">0 for a free one; a fixed one to restart on the same address.</param>
    /// <param name="registry">The registry folder (default: the example registry).</param>
    /// <param name="hangupIgnored">
    /// Start it with SIGHUP ignored, as under nohup. Otherwise SIGHUP is reset to its default whatever the test run
    /// inherited (a CI runner under nohup), since the runtime keeps an inherited ignore.
    /// </param>
    public static async Task<ServeProcess> StartAsync(
        string data, ITestOutputHelper log, IReadOnlyDictionary<string, string>? environment = null, int port = 0, string? tokens = null, string? registry = null,
        bool hangupIgnored = false)
    {
        port = port == 0 ? FreePort() : port;
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(hangupIgnored ? "trap '' HUP; exec \"$0\" \"$@\"" : "exec env --default-signal=HUP \"$0\" \"$@\"");
        info.ArgumentList.Add("dotnet");
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "monitoring.dll"), "serve", "--registry", registry ?? MonitoringCommand.BundledRegistry,
                     "--urls", $"http://127.0.0.1:{port}", "--data", data, "--tokens", tokens ?? Path.Combine(data, "tokens.json") })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["MONITORING_Mqtt__Mode"] = "off";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start monitoring serve");
        var serve = new ServeProcess(process, port);
        void Keep(string? line, string stream)
        {
            if (line is null)
            {
                return;
            }

            lock (serve._output)
            {
                serve._output.AppendLine(line);
            }

            try
            {
                log.WriteLine($"[serve {process.Id}{stream}] {line}");
            }
            catch (InvalidOperationException)
            {
                // The test is over; the process is being killed.
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data, "");
        process.ErrorDataReceived += (_, e) => Keep(e.Data, " err");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await serve.WaitReadyAsync();
        return serve;
    }

    /// <summary>Waits (60 s at most) until <c>/health/ready</c> answers 200.</summary>
    public async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Exited is seen before the last output lines are delivered: wait for the end of both streams.
                await _process.WaitForExitAsync();
                Assert.Fail($"monitoring serve exited at start:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"monitoring serve did not become ready within 60 s:\n{Output}");
    }

    /// <summary>POSTs line protocol to <c>/api/v2/write</c>; the status, or null when no answer came.</summary>
    public async Task<(HttpStatusCode? Status, string Body, TimeSpan? RetryAfter)> WriteAsync(string token, ReadOnlyMemory<byte> body, string? batchId = null, string precision = "s")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v2/write?org=o&bucket=b&precision={precision}") { Content = new ReadOnlyMemoryContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        if (batchId is not null)
        {
            request.Headers.Add("X-Batch-Id", batchId);
        }

        try
        {
            using var response = await Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.Delta);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (null, ex.Message, null);
        }
    }

    public Task<(HttpStatusCode? Status, string Body, TimeSpan? RetryAfter)> WriteAsync(string token, string body, string? batchId = null, string precision = "s") =>
        WriteAsync(token, Encoding.UTF8.GetBytes(body), batchId, precision);

    /// <summary>The detailed health report, <c>/health/ready</c>, as JSON (whatever its status code).</summary>
    public async Task<JsonElement> HealthAsync()
    {
        using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>A figure of a <c>/health</c> check, e.g. ("aggregation", "readings_applied").</summary>
    public async Task<long> FigureAsync(string check, string figure) =>
        (await HealthAsync()).GetProperty("checks").GetProperty(check).GetProperty("figures").GetProperty(figure).GetInt64();

    /// <summary>SIGKILL: no flush, no checkpoint.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
        Http.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
