using Monitoring.Server.Cli;

return await MonitoringCommand.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
