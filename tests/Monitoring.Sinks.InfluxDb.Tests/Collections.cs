using Monitoring.Testing;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>One xUnit collection per service; a fixture whose variable is missing fails its tests (never skips them).</summary>
public static class Collections
{
    public const string InfluxDb1 = "InfluxDB 1.x";
    public const string VictoriaMetrics = "VictoriaMetrics";
}

[CollectionDefinition(Collections.InfluxDb1)]
public sealed class InfluxDb1CollectionDefinition : ICollectionFixture<InfluxDb1Fixture>;

[CollectionDefinition(Collections.VictoriaMetrics)]
public sealed class VictoriaMetricsCollectionDefinition : ICollectionFixture<VictoriaMetricsFixture>;
