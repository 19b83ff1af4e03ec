using System.CommandLine;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring health [--url URL]</c>: asks a running <c>serve</c> for its readiness; exit 0 when it answers 2xx,
/// 1 otherwise. It is the container health check (compose.yaml): the server's image has no curl (docs/deploy.md).
/// </summary>
internal static class HealthCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var url = new Option<string>("--url")
        {
            Description = "The server's readiness route.",
            DefaultValueFactory = _ => "http://127.0.0.1:8080/health/ready",
        };
        var health = new Command("health", "Check a running server's readiness (GET /health/ready): exit 0 when ready, 1 when not or unreachable.");
        health.Options.Add(url);
        health.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await error.WriteLineAsync($"--url: '{parse.GetValue(url)}' is not an http(s) URL").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }

            return await CheckAsync(uri, parse.InvocationConfiguration.Output, error, cancellationToken).ConfigureAwait(false);
        });
        return health;
    }

    private static async Task<int> CheckAsync(Uri url, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var writer = response.IsSuccessStatusCode ? output : error;
            await writer.WriteLineAsync($"{url}: {(int)response.StatusCode} {body}").ConfigureAwait(false);
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (Exception ex) when ((ex is HttpRequestException or TaskCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"{url}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
