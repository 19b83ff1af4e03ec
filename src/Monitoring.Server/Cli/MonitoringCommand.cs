using System.CommandLine;
using Monitoring.Domain.Registry;

namespace Monitoring.Server.Cli;

/// <summary>The <c>monitoring</c> command line: one verb per job, <c>--help</c> on every level.</summary>
internal static class MonitoringCommand
{
    /// <summary>The example registry copied beside the executable, so the demo runs from any folder.</summary>
    public static string BundledRegistry => Path.Combine(AppContext.BaseDirectory, "config");

    public static RootCommand Create()
    {
        var root = new RootCommand("Industrial energy and water monitoring: ingestion, aggregation, KPIs and programme reports.");
        root.Subcommands.Add(CreateConfigCommand());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BaselineCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ServeCommand.CreateToken());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        return root;
    }

    private static Command CreateConfigCommand()
    {
        var registry = new Option<DirectoryInfo>("--registry", "-r")
        {
            Description = "Folder of registry YAML files (sites, meters, factors, programmes, projects).",
            DefaultValueFactory = _ => new DirectoryInfo("config"),
        };
        var check = new Command("check", "Validate the site registry; print a summary, or every error as file:line:column: message (exit 2).");
        check.Options.Add(registry);
        check.SetAction(parse => CheckRegistry(
            parse.GetValue(registry)!.ToString(),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));

        var config = new Command("config", "Work with the site registry.");
        config.Subcommands.Add(check);
        return config;
    }

    internal static int CheckRegistry(string directory, TextWriter output, TextWriter error)
    {
        var result = SiteRegistryLoader.LoadDirectory(directory);
        if (result.Registry is null)
        {
            foreach (var problem in result.Errors)
            {
                error.WriteLine(problem.ToString());
            }

            error.WriteLine($"registry {directory}: {result.Errors.Count} error(s) in {result.Files.Count} file(s)");
            return ExitCodes.InvalidConfiguration;
        }

        RegistrySummary.Write(output, directory, result);
        return ExitCodes.Ok;
    }
}
