namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>What the writers call transient (retried) and permanent (acknowledged and kept aside).</summary>
public sealed class WriterTests
{
    [Theory]
    [InlineData(400, true)]
    [InlineData(413, true)]
    [InlineData(422, true)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(408, false)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void Only_a_refusal_of_the_content_is_permanent(int status, bool permanent) =>
        Assert.Equal(permanent, InfluxWriteException.IsPermanentStatus(status));

    [Theory]
    [InlineData(InfluxApiKind.V1)]
    [InlineData(InfluxApiKind.V2)]
    public async Task A_server_that_cannot_be_reached_is_a_transient_failure(InfluxApiKind kind)
    {
        await using var proxy = new TcpProxy(new Uri("http://127.0.0.1:9/"));
        proxy.Start();
        await proxy.StopAsync();   // a port where nothing listens
        var options = new InfluxSinkOptions
        {
            Kind = kind, Url = proxy.Url, Database = "db", Organization = "org", Bucket = "bucket",
            SpoolDirectory = Path.GetTempPath(), Timeout = TimeSpan.FromSeconds(5),
        };
        await using var writer = InfluxWriterFactory.Create(options);

        var failure = await Assert.ThrowsAsync<InfluxWriteException>(() => writer.WriteAsync("m v=1 1\n"u8.ToArray(), CancellationToken.None));

        Assert.False(failure.IsPermanent);
        Assert.Null(failure.StatusCode);
    }

    [Fact]
    public void Options_are_validated_and_never_print_secrets()
    {
        var v1 = new InfluxSinkOptions
        {
            Kind = InfluxApiKind.V1, Url = new Uri("http://influx:8086"), Database = "energy", Username = "writer", Password = "s3cret",
            SpoolDirectory = "/var/lib/monitoring/spool",
        };
        v1.Validate();
        Assert.DoesNotContain("s3cret", v1.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => (v1 with { Database = null }).Validate());
        Assert.Throws<ArgumentException>(() => (v1 with { Password = null }).Validate());
        Assert.Throws<ArgumentException>(() => (v1 with { Kind = InfluxApiKind.V2, Organization = "o", Bucket = "b" }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (v1 with { BatchLines = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (v1 with { SpoolMaxBytes = 1000 }).Validate());
    }
}
