using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Monitoring.Server.Security;

/// <summary>What a token may do. Writers write readings; readers read the API; admins do both and operate the server.</summary>
public enum TokenRole
{
    Writer,
    Reader,
    Admin,
}

/// <summary>A token as the server knows it: never the token itself, only its SHA-256.</summary>
public sealed record TokenEntry
{
    public required string Name { get; init; }

    public required TokenRole Role { get; init; }

    /// <summary>Sites the token is limited to; empty for every site.</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];

    /// <summary>
    /// Programmes whose member sites a reader may read (a programme officer); added to <see cref="Sites"/>. Empty for
    /// none. Resolved against the registry by the API, so a programme's new site is covered without a new token.
    /// </summary>
    public IReadOnlyList<string> Programmes { get; init; } = [];

    /// <summary><c>sha256:</c> and the lower-case hex digest of the token's UTF-8 bytes.</summary>
    public required string Hash { get; init; }

    public DateTimeOffset Created { get; init; }

    /// <summary>The sites the holder may touch, or null for every site.</summary>
    [JsonIgnore]
    public IReadOnlyCollection<string>? SiteScope => Sites.Count == 0 ? null : Sites;

    /// <summary>Whether the token is limited to some sites or programmes (false: every site).</summary>
    [JsonIgnore]
    public bool IsScoped => Sites.Count > 0 || Programmes.Count > 0;

    public bool MayWrite => Role is TokenRole.Writer or TokenRole.Admin;

    public bool MayRead => Role is TokenRole.Reader or TokenRole.Admin;

    public bool Covers(string site) => Sites.Count == 0 || Sites.Contains(site, StringComparer.Ordinal);
}

/// <summary>
/// The tokens file (JSON, owned by the operator, never in git): names, roles, site scopes and hashes. Tokens are
/// 256-bit random values, so a plain SHA-256 suffices (no password stretching needed) and lookups are one hash.
/// </summary>
public sealed class TokenStore
{
    private const string Prefix = "mon_";
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly FrozenDictionary<string, TokenEntry> _byHash;

    private TokenStore(IReadOnlyList<TokenEntry> entries)
    {
        Entries = entries;
        _byHash = entries.ToFrozenDictionary(e => e.Hash, StringComparer.Ordinal);
    }

    public IReadOnlyList<TokenEntry> Entries { get; }

    public static TokenStore Empty { get; } = new([]);

    /// <summary>Reads the tokens file; a missing file is an empty store (nothing can be written until a token is created).</summary>
    public static TokenStore Load(string path)
    {
        if (!File.Exists(path))
        {
            return Empty;
        }

        TokensFile? file;
        try
        {
            file = JsonSerializer.Deserialize<TokensFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a tokens file: {ex.Message}", ex);
        }

        var entries = file?.Tokens ?? [];
        var duplicate = entries.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{path}: token name '{duplicate.Key}' appears twice");
        }

        return new TokenStore(entries);
    }

    /// <summary>The entry of a presented token, or null when it is not known.</summary>
    public TokenEntry? Find(string? token) =>
        string.IsNullOrEmpty(token) ? null : _byHash.GetValueOrDefault(HashOf(token));

    /// <summary>Creates a token, stores its hash in <paramref name="path"/> (created with owner-only permissions) and returns the token.</summary>
    public static string Create(string path, string name, TokenRole role, IReadOnlyList<string> sites, TimeProvider time, IReadOnlyList<string>? programmes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var existing = Load(path);
        if (existing.Entries.Any(e => e.Name == name))
        {
            throw new InvalidOperationException($"a token named '{name}' exists already in {path}");
        }

        var token = Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var entry = new TokenEntry { Name = name, Role = role, Sites = sites, Programmes = programmes ?? [], Hash = HashOf(token), Created = time.GetUtcNow() };
        var file = new TokensFile { Tokens = [.. existing.Entries, entry] };
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, file, Json);
        }

        File.Move(temporary, path, overwrite: true);
        return token;
    }

    public static string HashOf(string token) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed class TokensFile
    {
        public List<TokenEntry> Tokens { get; init; } = [];
    }
}
