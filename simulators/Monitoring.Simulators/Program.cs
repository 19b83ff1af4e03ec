using Monitoring.Simulators.Cli;

return await SimCommand.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
