using Monitoring.Domain.Configuration;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Edge.Profiles;

/// <summary>The profiles compiled into the agent (Profiles/BuiltIn/*.yaml), by id.</summary>
public static class BuiltInProfiles
{
    private static readonly Lazy<IReadOnlyDictionary<string, MeterProfile>> Profiles = new(Load);

    public static IReadOnlyDictionary<string, MeterProfile> All => Profiles.Value;

    private static Dictionary<string, MeterProfile> Load()
    {
        var assembly = typeof(BuiltInProfiles).Assembly;
        var diagnostics = new Diagnostics();
        var profiles = new Dictionary<string, MeterProfile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("profiles/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            var stream = new YamlStream();
            stream.Load(reader);
            if (ProfileReader.ReadProfile(new YamlSource(name, diagnostics), stream.Documents[0].RootNode) is { } profile)
            {
                profiles.Add(profile.Id, profile);
            }
        }

        // A broken built-in profile is a build defect, caught by the tests, never a user error.
        return diagnostics.Errors.Count == 0
            ? profiles
            : throw new InvalidOperationException("Built-in profile errors: " + string.Join("; ", diagnostics.Errors));
    }
}
