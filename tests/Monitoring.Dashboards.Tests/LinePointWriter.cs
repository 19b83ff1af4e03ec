using System.Globalization;
using System.Text;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// Builds InfluxDB line protocol (second precision) and writes it in batches through the InfluxDB 1.x client.
/// Null tags and non-finite fields are left out, as the data model says the sinks do.
/// </summary>
internal sealed class LinePointWriter(Func<string, CancellationToken, Task> write, int batchLines = 5000)
{
    private readonly StringBuilder _batch = new();
    private int _lines;
    private bool _hasField;

    public long Points { get; private set; }

    public LinePointWriter Point(string measurement)
    {
        _batch.Append(measurement);
        _hasField = false;
        return this;
    }

    public LinePointWriter Tag(string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _batch.Append(',').Append(key).Append('=').Append(Escape(value));
        }

        return this;
    }

    public LinePointWriter Field(string key, double value)
    {
        if (double.IsFinite(value))
        {
            _batch.Append(_hasField ? ',' : ' ').Append(key).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture));
            _hasField = true;
        }

        return this;
    }

    public LinePointWriter Field(string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _batch.Append(_hasField ? ',' : ' ').Append(key).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            _hasField = true;
        }

        return this;
    }

    /// <summary>Ends the point at <paramref name="time"/> (whole seconds); flushes a full batch.</summary>
    public async Task AtAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        if (!_hasField)
        {
            throw new InvalidOperationException($"a point needs at least one finite field: {_batch.ToString().Split('\n')[^1]}");
        }

        _batch.Append(' ').Append(time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        Points++;
        if (++_lines >= batchLines)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_lines > 0)
        {
            await write(_batch.ToString(), cancellationToken).ConfigureAwait(false);
            _batch.Clear();
            _lines = 0;
        }
    }

    private static string Escape(string tagValue) =>
        tagValue.Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);
}
