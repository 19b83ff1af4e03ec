using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>
/// A TCP relay in front of a real service, on a fixed local port: <see cref="StopAsync"/> closes the port and cuts
/// every open connection (an outage as the client sees it), <see cref="Start"/> opens the same port again.
/// </summary>
internal sealed class TcpProxy(Uri target) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<TcpClient, bool> _connections = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _stopping;
    private Task _accepting = Task.CompletedTask;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public void Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _stopping = new CancellationTokenSource();
        _accepting = AcceptAsync(listener, _stopping.Token);
    }

    public async Task StopAsync()
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping!.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await _accepting;
        _stopping.Dispose();
        _listener = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken ct)
    {
        using var upstream = new TcpClient();
        _connections[client] = true;
        _connections[upstream] = true;
        try
        {
            await upstream.ConnectAsync(target.Host, target.Port, ct);
            var toServer = client.GetStream().CopyToAsync(upstream.GetStream(), ct);
            var toClient = upstream.GetStream().CopyToAsync(client.GetStream(), ct);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The outage cut the connection: that is the point.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            _connections.TryRemove(upstream, out _);
            client.Dispose();
        }
    }
}
