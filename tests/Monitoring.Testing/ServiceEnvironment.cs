using System.Globalization;

namespace Monitoring.Testing;

/// <summary>A host and TCP port taken from a <c>MONITORING_TEST_*</c> variable.</summary>
public sealed record ServiceEndpoint(string Host, int Port)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}

/// <summary>
/// Reads the endpoints that ./test.sh exports for the services it starts. A missing or malformed variable is
/// an error, never a reason to skip: the tests are meant to run against real services.
/// </summary>
public static class ServiceEnvironment
{
    public const string MqttVariable = "MONITORING_TEST_MQTT";
    public const string InfluxDb1Variable = "MONITORING_TEST_INFLUXDB1";
    public const string VictoriaMetricsVariable = "MONITORING_TEST_VICTORIAMETRICS";
    public const string PostgresVariable = "MONITORING_TEST_POSTGRES";
    public const string ModbusVariable = "MONITORING_TEST_MODBUS";
    public const string ModbusRtuVariable = "MONITORING_TEST_MODBUS_RTU";
    public const string MbpollVariable = "MONITORING_TEST_MBPOLL";
    /// <summary>Folder of tests/peers/influxdb-js with its npm packages installed.</summary>
    public const string InfluxJsVariable = "MONITORING_TEST_INFLUX_JS";
    /// <summary>Folder of tests/peers/node-red with Node-RED and node-red-contrib-influxdb installed.</summary>
    public const string NodeRedVariable = "MONITORING_TEST_NODE_RED";
    /// <summary>The InfluxDB 1.x shell, <c>influx</c> (Debian's influxdb-client).</summary>
    public const string InfluxShellVariable = "MONITORING_TEST_INFLUX_SHELL";
    /// <summary>Folder of tests/peers (scripts that talk to the product as independent clients do).</summary>
    public const string PeersVariable = "MONITORING_TEST_PEERS";

    /// <summary>The value of <paramref name="variable"/>; throws a message that says how to get it set.</summary>
    /// <param name="variable">The environment variable, e.g. <c>MONITORING_TEST_MQTT</c>.</param>
    /// <param name="service">What ./test.sh starts for it, e.g. "mosquitto".</param>
    public static string Require(string variable, string service)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{variable} is not set: run the tests with ./test.sh, which starts {service} on 127.0.0.1 and exports it.");
        }

        return value.Trim();
    }

    /// <summary>A <c>host:port</c> variable.</summary>
    public static ServiceEndpoint RequireEndpoint(string variable, string service)
    {
        var value = Require(variable, service);
        var colon = value.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw Malformed(variable, value, "host:port");
        }

        return new ServiceEndpoint(value[..colon], port);
    }

    /// <summary>An absolute http(s) URL variable, returned with a trailing slash so relative paths resolve under it.</summary>
    public static Uri RequireHttpUri(string variable, string service)
    {
        var value = Require(variable, service);
        if (!Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Malformed(variable, value, "an absolute http:// URL");
        }

        return uri;
    }

    /// <summary>A path to an executable file.</summary>
    public static string RequireExecutable(string variable, string service)
    {
        var value = Require(variable, service);
        if (!File.Exists(value))
        {
            throw new InvalidOperationException(
                $"{variable}={value} does not exist: run the tests with ./test.sh, which installs {service} and exports it.");
        }

        return value;
    }

    private static InvalidOperationException Malformed(string variable, string value, string expected) =>
        new($"{variable}='{value}' is not {expected}: run the tests with ./test.sh, which exports it.");
}
