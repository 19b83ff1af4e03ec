using System.CommandLine;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Configuration;

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
        var edge = new Option<DirectoryInfo?>("--edge")
        {
            Description = "Folder of edge agent configurations (e.g. deploy/edge): check that their devices serve every field the registry declares.",
        };
        var check = new Command("check", "Validate the site registry; print a summary, or every error as file:line:column: message (exit 2).");
        check.Options.Add(registry);
        check.Options.Add(edge);
        check.SetAction(parse => CheckRegistry(
            parse.GetValue(registry)!.ToString(),
            parse.GetValue(edge)?.ToString(),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));

        var config = new Command("config", "Work with the site registry.");
        config.Subcommands.Add(check);
        return config;
    }

    /// <param name="edgeDirectory">Edge configurations to hold against the registry (<c>--edge</c>); null for the registry alone.</param>
    internal static int CheckRegistry(string directory, string? edgeDirectory, TextWriter output, TextWriter error)
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
        return edgeDirectory is null ? ExitCodes.Ok : CheckEdge(result, directory, edgeDirectory, output, error);
    }

    private static int CheckEdge(RegistryLoadResult registry, string directory, string edgeDirectory, TextWriter output, TextWriter error)
    {
        if (!Directory.Exists(edgeDirectory))
        {
            error.WriteLine($"{edgeDirectory}: edge configuration folder does not exist");
            return ExitCodes.InvalidConfiguration;
        }

        var files = Directory.EnumerateFiles(edgeDirectory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var edges = new List<(string File, EdgeConfiguration Configuration)>();
        var invalid = 0;
        foreach (var file in files)
        {
            // Secrets live on the gateway, not where the configuration is reviewed: they are not looked up here.
            var loaded = EdgeConfigurationLoader.LoadFile(file, resolveSecrets: false);
            foreach (var problem in loaded.Errors)
            {
                error.WriteLine(problem.ToString());
            }

            invalid += loaded.Errors.Count;
            if (loaded.Configuration is { } configuration)
            {
                edges.Add((file, configuration));
            }
        }

        var findings = EdgeRegistryCheck.Check(registry, edges);
        foreach (var finding in findings)
        {
            error.WriteLine(finding.ToString());
        }

        var errors = invalid + findings.Count(f => f.IsError);
        var warnings = findings.Count(f => !f.IsError);
        var notChecked = registry.Registry!.Sites.Select(s => s.Id).Except(edges.Select(e => e.Configuration.Site), StringComparer.Ordinal).ToList();
        var summary = $"edge {edgeDirectory}: {files.Count} configuration(s) against registry {directory}: {errors} error(s), {warnings} warning(s)"
            + (notChecked.Count == 0 ? string.Empty : $"; sites without an edge configuration, not checked: {string.Join(", ", notChecked)}");
        (errors == 0 ? output : error).WriteLine(summary);
        return errors == 0 ? ExitCodes.Ok : ExitCodes.InvalidConfiguration;
    }
}
