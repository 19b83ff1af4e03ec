using Monitoring.Testing;

namespace Monitoring.ServiceHarness.Tests;

/// <summary>
/// One xUnit collection per service ./test.sh starts. A fixture whose variable is missing throws in its
/// constructor, so every test of that collection fails with the fixture's message (never skipped).
/// </summary>
public static class Collections
{
    public const string Mosquitto = "mosquitto";
    public const string InfluxDb1 = "InfluxDB 1.x";
    public const string VictoriaMetrics = "VictoriaMetrics";
    public const string Postgres = "PostgreSQL";
    public const string ModbusPeer = "Modbus peer";
}

[CollectionDefinition(Collections.Mosquitto)]
public sealed class MosquittoCollectionDefinition : ICollectionFixture<MosquittoFixture>;

[CollectionDefinition(Collections.InfluxDb1)]
public sealed class InfluxDb1CollectionDefinition : ICollectionFixture<InfluxDb1Fixture>;

[CollectionDefinition(Collections.VictoriaMetrics)]
public sealed class VictoriaMetricsCollectionDefinition : ICollectionFixture<VictoriaMetricsFixture>;

[CollectionDefinition(Collections.Postgres)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresFixture>;

[CollectionDefinition(Collections.ModbusPeer)]
public sealed class ModbusPeerCollectionDefinition : ICollectionFixture<ModbusPeerFixture>;
