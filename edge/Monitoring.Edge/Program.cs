using Monitoring.Edge.Cli;

return await EdgeCommand.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
