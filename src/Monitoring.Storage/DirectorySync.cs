using System.Runtime.InteropServices;

namespace Monitoring.Storage;

/// <summary>
/// fsync of a directory, so that a file created or renamed in it survives a power cut (a file's own fsync makes its
/// content durable, not its name). POSIX only; elsewhere the file system does not need it or offers no way to ask.
/// </summary>
public static partial class DirectorySync
{
    /// <summary>Flushes <paramref name="directory"/>'s entries to disk; <see cref="IOException"/> when the file system refuses.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return;
        }

        var fd = Open(directory, 0); // O_RDONLY: a directory opens read-only on every POSIX system
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            // Some file systems (tmpfs) cannot fsync a directory and say EINVAL: nothing to make durable there.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInval)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {errno})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int EInval = 22;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
