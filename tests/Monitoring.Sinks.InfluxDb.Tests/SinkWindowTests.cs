using System.Text;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb.Tests;

public sealed class SinkWindowTests
{
    private static BufferedRecord Record(long sequence, string lines) =>
        new(sequence, DateTimeOffset.UnixEpoch, RecordPriority.Counter, Encoding.UTF8.GetBytes(lines));

    [Fact]
    public void A_window_takes_records_up_to_the_lines_of_its_requests_and_splits_them_by_series_in_order()
    {
        var records = Enumerable.Range(0, 6)
            .Select(r => Record(r + 1, string.Concat(Enumerable.Range(0, 100).Select(i => $"m,site=s,meter=m{i % 37} v={r}.{i} {i}\n"))))
            .ToList();

        var window = SinkWindow.Take(records, batchLines: 100, maxInFlight: 4);

        Assert.Equal(4, window.Records);
        Assert.InRange(window.Batches.Count, 2, 4);
        var lanes = window.Batches.Select(b => Encoding.UTF8.GetString(b.Body.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(400, lanes.Sum(l => l.Length));
        Assert.Equal(window.Batches.Select(b => b.Lines), lanes.Select(l => l.Length));
        // Every series in exactly one request, and within it in spool order.
        var laneOfSeries = lanes.SelectMany((lines, lane) => lines.Select(line => (Key: line[..line.IndexOf(' ', StringComparison.Ordinal)], lane)))
            .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Select(x => x.lane).Distinct().ToList());
        Assert.Equal(37, laneOfSeries.Count);
        Assert.All(laneOfSeries.Values, l => Assert.Single(l));
        var expected = records.Take(4).SelectMany(r => Encoding.UTF8.GetString(r.Payload.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var lines in lanes)
        {
            Assert.Equal(expected.Where(lines.Contains), lines);
        }
    }

    [Fact]
    public void One_request_in_flight_or_a_small_backlog_keeps_the_records_whole_in_one_request()
    {
        var records = new[] { Record(1, "a,t=1 v=1 1\n"), Record(2, "b,t=2 v=2 2\n") };

        var single = SinkWindow.Take(records, batchLines: 5000, maxInFlight: 4);
        var serial = SinkWindow.Take(records, batchLines: 1, maxInFlight: 1);

        Assert.Equal((2, "a,t=1 v=1 1\nb,t=2 v=2 2\n"), (single.Records, Encoding.UTF8.GetString(Assert.Single(single.Batches).Body.Span)));
        Assert.Equal((1, "a,t=1 v=1 1\n"), (serial.Records, Encoding.UTF8.GetString(Assert.Single(serial.Batches).Body.Span)));
    }

    [Theory]
    [InlineData("m,site=a v=1 1\n", "m,site=a")]
    [InlineData("m,site=a\\ b,meter=c v=1 1", "m,site=a\\ b,meter=c")]
    [InlineData("edge_status,site=x agent_up=1", "edge_status,site=x")]
    [InlineData("m", "m")]
    public void The_series_key_ends_at_the_first_unescaped_space(string line, string key) =>
        Assert.Equal(key, Encoding.UTF8.GetString(SinkWindow.SeriesKey(Encoding.UTF8.GetBytes(line))));
}
