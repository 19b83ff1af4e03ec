using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Monitoring.Domain.Registry;
using Monitoring.Server.Security;

namespace Monitoring.Server.Hosting.Authentication;

/// <summary>
/// The API's authentication scheme (<c>Authorization: Bearer|Token &lt;token&gt;</c>, tokens of the <see cref="TokenStore"/>)
/// and its two policies: <see cref="ReadPolicy"/> (reader or admin, within the token's sites: route values
/// <c>siteId</c> and <c>programmeId</c> are checked) and <see cref="AdminPolicy"/>.
/// </summary>
internal static class TokenAuthentication
{
    public const string Scheme = "Token";
    public const string ReadPolicy = "monitoring-read";
    public const string AdminPolicy = "monitoring-admin";
    public const string ReaderRole = "reader";
    public const string AdminRole = "admin";
    public const string WriterRole = "writer";
    private const string EntryItem = "monitoring.token";
    private const string ForbiddenItem = "monitoring.forbidden";

    public static void AddTokenAuthentication(IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(Scheme, null);
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(ReaderRole, AdminRole).AddRequirements(new ScopeRequirement()))
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(AdminRole));
    }

    /// <summary>The token entry of an authenticated request.</summary>
    public static TokenEntry Entry(HttpContext context) =>
        context.Items[EntryItem] as TokenEntry ?? throw new InvalidOperationException("the request was not authenticated with a token");

    internal static void SetEntry(HttpContext context, TokenEntry entry) => context.Items[EntryItem] = entry;

    internal static void SetForbiddenReason(HttpContext context, string reason) => context.Items[ForbiddenItem] = reason;

    internal static string? ForbiddenReason(HttpContext context) => context.Items[ForbiddenItem] as string;

    public static string RoleName(TokenRole role) => role switch
    {
        TokenRole.Admin => AdminRole,
        TokenRole.Reader => ReaderRole,
        _ => WriterRole,
    };
}

/// <summary>What one token may read: every site, or a set (its sites plus the member sites of its programmes).</summary>
internal sealed class ApiScope
{
    private readonly HashSet<string>? _sites;

    private ApiScope(HashSet<string>? sites) => _sites = sites;

    public bool IsUnrestricted => _sites is null;

    public static ApiScope For(TokenEntry entry, SiteRegistry registry)
    {
        if (!entry.IsScoped)
        {
            return new ApiScope(null);
        }

        var sites = new HashSet<string>(entry.Sites, StringComparer.Ordinal);
        foreach (var programme in entry.Programmes)
        {
            sites.UnionWith(registry.FindProgramme(programme)?.SiteIds ?? []);
        }

        return new ApiScope(sites);
    }

    public static ApiScope Of(HttpContext context) =>
        For(TokenAuthentication.Entry(context), context.RequestServices.GetRequiredService<SiteRegistry>());

    public bool Covers(string siteId) => _sites is null || _sites.Contains(siteId);

    /// <summary>A programme is readable when every one of its sites is.</summary>
    public bool Covers(Programme programme) => _sites is null || programme.SiteIds.All(_sites.Contains);
}

/// <summary>Authenticates a request by its token; a request without one is anonymous (the policies then answer 401).</summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = WriteEndpoints.ReadToken(Request, v1: false);
        if (token is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (tokens.Find(token) is not { } entry)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        }

        TokenAuthentication.SetEntry(Context, entry);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, entry.Name), new Claim(ClaimTypes.Role, TokenAuthentication.RoleName(entry.Role))],
            TokenAuthentication.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), TokenAuthentication.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer, Token";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
            detail: "a valid token is required: Authorization: Bearer <token> (or Token <token>)").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var entry = Context.Items.ContainsKey("monitoring.token") ? TokenAuthentication.Entry(Context) : null;
        var detail = TokenAuthentication.ForbiddenReason(Context)
            ?? (entry is null ? "this token may not do this" : $"token '{entry.Name}' ({TokenAuthentication.RoleName(entry.Role)}) may not do this");
        return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail).ExecuteAsync(Context);
    }
}

/// <summary>The token must cover the site or programme the route names.</summary>
internal sealed class ScopeRequirement : IAuthorizationRequirement;

internal sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http || !http.Items.ContainsKey("monitoring.token"))
        {
            return Task.CompletedTask;
        }

        var entry = TokenAuthentication.Entry(http);
        // The registry in force for this request (a reload may have replaced the one at start).
        var registry = http.RequestServices.GetRequiredService<SiteRegistry>();
        var scope = ApiScope.For(entry, registry);
        if (http.GetRouteValue("siteId") is string site && !scope.Covers(site))
        {
            TokenAuthentication.SetForbiddenReason(http, $"token '{entry.Name}' may not read site '{site}'");
            context.Fail();
            return Task.CompletedTask;
        }

        if (http.GetRouteValue("programmeId") is string programmeId)
        {
            var programme = registry.FindProgramme(programmeId);
            if ((programme is null && !scope.IsUnrestricted) || (programme is not null && !scope.Covers(programme)))
            {
                TokenAuthentication.SetForbiddenReason(http, $"token '{entry.Name}' may not read programme '{programmeId}'");
                context.Fail();
                return Task.CompletedTask;
            }
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
