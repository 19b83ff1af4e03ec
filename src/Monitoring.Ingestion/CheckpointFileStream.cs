using System.Buffers.Binary;
using System.IO.Hashing;

namespace Monitoring.Ingestion;

/// <summary>
/// Writes a checkpoint through to its file while hashing it (XXH3-64), then a trailer: the hash and the magic
/// "MMCS". <see cref="Verify"/> reads a checkpoint back and says whether it is whole, before anything of it is used.
/// </summary>
internal sealed class CheckpointFileStream(Stream inner) : Stream
{
    private const uint TrailerMagic = 0x53434D4D; // "MMCS"
    private const int TrailerLength = 8 + 4;
    private readonly XxHash3 _hash = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.Append(buffer);
        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.Append(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Ends the checkpoint with its hash and magic.</summary>
    public void WriteTrailer()
    {
        Span<byte> trailer = stackalloc byte[TrailerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, _hash.GetCurrentHashAsUInt64());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[8..], TrailerMagic);
        inner.Write(trailer);
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Null when <paramref name="path"/> is a whole checkpoint (its hash matches its content), else what is wrong.
    /// <paramref name="legacy"/>: a checkpoint of an earlier version, without a trailer, which cannot be checked.
    /// </summary>
    public static string? Verify(string path, out bool legacy)
    {
        legacy = false;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (file.Length < TrailerLength)
            {
                return $"{file.Length} bytes: too short to be a checkpoint";
            }

            Span<byte> trailer = stackalloc byte[TrailerLength];
            file.Seek(-TrailerLength, SeekOrigin.End);
            file.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer[8..]) != TrailerMagic)
            {
                legacy = true;
                return null;
            }

            file.Seek(0, SeekOrigin.Begin);
            var hash = new XxHash3();
            var buffer = new byte[1 << 16];
            var remaining = file.Length - TrailerLength;
            while (remaining > 0)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                {
                    return "shorter than it says";
                }

                hash.Append(buffer.AsSpan(0, read));
                remaining -= read;
            }

            return hash.GetCurrentHashAsUInt64() == BinaryPrimitives.ReadUInt64LittleEndian(trailer) ? null : "its checksum does not match its content";
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }
}
