using Monitoring.Domain.Registry;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Tests.Registry;

/// <summary>A registry folder in the temp directory, written file by file, removed afterwards.</summary>
internal sealed class TempRegistry : IDisposable
{
    /// <summary>Factors that make electricity and water meters valid, so each test breaks one thing only.</summary>
    public const string Factors = """
        emission_factors:
          - { carrier: electricity, kind: location, year: 2024, value: 0.578, unit: tCO2e/MWh, source: Ember 2024 }
          - { carrier: water, kind: supply, year: 2025, value: 0.1913, unit: kgCO2e/m3, source: DESNZ 2025 }
        """;

    public TempRegistry(bool withFactors = true)
    {
        Directory = Path.Combine(Path.GetTempPath(), "registry-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        if (withFactors)
        {
            Write("factors.yaml", Factors);
        }
    }

    public string Directory { get; }

    public string PathOf(string relative) => Path.Join(Directory, relative);

    public TempRegistry Write(string relative, string text)
    {
        var path = PathOf(relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    /// <summary>A minimal valid site <c>casa</c> in <c>sites.yaml</c>, for tests that break programmes or projects.</summary>
    public TempRegistry WithCasaSite() => Write("sites.yaml", """
        sites:
          - { id: casa, ecosystem: aeronautics }
        """);

    public RegistryLoadResult Load() => SiteRegistryLoader.LoadDirectory(Directory);

    /// <summary>Loads and asserts that exactly one error was found; returns it.</summary>
    public ConfigurationError SingleError()
    {
        var result = Load();
        Assert.Null(result.Registry);
        return Assert.Single(result.Errors);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
