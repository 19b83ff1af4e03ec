using System.CommandLine;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring serve --registry DIR [--urls URL] [--data DIR] [--tokens FILE]</c> (contract) and
/// <c>monitoring token create --tokens FILE --name NAME --role writer|reader|admin [--sites a,b] [--programmes p]</c>.
/// Everything else comes from appsettings.json and <c>MONITORING_</c> environment variables (docs/ingestion.md).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var registry = new Option<DirectoryInfo>("--registry", "-r") { Description = "Registry folder.", Required = true };
        var urls = new Option<string>("--urls") { Description = "Where the HTTP API listens.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder of the write-ahead log, checkpoint, spool and quarantine.", DefaultValueFactory = _ => new DirectoryInfo("data") };
        var tokens = new Option<FileInfo>("--tokens") { Description = "Tokens file (created by `monitoring token create`).", DefaultValueFactory = _ => new FileInfo("tokens.json") };
        var serve = new Command("serve", "Run the ingestion server: InfluxDB-compatible write API, MQTT intake, write-ahead log, aggregation, InfluxDB sink.");
        serve.Options.Add(registry);
        serve.Options.Add(urls);
        serve.Options.Add(data);
        serve.Options.Add(tokens);
        serve.SetAction((parse, cancellationToken) => RunAsync(
            new ServeArguments(parse.GetValue(registry)!.FullName, parse.GetValue(urls)!, parse.GetValue(data)!.FullName, parse.GetValue(tokens)!.FullName),
            parse.InvocationConfiguration.Error, cancellationToken));
        return serve;
    }

    public static Command CreateToken()
    {
        var file = new Option<FileInfo>("--tokens") { Description = "Tokens file (created if missing, owner-only permissions).", Required = true };
        var name = new Option<string>("--name") { Description = "Unique name (the MQTT user name of an edge agent).", Required = true };
        var role = new Option<string>("--role") { Description = "writer, reader or admin.", Required = true };
        role.AcceptOnlyFromAmong("writer", "reader", "admin");
        var sites = new Option<string?>("--sites") { Description = "Comma-separated sites the token is limited to (default: every site)." };
        var programmes = new Option<string?>("--programmes") { Description = "Comma-separated programmes whose sites a reader may read (a programme officer)." };
        var create = new Command("create", "Create a token: prints it once; only its hash is stored.");
        create.Options.Add(file);
        create.Options.Add(name);
        create.Options.Add(role);
        create.Options.Add(sites);
        create.Options.Add(programmes);
        create.SetAction(parse =>
        {
            var scope = (parse.GetValue(sites) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var programmeScope = (parse.GetValue(programmes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            try
            {
                var token = TokenStore.Create(parse.GetValue(file)!.FullName, parse.GetValue(name)!,
                    Enum.Parse<TokenRole>(parse.GetValue(role)!, ignoreCase: true), scope, TimeProvider.System, programmeScope);
                parse.InvocationConfiguration.Output.WriteLine(token);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine(ex.Message);
                return ExitCodes.Failure;
            }
        });
        var token = new Command("token", "Manage API and agent tokens.");
        token.Subcommands.Add(create);
        return token;
    }

    internal static async Task<int> RunAsync(ServeArguments arguments, TextWriter error, CancellationToken cancellationToken)
    {
        ServerHost host;
        try
        {
            host = await ServerHost.StartAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex)
        {
            foreach (var problem in ex.Errors)
            {
                await error.WriteLineAsync(problem).ConfigureAwait(false);
            }

            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or Microsoft.Extensions.Options.OptionsValidationException or IOException or Monitoring.Aggregation.StateLayoutException)
        {
            await error.WriteLineAsync($"serve: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }

        await using (host.ConfigureAwait(false))
        {
            try
            {
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop cleanly below.
            }
        }

        if (host.Fatal is { } reason)
        {
            await error.WriteLineAsync($"serve: stopped because {reason}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;
    }
}
