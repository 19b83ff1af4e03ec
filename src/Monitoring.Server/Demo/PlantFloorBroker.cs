using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace Monitoring.Server.Demo;

/// <summary>
/// The plants' own MQTT broker (a factory's mosquitto): the simulated MQTT meters publish on it and the edge agents
/// subscribe to it. The server's embedded broker only takes the agents' uplink and relays nothing, so the meters
/// need this one. Loopback only, no authentication, a free port.
/// </summary>
internal sealed class PlantFloorBroker : IAsyncDisposable
{
    private readonly MqttServer _server;

    private PlantFloorBroker(MqttServer server, int port)
    {
        _server = server;
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"mqtt://127.0.0.1:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    public static async Task<PlantFloorBroker> StartAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync().ConfigureAwait(false);
        return new PlantFloorBroker(server, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server.IsStarted)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }

        _server.Dispose();
    }
}
