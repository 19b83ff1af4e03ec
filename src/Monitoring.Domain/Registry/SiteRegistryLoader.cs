using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Registry;

/// <summary>The outcome of loading a registry: the registry when valid, otherwise every error found.</summary>
public sealed record RegistryLoadResult(SiteRegistry? Registry, IReadOnlyList<ConfigurationError> Errors, IReadOnlyList<string> Files)
{
    public bool IsValid => Registry is not null;

    /// <summary>Where meters and fields are written, for checks that point back at the registry's files.</summary>
    public RegistryLocations Locations { get; init; } = RegistryLocations.Empty;
}

/// <summary>Where each site's meters and their fields are written in the registry's files.</summary>
public sealed class RegistryLocations
{
    private readonly Dictionary<(string Site, string Meter), SourceLocation> _meters;
    private readonly Dictionary<(string Site, string Meter, string Field), SourceLocation> _fields;

    internal RegistryLocations(
        Dictionary<(string Site, string Meter), SourceLocation> meters,
        Dictionary<(string Site, string Meter, string Field), SourceLocation> fields)
    {
        _meters = meters;
        _fields = fields;
    }

    public static RegistryLocations Empty { get; } = new([], []);

    /// <summary>The meter's mapping; <c>default</c> when the site has no such meter.</summary>
    public SourceLocation Meter(string site, string meter) =>
        _meters.TryGetValue((site, meter), out var at) ? at : default;

    /// <summary>Where the meter names the field; the meter's place when unknown.</summary>
    public SourceLocation Field(string site, string meter, string field) =>
        _fields.TryGetValue((site, meter, field), out var at) ? at : Meter(site, meter);
}

/// <summary>
/// Loads the site registry from a folder of YAML files (any layout; each file holds any of the top-level
/// sections <c>sites</c>, <c>emission_factors</c>, <c>fuels</c>, <c>carbon</c>, <c>programmes</c>, <c>projects</c>).
/// Validation reports every error, never only the first.
/// </summary>
public static partial class SiteRegistryLoader
{
    public static RegistryLoadResult LoadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var diagnostics = new Diagnostics();
        if (!Directory.Exists(directory))
        {
            diagnostics.Report(new SourceLocation(directory, 0, 0), "registry folder does not exist");
            return new RegistryLoadResult(null, diagnostics.Errors, []);
        }

        var files = Directory
            .EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.Join(directory, Path.GetRelativePath(directory, f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            diagnostics.Report(new SourceLocation(directory, 0, 0), "registry folder holds no .yaml or .yml file");
            return new RegistryLoadResult(null, diagnostics.Errors, files);
        }

        var builder = new RegistryBuilder(diagnostics);
        var unreadable = 0;
        foreach (var file in files)
        {
            unreadable += ReadFile(builder, new YamlSource(file, diagnostics), File.ReadAllText(file)) ? 0 : 1;
        }

        // A file that is not YAML hides what it defines: references to its sites would only repeat its error.
        var registry = builder.Build(checkReferences: unreadable == 0);
        var errors = diagnostics.Errors
            .OrderBy(e => e.Location.File, StringComparer.Ordinal)
            .ThenBy(e => e.Location.Line)
            .ThenBy(e => e.Location.Column)
            .ToList();
        return new RegistryLoadResult(errors.Count == 0 ? registry : null, errors, files) { Locations = builder.Locations };
    }

    /// <summary>Reads one file into the builder; false when it is not valid YAML (the error is reported).</summary>
    private static bool ReadFile(RegistryBuilder builder, YamlSource source, string text)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            source.Diagnostics.Report(source.At(ex.Start), $"invalid YAML: {CleanYamlMessage(ex)}");
            return false;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this instead of a YamlException on some unclosed flow collections.
            source.Diagnostics.Report(source.At(scanner.CurrentPosition), "invalid YAML: unexpected text here; is a '[', '{' or quote left open above?");
            return false;
        }

        foreach (var document in stream.Documents)
        {
            builder.ReadDocument(source, document.RootNode);
        }

        return true;
    }

    /// <summary>YamlDotNet prefixes messages with the position, which our location already gives.</summary>
    private static string CleanYamlMessage(YamlException ex)
    {
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        return PositionPrefix().Replace(message, string.Empty).Trim();
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", RegexOptions.CultureInvariant)]
    private static partial Regex PositionPrefix();
}
