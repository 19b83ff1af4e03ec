using System.Net.Sockets;
using System.Text;
using Monitoring.Testing;

namespace Monitoring.Edge.Tests;

/// <summary>
/// The real <c>monitoring-edge run</c> on a gateway's bad days: its buffer's file system full, a buffer it cannot open,
/// and systemd's notify protocol (readiness, watchdog, stopping) over a real notify socket.
/// </summary>
[Collection(UplinkServicesDefinition.Name)]
public sealed class AgentSupervisionTests(ModbusPeerFixture peer, VictoriaMetricsFixture victoria) : IAsyncDisposable
{
    private readonly AgentWorkspace _workspace = new("agent-supervision");

    public ValueTask DisposeAsync() => _workspace.DisposeAsync();

    [Fact]
    public async Task A_full_buffer_file_system_costs_readings_but_polling_reporting_and_forwarding_go_on()
    {
        var site = "agent-full-" + Guid.NewGuid().ToString("N")[..8];
        using var fileSystem = await SmallFileSystem.MountAsync();
        var config = WriteConfig(site, bufferDirectory: Path.Combine(fileSystem.Path, "buffer"), uplink: $"{{ url: {victoria.BaseAddress}, batch_age: 0ms }}");
        using var budget = TestTimeouts.Start(TimeSpan.FromSeconds(120));
        var agent = _workspace.Start(config);
        await WaitForSeriesAsync(agent, $"{{__name__=\"meter_flow_m3h\",site=\"{site}\"}}", _ => true, budget.Token);

        // The file system fills up (another program's log, say): appends fail.
        var filler = fileSystem.FillUp();
        await agent.WaitForOutputAsync("cannot be written", budget.Token);
        var failing = await WaitForSeriesAsync(agent, $"{{__name__=\"edge_status_buffer_append_failures_total\",site=\"{site}\"}}", v => v > 0, budget.Token);
        var notWritable = await WaitForSeriesAsync(agent, $"{{__name__=\"edge_status_buffer_writable\",site=\"{site}\"}}", v => v == 0, budget.Token);
        Assert.False(agent.HasExited, agent.Output);

        // Space comes back: readings are buffered and forwarded again, without a restart.
        var freed = DateTimeOffset.UtcNow;
        File.Delete(filler);
        await agent.WaitForOutputAsync("buffer writable again", budget.Token);
        var resumed = await WaitForSeriesAsync(agent, $"{{__name__=\"meter_flow_m3h\",site=\"{site}\"}}", (_, at) => at > freed, budget.Token);
        var lost = await WaitForSeriesAsync(agent, $"{{__name__=\"edge_status_readings_lost_total\",site=\"{site}\"}}", v => v > 0, budget.Token);

        Assert.All(resumed, v => Assert.Equal(3.25, v));
        Assert.True(failing.Max() > 0 && notWritable.Contains(0) && lost.Max() > 0);
        Assert.Equal(0, await agent.StopAsync(budget.Token));
        Assert.Contains("stopped; the buffer keeps what was not yet forwarded", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_buffer_that_cannot_be_opened_ends_the_agent_with_exit_3_and_the_reason()
    {
        var notADirectory = Path.Combine(_workspace.Folder, "file");
        await File.WriteAllTextAsync(notADirectory, "a file where the buffer's parent folder should be");
        var config = WriteConfig("agent-noopen", bufferDirectory: Path.Combine(notADirectory, "buffer"), uplink: $"{{ url: {victoria.BaseAddress} }}");
        using var budget = TestTimeouts.Start();
        var agent = _workspace.Start(config);

        var exit = await agent.WaitForExitAsync(budget.Token);

        Assert.Equal(3, exit);
        Assert.Contains($"monitoring-edge: cannot open the buffer {Path.Combine(notADirectory, "buffer")}: ", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Systemd_hears_ready_then_watchdog_confirmations_then_stopping_on_its_notify_socket()
    {
        var socketPath = Path.Combine(_workspace.Folder, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var config = WriteConfig("agent-systemd", bufferDirectory: Path.Combine(_workspace.Folder, "buffer"), uplink: $"{{ url: {victoria.BaseAddress} }}");
        using var budget = TestTimeouts.Start();
        var agent = _workspace.Start(config, new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = socketPath,
            ["WATCHDOG_USEC"] = "1000000",
        });

        var ready = await ReceiveAsync(notify, agent, budget.Token);
        var confirmations = new[] { await ReceiveAsync(notify, agent, budget.Token), await ReceiveAsync(notify, agent, budget.Token) };
        var exit = agent.StopAsync(budget.Token);
        string stopping;
        do
        {
            stopping = await ReceiveAsync(notify, agent, budget.Token);
        }
        while (stopping == "WATCHDOG=1");

        Assert.Equal("READY=1\nSTATUS=polling as gw-01", ready);
        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1"], confirmations);
        Assert.Equal("STOPPING=1", stopping);
        Assert.Equal(0, await exit);
    }

    [Fact]
    public async Task The_shipped_systemd_unit_is_valid_for_systemd_analyze()
    {
        var analyze = ServiceEnvironment.RequireExecutable(SystemdAnalyzeVariable, "systemd-analyze (Debian's systemd)");
        var unit = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", "systemd", "monitoring-edge.service"));
        Assert.Contains("Type=notify", unit, StringComparison.Ordinal);
        Assert.Contains("WatchdogSec=", unit, StringComparison.Ordinal);
        Assert.Contains("SupplementaryGroups=dialout", unit, StringComparison.Ordinal);

        // Only the install path differs: systemd-analyze also checks that ExecStart names an executable.
        var copy = Path.Combine(_workspace.Folder, "monitoring-edge.service");
        await File.WriteAllTextAsync(copy, unit.Replace("/opt/monitoring-edge/monitoring-edge", Path.Combine(AppContext.BaseDirectory, "monitoring-edge"), StringComparison.Ordinal));
        var result = await ProcessRunner.RunAsync(analyze, ["verify", copy]);

        Assert.True(result.ExitCode == 0 && result.StandardError.Length == 0 && result.StandardOutput.Length == 0, result.ToString());
    }

    private const string SystemdAnalyzeVariable = "MONITORING_TEST_SYSTEMD_ANALYZE";

    /// <summary>The next notification the agent sent; fails with the agent's output if it exits first.</summary>
    private static async Task<string> ReceiveAsync(Socket socket, AgentProcess agent, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var receive = socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).AsTask();
        var exited = agent.WaitForExitAsync(cancellationToken);
        await Task.WhenAny(receive, exited);
        Assert.True(receive.IsCompletedSuccessfully || !exited.IsCompleted, $"the agent exited before systemd heard from it:\n{agent.Output}");
        return Encoding.UTF8.GetString(buffer, 0, await receive);
    }

    private string WriteConfig(string site, string bufferDirectory, string uplink)
    {
        var path = Path.Combine(_workspace.Folder, site + ".yaml");
        File.WriteAllText(path, $"""
            site: {site}
            agent: gw-01
            poll_groups: {"{"} fast: 200ms, slow: 200ms {"}"}
            health_interval: 300ms
            devices:
              - {"{"} id: water-main, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water, timeout: 3s {"}"}
            buffer: {"{"} directory: {bufferDirectory}, fsync: true {"}"}
            uplink: {uplink}
            """);
        return path;
    }

    private Task<IReadOnlyList<double>> WaitForSeriesAsync(AgentProcess agent, string selector, Func<double, bool> accept, CancellationToken cancellationToken) =>
        WaitForSeriesAsync(agent, selector, (value, _) => accept(value), cancellationToken);

    /// <summary>Polls VictoriaMetrics until some point of <paramref name="selector"/> is accepted; returns the accepted values.</summary>
    private async Task<IReadOnlyList<double>> WaitForSeriesAsync(AgentProcess agent, string selector, Func<double, DateTimeOffset, bool> accept, CancellationToken cancellationToken)
    {
        while (true)
        {
            Assert.False(agent.HasExited, $"the agent exited while {selector} was awaited:\n{agent.Output}");
            await victoria.ForceFlushAsync(cancellationToken);
            var accepted = (await victoria.ExportAsync(selector, cancellationToken))
                .SelectMany(s => s.Values.Zip(s.Times))
                .Where(p => accept(p.First, p.Second))
                .Select(p => p.First)
                .ToList();
            if (accepted.Count > 0)
            {
                return accepted;
            }

            await Task.Delay(200, cancellationToken);
        }
    }
}
