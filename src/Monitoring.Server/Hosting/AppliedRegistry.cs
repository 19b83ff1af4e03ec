namespace Monitoring.Server.Hosting;

/// <summary>
/// A copy of the registry in force, kept in the data folder (<c>registry-applied/</c>), written at every start and
/// reload that changes it. A restart whose registry folder is not valid starts under it (and says why, as a refused
/// reload) instead of not starting; a restart whose folder changed while <c>serve</c> was stopped starts under it and
/// then reloads the folder, so that a meter removed meanwhile is closed as at a hot reload (docs/operations.md).
/// </summary>
internal sealed class AppliedRegistry(string dataDirectory)
{
    private string Previous => Path + ".old";

    private string Next => Path + ".new";

    public string Path { get; } = System.IO.Path.Combine(dataDirectory, "registry-applied");

    /// <summary>Whether a copy is there (finishing a replacement a crash interrupted).</summary>
    public bool Exists
    {
        get
        {
            if (!Directory.Exists(Path) && Directory.Exists(Previous))
            {
                Directory.Move(Previous, Path);
            }

            return Directory.Exists(Path);
        }
    }

    /// <summary>Replaces the copy with the registry files of <paramref name="source"/> (the old copy goes only once the new one is whole).</summary>
    public void Keep(string source)
    {
        if (Directory.Exists(Next))
        {
            Directory.Delete(Next, recursive: true);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)))
        {
            var target = System.IO.Path.Combine(Next, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        if (Directory.Exists(Previous))
        {
            Directory.Delete(Previous, recursive: true);
        }

        if (Directory.Exists(Path))
        {
            Directory.Move(Path, Previous);
        }

        Directory.Move(Next, Path);
        if (Directory.Exists(Previous))
        {
            Directory.Delete(Previous, recursive: true);
        }
    }
}
