namespace Monitoring.Testing;

/// <summary>
/// Locates the shared reference data, which lives beside the repository (../shared), both here and in CI:
/// Monitoring.sln is searched upwards from the test binaries. MONITORING_SHARED_DIR overrides the location.
/// </summary>
public static class SharedData
{
    public static string CalTrackFile(string fileName)
    {
        var path = Path.Combine(SharedDirectory(), "data", "caltrack", fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"CalTRACK test data '{path}' is missing: the shared/ directory must sit beside the repository clone (or set MONITORING_SHARED_DIR).", path);
    }

    private static string SharedDirectory()
    {
        if (Environment.GetEnvironmentVariable("MONITORING_SHARED_DIR") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            }
        }

        throw new DirectoryNotFoundException($"No Monitoring.sln above {AppContext.BaseDirectory}: cannot locate the repository, so not ../shared either.");
    }
}
