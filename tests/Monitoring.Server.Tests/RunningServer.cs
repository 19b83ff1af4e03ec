using System.Net.Http.Headers;
using System.Text;
using Monitoring.Server.Cli;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tests;

/// <summary>
/// <c>monitoring serve</c> in process on loopback (HTTP and MQTT on free ports), on the bundled registry, with a data
/// folder and a tokens file of its own: <c>telegraf</c> (writer, every site), <c>agent-casa</c> (writer, casa-aero),
/// <c>officer</c> (reader), <c>root</c> (admin).
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private readonly bool _ownsData;

    private RunningServer(ServerHost host, string dataDirectory, IReadOnlyDictionary<string, string> tokens, bool ownsData)
    {
        Host = host;
        DataDirectory = dataDirectory;
        Tokens = tokens;
        _ownsData = ownsData;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ServerHost Host { get; }

    public string DataDirectory { get; }

    public IReadOnlyDictionary<string, string> Tokens { get; }

    public HttpClient Http { get; }

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("monitoring-serve-").FullName;

    /// <summary>Creates the four tokens in <paramref name="dataDirectory"/>/tokens.json (once) and returns them.</summary>
    public static IReadOnlyDictionary<string, string> CreateTokens(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "tokens.json");
        var names = Path.Combine(dataDirectory, "tokens.test");
        if (File.Exists(names))
        {
            return File.ReadAllLines(names).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        }

        var tokens = new Dictionary<string, string>
        {
            ["telegraf"] = TokenStore.Create(file, "telegraf", TokenRole.Writer, [], TimeProvider.System),
            ["agent-casa"] = TokenStore.Create(file, "agent-casa", TokenRole.Writer, ["casa-aero"], TimeProvider.System),
            ["officer"] = TokenStore.Create(file, "officer", TokenRole.Reader, [], TimeProvider.System),
            ["root"] = TokenStore.Create(file, "root", TokenRole.Admin, [], TimeProvider.System),
        };
        File.WriteAllLines(names, tokens.Select(p => $"{p.Key}={p.Value}"));
        return tokens;
    }

    public static async Task<RunningServer> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null, string? dataDirectory = null)
    {
        var ownsData = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        var tokens = CreateTokens(dataDirectory);
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var arguments = new ServeArguments(MonitoringCommand.BundledRegistry, "http://127.0.0.1:0", dataDirectory, Path.Combine(dataDirectory, "tokens.json"))
        {
            Overrides = settings,
        };
        var host = await ServerHost.StartAsync(arguments, CancellationToken.None);
        return new RunningServer(host, dataDirectory, tokens, ownsData);
    }

    public static HttpRequestMessage Write(string body, string? token, string path = "/api/v2/write?org=o&bucket=b&precision=s")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        if (_ownsData)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
