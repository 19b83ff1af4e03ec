using System.CommandLine;
using Monitoring.Server.Cli;

// Ctrl+C or SIGTERM cancels the verb's token; give it time to finish what it owes (serve's checkpoint, demo's report)
// instead of System.CommandLine's default 2 s.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) };
return await MonitoringCommand.Create().Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
