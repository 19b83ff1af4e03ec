using System.Diagnostics;

namespace Monitoring.Testing;

/// <summary>
/// A small tmpfs that a test can fill up: the full disk of a gateway in its second month. Mounting needs root, as CI
/// runs; without it the test fails and says so.
/// </summary>
public sealed class SmallFileSystem : IDisposable
{
    private readonly string _parent;

    private SmallFileSystem(string parent, string path)
    {
        _parent = parent;
        Path = path;
    }

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: <c>1m</c>, <c>256k</c>).</summary>
    public static async Task<SmallFileSystem> MountAsync(string size = "1m")
    {
        var parent = Directory.CreateTempSubdirectory("small-fs-").FullName;
        var path = Directory.CreateDirectory(System.IO.Path.Combine(parent, "fs")).FullName;
        var result = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path]).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            Directory.Delete(parent, recursive: true);
            throw new InvalidOperationException($"mounting a small tmpfs needs root, as CI runs the tests: {result}");
        }

        return new SmallFileSystem(parent, path);
    }

    /// <summary>Writes <paramref name="name"/> until the file system has no space left; delete it to free the space.</summary>
    public string FillUp(string name = "filler")
    {
        var path = System.IO.Path.Combine(Path, name);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        var chunk = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }

        return path;
    }

    public void Dispose()
    {
        using (var unmount = Process.Start("umount", ["-l", Path]))
        {
            unmount?.WaitForExit();
        }

        Directory.Delete(_parent, recursive: true);
    }
}
