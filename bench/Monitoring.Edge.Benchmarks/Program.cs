using BenchmarkDotNet.Running;
using Monitoring.Edge.Benchmarks;

return args switch
{
    ["polling-cpu", .. var rest] => await PollingCpu.RunAsync(rest),
    ["serve-devices", .. var rest] => await SimulatedDevices.ServeAsync(rest),
    ["buffer-throughput", .. var rest] => await BufferThroughput.RunAsync(rest),
    ["serial-bus", .. var rest] => await SerialBusThroughput.RunAsync(rest),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(DecodeAndPlanBenchmarks).Assembly).Run(args);
    return 0;
}
