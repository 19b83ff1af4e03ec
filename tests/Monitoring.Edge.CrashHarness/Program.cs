using System.Globalization;
using System.Text;
using Monitoring.Storage;

// Usage: Monitoring.Edge.CrashHarness BUFFER_DIR
// Resumes numbering after the last record in the buffer (as an input resumes after its last acknowledged
// message), appends "meter-K reading N" records as fast as it can, prints "durable N" once each is durable,
// and acknowledges older records now and then as an uplink would. It runs until it is killed.
var directory = args[0];
await using var buffer = DiskBuffer.Open(
    new DiskBufferOptions { Directory = directory, SegmentBytes = 64 * 1024, MaxBytes = 64L << 20, CommitInterval = TimeSpan.FromMilliseconds(2) },
    out var report);
Console.Error.WriteLine($"recovered {report.Records} records, discarded {report.DiscardedRecords} ({report.DiscardedBytes} bytes)");

var pending = buffer.Peek(int.MaxValue);
var next = pending.Count > 0 ? Number(pending[^1].Payload.Span) + 1 : 0;

var stdout = Console.Out;
for (var n = next; ; n++)
{
    var payload = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"meter-{n % 5} reading {n}"));
    var sequence = await buffer.AppendAsync(RecordPriority.Counter, payload);
    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"durable {n} {sequence}"));
    stdout.Flush();
    if (n % 97 == 0 && sequence > 50)
    {
        buffer.Acknowledge(sequence - 50);
    }
}

static long Number(ReadOnlySpan<byte> payload) =>
    long.Parse(payload[(payload.LastIndexOf((byte)' ') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
