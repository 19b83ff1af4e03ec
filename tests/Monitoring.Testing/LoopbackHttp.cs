using static System.FormattableString;

namespace Monitoring.Testing;

/// <summary>HttpClients for the services on 127.0.0.1: never through a proxy, always with a timeout.</summary>
public static class LoopbackHttp
{
    public static HttpClient CreateClient(Uri baseAddress, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = timeout ?? TestTimeouts.Operation,
        };
    }

    /// <summary>Throws with the status and body when <paramref name="response"/> is not a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new HttpRequestException(
            Invariant($"{what}: {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}"),
            inner: null,
            response.StatusCode);
    }
}
