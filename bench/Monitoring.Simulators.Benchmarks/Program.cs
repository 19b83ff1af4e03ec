using BenchmarkDotNet.Running;
using Monitoring.Simulators.Benchmarks;

return args switch
{
    ["throughput", .. var rest] => Throughput.Run(rest),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(GenerateBenchmarks).Assembly).Run(args);
    return 0;
}
