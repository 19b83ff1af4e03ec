namespace Monitoring.Testing;

/// <summary>The repository the tests run from: found from the test binaries by looking up for Monitoring.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Monitoring.sln above {AppContext.BaseDirectory}.");
    }
}
