using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Registry;

/// <summary>The outcome of loading a registry: the registry when valid, otherwise every error found.</summary>
public sealed record RegistryLoadResult(SiteRegistry? Registry, IReadOnlyList<ConfigurationError> Errors, IReadOnlyList<string> Files)
{
    public bool IsValid => Registry is not null;
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
        return new RegistryLoadResult(errors.Count == 0 ? registry : null, errors, files);
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
