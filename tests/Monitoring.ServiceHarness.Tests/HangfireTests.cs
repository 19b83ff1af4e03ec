using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;
using Monitoring.Testing;
using Npgsql;

namespace Monitoring.ServiceHarness.Tests;

/// <summary>The job Hangfire runs: it writes one row. Public and static so Hangfire can find and call it.</summary>
public static class WriteReadingJob
{
    public static void Run(string connectionString, string meter, double energyKwh)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(
            "INSERT INTO job_readings (meter, energy_kwh, written_by) VALUES (@meter, @energy, 'hangfire')", connection);
        command.Parameters.AddWithValue("meter", meter);
        command.Parameters.AddWithValue("energy", energyKwh);
        command.ExecuteNonQuery();
    }
}

[Collection(Collections.Postgres)]
public sealed class HangfireTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_job_enqueued_in_PostgreSQL_storage_runs_on_a_BackgroundJobServer_and_succeeds()
    {
        using var timeout = TestTimeouts.Start();
        var ct = timeout.Token;
        var connectionString = await postgres.CreateDatabaseAsync("hangfire", ct);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand(
                "CREATE TABLE job_readings (id serial PRIMARY KEY, meter text NOT NULL, energy_kwh double precision NOT NULL, written_by text NOT NULL)",
                connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire_harness",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = TimeSpan.FromMilliseconds(100),
            DistributedLockTimeout = TimeSpan.FromSeconds(20),
        };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
        var client = new BackgroundJobClient(storage);
        var jobId = client.Enqueue(() => WriteReadingJob.Run(connectionString, "m1", 1234.5));
        Assert.False(string.IsNullOrEmpty(jobId));

        var monitoring = storage.GetMonitoringApi();
        using (new BackgroundJobServer(
            new BackgroundJobServerOptions
            {
                ServerName = "harness-" + Guid.NewGuid().ToString("N")[..8],
                WorkerCount = 1,
                Queues = ["default"],
                SchedulePollingInterval = TimeSpan.FromSeconds(1),
                ShutdownTimeout = TimeSpan.FromSeconds(10),
            },
            storage))
        {
            while (monitoring.JobDetails(jobId).History.FirstOrDefault()?.StateName is not { } state
                   || (state != SucceededState.StateName && state != FailedState.StateName))
            {
                await Task.Delay(100, ct);
            }
        }

        var details = monitoring.JobDetails(jobId);
        var current = details.History[0]; // newest first
        Assert.True(current.StateName == SucceededState.StateName, $"job {jobId} is {current.StateName}: {current.Reason} {string.Join(", ", current.Data ?? new Dictionary<string, string>())}");
        Assert.Equal(nameof(WriteReadingJob.Run), details.Job.Method.Name);
        Assert.Contains(monitoring.SucceededJobs(0, 10), job => job.Key == jobId);
        Assert.Equal(1, monitoring.SucceededListCount());
        Assert.Equal(0, monitoring.FailedCount());

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var select = new NpgsqlCommand("SELECT meter, energy_kwh, written_by FROM job_readings", connection);
            await using var reader = await select.ExecuteReaderAsync(ct);
            Assert.True(await reader.ReadAsync(ct), "the job wrote no row");
            Assert.Equal("m1", reader.GetString(0));
            Assert.Equal(1234.5, reader.GetDouble(1));
            Assert.Equal("hangfire", reader.GetString(2));
            Assert.False(await reader.ReadAsync(ct), "the job wrote more than one row");
        }
    }
}
