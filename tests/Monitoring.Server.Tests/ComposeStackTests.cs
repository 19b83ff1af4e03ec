using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Monitoring.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// compose.yaml's stack without a container engine (docs/deploy.md): mosquitto with the compose configuration, ACL and
/// password file, <c>monitoring serve</c>, both simulators and both edge agents with their <c>deploy/edge</c>
/// configurations, each started natively with exactly the command, environment and files compose gives it
/// (<see cref="NativeStack"/>). Stand-ins of ./test.sh: PostgreSQL for the postgres image (its database and user
/// created as the image creates them; trust authentication, so the password is not checked), VictoriaMetrics's
/// InfluxDB 2.x write API for the influxdb image. Grafana is not started (the dashboards' queries are tested
/// against InfluxDB in Monitoring.Dashboards.Tests).
/// </summary>
public sealed class ComposeStackTests(VictoriaMetricsFixture victoria, PostgresFixture postgres, ITestOutputHelper log)
    : IClassFixture<VictoriaMetricsFixture>, IClassFixture<PostgresFixture>
{
    /// <summary>The agents report their health every minute (deploy/edge): a first report, then the sink's flush, on a slow machine.</summary>
    private static readonly TimeSpan StackTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_stack_moves_readings_from_the_meters_to_InfluxDB_and_keeps_its_job_history_in_PostgreSQL_across_a_restart()
    {
        var variables = Variables();
        var admin = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        await using var stack = new NativeStack(ComposeFile.Load(), variables, new Dictionary<string, ServiceEndpoint>(StringComparer.Ordinal)
        {
            ["influxdb"] = new(victoria.BaseAddress.Host, victoria.BaseAddress.Port),
            ["postgres"] = new(admin.Host!, admin.Port),
        }, log);
        await CreateDatabaseAsImageDoesAsync(stack, postgres.ConnectionString);
        var started = DateTimeOffset.UtcNow;

        // The server's token, as an operator creates it in the server's volume (docker compose run monitoring token create).
        var tokens = stack.PathOf("monitoring", "/var/lib/monitoring/tokens.json");
        var root = (await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "monitoring.dll"), "token", "create", "--tokens", tokens, "--name", "operator", "--role", "admin"])).StandardOutput.Trim();

        stack.Start("mosquitto");
        await WaitListeningAsync(stack.Port("mosquitto", 1883));
        var serve = stack.Start("monitoring");
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stack.Port("monitoring", 8080)}") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", root);
        await WaitHealthyAsync(stack, "monitoring", serve);
        await WaitHealthyAsync(stack, "postgres", null);
        foreach (var service in new[] { "sim-casa-aero", "sim-tanger-mach", "edge-casa-aero", "edge-tanger-mach" })
        {
            stack.Start(service);
        }

        // Readings of both plants arrive through mosquitto (the agents' user and the server's shared subscription pass
        // the ACL) and the agents' health reaches InfluxDB through the sink.
        foreach (var (site, agent) in new[] { ("casa-aero", "edge-casa-aero"), ("tanger-mach", "edge-tanger-mach") })
        {
            await WaitUntilAsync(async () => (await AgentAsync(api, agent))?.GetProperty("fields").GetProperty("uplink_batches_sent").GetDouble() > 0, $"{agent} forwarded readings");
            await WaitUntilAsync(async () =>
            {
                await victoria.ForceFlushAsync(CancellationToken.None);
                var health = await victoria.ExportAsync($"{{__name__=\"edge_status_uplink_batches_sent\",site=\"{site}\",agent=\"{agent}\"}}", CancellationToken.None);
                return health.Any(s => s.Times.Any(t => t >= started));
            }, $"{agent}'s health in InfluxDB");
        }

        Assert.True(await ReadingsAppliedAsync(api) > 0);

        // Hangfire's jobs in PostgreSQL: run one, restart the server, and its run is still the last one.
        using (var trigger = await api.PostAsync(new Uri("/api/v1/jobs/data-quality/trigger", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        }

        string? lastJob = null;
        await WaitUntilAsync(async () =>
        {
            var job = await JobAsync(api, "data-quality");
            lastJob = job.GetProperty("last_job_id").GetString();
            return job.GetProperty("last_job_state").GetString() == "Succeeded";
        }, "the data-quality job succeeded");
        Assert.True(await RecurringJobsInPostgresAsync(stack, variables) >= 5);

        await stack.StopAsync("monitoring");
        serve = stack.Start("monitoring");
        await WaitHealthyAsync(stack, "monitoring", serve);
        // The run from before the restart is still in PostgreSQL, and the server shows it or a later run: on a slow
        // machine the job's own schedule may come between the two.
        var after = await JobAsync(api, "data-quality");
        Assert.Equal("Succeeded", await ScalarInPostgresAsync<string>(stack, "SELECT statename FROM hangfire.job WHERE id = @id", long.Parse(lastJob!, CultureInfo.InvariantCulture)));
        Assert.True(long.Parse(after.GetProperty("last_job_id").GetString()!, CultureInfo.InvariantCulture) >= long.Parse(lastJob!, CultureInfo.InvariantCulture), after.ToString());
        Assert.Equal("Succeeded", after.GetProperty("last_job_state").GetString());
    }

    /// <summary>.env.example with every <c>change-me</c> replaced, as the README tells an operator to do.</summary>
    private static Dictionary<string, string> Variables() => File.ReadAllLines(Path.Combine(Repository.Root, ".env.example"))
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.Split('=', 2))
        .ToDictionary(p => p[0], p => p[1] == "change-me" ? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) : p[1], StringComparer.Ordinal);

    /// <summary>What the postgres image does with POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD on its first start.</summary>
    private static async Task CreateDatabaseAsImageDoesAsync(NativeStack stack, string adminConnection)
    {
        var environment = stack.Environment("postgres");
        var (database, user, password) = (environment["POSTGRES_DB"], environment["POSTGRES_USER"], environment["POSTGRES_PASSWORD"]);
        var connection = new NpgsqlConnection(adminConnection);
        await using (connection)
        {
            await connection.OpenAsync();
            foreach (var sql in new[]
                     {
                         $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)",
                         $"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN CREATE ROLE \"{user}\" LOGIN; END IF; END $$",
                         $"ALTER ROLE \"{user}\" PASSWORD '{password}'",
                         $"CREATE DATABASE \"{database}\" OWNER \"{user}\"",
                     })
            {
                var command = new NpgsqlCommand(sql, connection);
                await using (command)
                {
                    await command.ExecuteNonQueryAsync();
                }
            }
        }
    }

    private static async Task<long> RecurringJobsInPostgresAsync(NativeStack stack, Dictionary<string, string> variables)
    {
        Assert.Equal(variables["POSTGRES_PASSWORD"], new NpgsqlConnectionStringBuilder(JobsConnectionString(stack)).Password);
        return await ScalarInPostgresAsync<long>(stack, "SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs'");
    }

    /// <summary>One value from the server's job database, over the connection string the server itself was given.</summary>
    private static async Task<T> ScalarInPostgresAsync<T>(NativeStack stack, string sql, long? id = null)
    {
        var connection = new NpgsqlConnection(JobsConnectionString(stack));
        await using (connection)
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(sql, connection);
            await using (command)
            {
                if (id is { } value)
                {
                    command.Parameters.AddWithValue("id", value);
                }

                return (T)(await command.ExecuteScalarAsync())!;
            }
        }
    }

    private static string JobsConnectionString(NativeStack stack)
    {
        var server = stack.Environment("monitoring");
        return server[server.GetValueOrDefault("MONITORING_Jobs__ConnectionStringVariable", "MONITORING_JOBS_POSTGRES")];
    }

    /// <summary>Runs the service's compose health check (translated) until it succeeds.</summary>
    private async Task WaitHealthyAsync(NativeStack stack, string service, NativeService? process)
    {
        var check = stack.HealthCheck(service) ?? throw new InvalidOperationException($"{service} has no health check in compose.yaml");
        if (service == "postgres")
        {
            // The image's pg_isready talks to its own socket; the stand-in listens on TCP.
            var postgres = stack.Environment("postgres");
            check = [.. check, "-h", "127.0.0.1", "-p", stack.Port("postgres", 5432).ToString(CultureInfo.InvariantCulture)];
            Assert.Equal(postgres["POSTGRES_USER"], check[check.ToList().IndexOf("-U") + 1]);
        }

        ProcessResult? last = null;
        await WaitUntilAsync(async () =>
        {
            Assert.False(process?.Process.HasExited ?? false, $"{service} exited:\n{process?.Output}");
            last = await ProcessRunner.RunAsync(check[0], check.ToArray()[1..]);
            return last.ExitCode == 0;
        }, $"{service}'s health check ({string.Join(' ', check)}) succeeds", () => $"{last}");
        log.WriteLine($"{service} healthy: {last}");
    }

    private static async Task<JsonElement?> AgentAsync(HttpClient api, string agent)
    {
        using var json = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/agents", UriKind.Relative)));
        foreach (var status in json.RootElement.EnumerateArray())
        {
            if (status.GetProperty("agent").GetString() == agent)
            {
                return status.Clone();
            }
        }

        return null;
    }

    private static async Task<JsonElement> JobAsync(HttpClient api, string id)
    {
        using var json = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/v1/jobs", UriKind.Relative)));
        return json.RootElement.EnumerateArray().Single(j => j.GetProperty("id").GetString() == id).Clone();
    }

    private static async Task<double> ReadingsAppliedAsync(HttpClient api)
    {
        var metrics = await api.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = metrics.Split('\n').First(l => l.StartsWith("monitoring_ingest_readings_applied", StringComparison.Ordinal) && !l.StartsWith('#'));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task WaitListeningAsync(int port) => await WaitUntilAsync(async () =>
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }, $"something listens on {port}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, Func<string>? last = null)
    {
        var deadline = DateTime.UtcNow + StackTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        Assert.Fail($"timed out waiting until {what}{(last is null ? "" : ": " + last())}");
    }
}
