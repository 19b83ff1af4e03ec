using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Monitoring.Testing;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tests;

/// <summary>
/// A <see cref="RunningServer"/> with two more API tokens: <c>manager-casa</c> (plant manager: reader of casa-aero) and
/// <c>officer-programme</c> (programme officer: reader of the programme ma-industry-2030).
/// </summary>
internal sealed class ApiServer : IAsyncDisposable
{
    private ApiServer(RunningServer server, IReadOnlyDictionary<string, string> tokens)
    {
        Server = server;
        Tokens = tokens;
    }

    public RunningServer Server { get; }

    public IReadOnlyDictionary<string, string> Tokens { get; }

    public static async Task<ApiServer> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null, Action<string>? prepareData = null)
    {
        var data = RunningServer.NewDataDirectory();
        var tokens = new Dictionary<string, string>(RunningServer.CreateTokens(data));
        var file = Path.Combine(data, "tokens.json");
        tokens["manager-casa"] = TokenStore.Create(file, "manager-casa", TokenRole.Reader, ["casa-aero"], TimeProvider.System);
        tokens["officer-programme"] = TokenStore.Create(file, "officer-programme", TokenRole.Reader, [], TimeProvider.System, ["ma-industry-2030"]);
        prepareData?.Invoke(data);
        try
        {
            return new ApiServer(await RunningServer.StartAsync(overrides, data), tokens);
        }
        catch
        {
            Directory.Delete(data, recursive: true);
            throw;
        }
    }

    public async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[token]);
        }

        return await Server.Http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[token]);
        return await Server.Http.SendAsync(request);
    }

    /// <summary>
    /// GETs <paramref name="path"/> until <paramref name="ready"/> holds for its JSON: roll-up records are written by the
    /// aggregation loop's ticker shortly after the series records a checkpoint waits for.
    /// </summary>
    public async Task<JsonDocument> GetJsonWhenAsync(string path, string token, Func<JsonElement, bool> ready)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Test;
        while (true)
        {
            using var response = await GetAsync(path, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (ready(json.RootElement) || DateTimeOffset.UtcNow > deadline)
            {
                return json;
            }

            json.Dispose();
            await Task.Delay(100);
        }
    }

    /// <summary>Writes line protocol (seconds) with the all-sites writer token and applies it.</summary>
    public async Task WriteAsync(IEnumerable<string> lines)
    {
        using var response = await Server.Http.SendAsync(RunningServer.Write(string.Join('\n', lines), Tokens["telegraf"]));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Server.Host.Pipeline.CheckpointAsync();
    }

    public static string Reading(string site, string meter, string field, double value, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"meter,site={site},meter={meter} {field}={value:R} {at.ToUnixTimeSeconds()}");

    public async ValueTask DisposeAsync()
    {
        var data = Server.DataDirectory;
        await Server.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }
}
