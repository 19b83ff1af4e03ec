using System.Text;

namespace Monitoring.Ingestion.Tests;

public sealed class IngestBatchTests
{
    [Fact]
    public void A_batch_that_fits_is_one_whole_record_read_back_as_written()
    {
        PointRecord[] points = [new(3, 1_700_000_000_000, 12.5), new(4, 1_700_000_060_000, -1)];
        var records = IngestBatch.CreateRecords("w\u001fb-1"u8, points, "edge_status,site=a,agent=g x=1 1\n"u8, maxRecordBytes: 4096);

        var batch = IngestBatch.Read(Assert.Single(records).Payload);
        Assert.Equal((1, 0, 0UL), (batch.PartCount, batch.PartIndex, batch.Group));
        Assert.Equal("w\u001fb-1", Encoding.UTF8.GetString(batch.BatchId));
        Assert.Equal(points, batch.Points.ToArray());
        Assert.Equal("edge_status,site=a,agent=g x=1 1\n", Encoding.UTF8.GetString(batch.Passthrough));
    }

    [Fact]
    public void A_larger_batch_is_parts_of_one_group_each_under_the_record_size_whose_union_is_the_batch()
    {
        var points = Enumerable.Range(0, 5000).Select(i => new PointRecord(i % 7, 1_700_000_000_000 + i, i)).ToArray();
        var text = string.Concat(Enumerable.Range(0, 400).Select(i => $"edge_status,site=a,agent=g buffer_records={i}i,note=\"{new string('n', i)}\" {i}\n"));

        var records = IngestBatch.CreateRecords("key"u8, points, Encoding.UTF8.GetBytes(text), maxRecordBytes: 16 * 1024);

        Assert.True(records.Count > 2);
        var parts = records.Select(r => IngestBatch.Read(r.Payload)).ToList();
        Assert.All(records, r => Assert.True(r.Payload.Length <= 16 * 1024));
        Assert.Single(parts.Select(p => p.Group).Distinct());
        Assert.NotEqual(0UL, parts[0].Group);
        Assert.Equal(Enumerable.Range(0, parts.Count), parts.Select(p => p.PartIndex));
        Assert.All(parts, p => Assert.Equal((records.Count, "key"), (p.PartCount, Encoding.UTF8.GetString(p.BatchId))));
        Assert.Equal(points, parts.SelectMany(p => p.Points.ToArray()));
        var passthrough = parts.Select(p => Encoding.UTF8.GetString(p.Passthrough)).ToList();
        Assert.Equal(text, string.Concat(passthrough));
        Assert.All(passthrough.Where(p => p.Length > 0), p => Assert.EndsWith("\n", p, StringComparison.Ordinal)); // split at line ends
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]   // unknown version
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]   // one reading announced, none there
    public void A_record_that_is_not_a_batch_is_refused(byte[] payload) =>
        Assert.Throws<InvalidDataException>(() => IngestBatch.Read(payload));
}
