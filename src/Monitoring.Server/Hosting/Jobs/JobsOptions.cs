using System.ComponentModel.DataAnnotations;

namespace Monitoring.Server.Hosting.Jobs;

/// <summary>Scheduled jobs (configuration section <c>Jobs</c>, docs/api.md#jobs).</summary>
internal sealed class JobsOptions : IValidatableObject
{
    public const string Section = "Jobs";

    /// <summary><c>inmemory</c> (embedded default: jobs and their history live as long as the process) or <c>postgresql</c>.</summary>
    [RegularExpression("^(inmemory|postgresql)$")]
    public string Storage { get; set; } = "inmemory";

    /// <summary>Environment variable holding the Npgsql connection string (never the string itself: it holds a password).</summary>
    public string ConnectionStringVariable { get; set; } = "MONITORING_JOBS_POSTGRES";

    /// <summary>PostgreSQL schema of Hangfire's tables (created at start).</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "hangfire";

    [Range(1, 64)]
    public int WorkerCount { get; set; } = 2;

    /// <summary>How often the job server looks for due recurring and scheduled jobs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>IANA zone the cron expressions are read in.</summary>
    public string TimeZone { get; set; } = "Africa/Casablanca";

    public string DailyFinalisationCron { get; set; } = "0 2 * * *";

    public string BaselineRefitCron { get; set; } = "30 2 * * *";

    public string MonthlyFinalisationCron { get; set; } = "0 3 1 * *";

    public string ProgrammeReportCron { get; set; } = "0 4 2 * *";

    public string DataQualityCron { get; set; } = "10 * * * *";

    /// <summary>The data-quality scan looks at the hours that started within this window before its run.</summary>
    public TimeSpan ScanWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A gauge reading the same value for this many consecutive hours is reported frozen.</summary>
    [Range(2, 24 * 14)]
    public int FrozenHours { get; set; } = 6;

    /// <summary>Earlier complete nights needed before the minimum-night-flow rule judges a night.</summary>
    [Range(3, 365)]
    public int NightFlowHistoryDays { get; set; } = 7;

    /// <summary>Days with a temperature needed to fit a baseline.</summary>
    [Range(10, 366)]
    public int MinimumBaselineDays { get; set; } = 30;

    /// <summary>Lets unauthenticated requests from loopback into <c>/hangfire</c> (a workstation); off by default.</summary>
    public bool DashboardAnonymousFromLoopback { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Storage == "postgresql" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ConnectionStringVariable)))
        {
            yield return new ValidationResult($"Jobs:Storage is postgresql but the environment variable {ConnectionStringVariable} (Jobs:ConnectionStringVariable) is not set");
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return new ValidationResult($"Jobs:TimeZone '{TimeZone}' is not a known time zone");
        }

        foreach (var (name, cron) in new[]
                 {
                     (nameof(DailyFinalisationCron), DailyFinalisationCron), (nameof(BaselineRefitCron), BaselineRefitCron),
                     (nameof(MonthlyFinalisationCron), MonthlyFinalisationCron), (nameof(ProgrammeReportCron), ProgrammeReportCron),
                     (nameof(DataQualityCron), DataQualityCron),
                 })
        {
            if (cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
            {
                yield return new ValidationResult($"Jobs:{name} '{cron}' is not a cron expression (5 or 6 fields)");
            }
        }
    }
}
