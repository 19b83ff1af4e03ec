using BenchmarkDotNet.Running;
using Monitoring.Ingestion.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(ParseAndAggregateBenchmarks).Assembly).Run(args);
