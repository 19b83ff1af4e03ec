using System.Text;

namespace Monitoring.Ingestion.Tests;

public sealed class BatchIdWindowTests
{
    private static string Key(string writer, string batchId) => Encoding.UTF8.GetString(BatchIdWindow.Key(writer, Encoding.UTF8.GetBytes(batchId)));

    [Fact]
    public void The_same_batch_id_from_two_writers_is_two_batches()
    {
        var window = new BatchIdWindow();

        Assert.True(window.TryClaim(Key("token:agent-casa", "gw-01:1-2")));
        Assert.True(window.TryClaim(Key("token:agent-tanger", "gw-01:1-2")));
        Assert.False(window.TryClaim(Key("token:agent-casa", "gw-01:1-2")));
        Assert.Empty(BatchIdWindow.Key("token:x", []));
    }

    [Fact]
    public void An_agent_range_at_or_below_its_streams_high_water_mark_is_a_duplicate_and_a_new_instance_is_a_new_stream()
    {
        var window = new BatchIdWindow(capacity: 2);
        Assert.True(window.TryClaim(Key("t", "gw-01@aaaaaaaaaaaaaaaa:1-500")));
        Assert.True(window.TryClaim(Key("t", "gw-01@aaaaaaaaaaaaaaaa:501-900")));
        Assert.True(window.TryClaim(Key("t", "gw-01@aaaaaaaaaaaaaaaa:901-1000")));

        // 1-500 has left the window of two ids, but lies below the mark: still a duplicate.
        Assert.True(window.Contains(Key("t", "gw-01@aaaaaaaaaaaaaaaa:1-500")));
        Assert.True(window.Contains(Key("t", "gw-01@aaaaaaaaaaaaaaaa:1-480")));
        Assert.False(window.Contains(Key("t", "gw-01@aaaaaaaaaaaaaaaa:990-1010")));
        Assert.False(window.Contains(Key("t", "gw-01@bbbbbbbbbbbbbbbb:1-500")));
        Assert.False(window.Contains(Key("other", "gw-01@aaaaaaaaaaaaaaaa:1-500")));
    }

    [Theory]
    [InlineData("t\u001fgw-01@00ff:10-20", true, "t\u001fgw-01@00ff", 10, 20)]
    [InlineData("t\u001fgw:01@x:1-2", true, "t\u001fgw:01@x", 1, 2)]
    [InlineData("t\u001fgw-01:1-2", false, "", 0, 0)]          // no instance: the id alone
    [InlineData("t\u001fmeter-7", false, "", 0, 0)]
    [InlineData("t\u001fgw@i:20-10", false, "", 0, 0)]
    [InlineData("t\u001fgw@i:1-", false, "", 0, 0)]
    [InlineData("gw@i:1-2", false, "", 0, 0)]                   // no writer
    public void Agent_ranges_are_parsed_from_the_batch_id(string key, bool parsed, string stream, long first, long last)
    {
        Assert.Equal(parsed, BatchIdWindow.TryParseRange(key, out var s, out var f, out var l));
        Assert.Equal((stream, first, last), (s, f, l));
    }

    [Fact]
    public void Ids_and_high_water_marks_survive_a_save_and_load()
    {
        var window = new BatchIdWindow();
        window.TryClaim(Key("t", "plain"));
        window.TryClaim(Key("t", "gw@i:1-100"));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            window.Save(writer);
        }

        stream.Position = 0;
        var loaded = new BatchIdWindow();
        using (var reader = new BinaryReader(stream))
        {
            loaded.Load(reader);
        }

        Assert.True(loaded.Contains(Key("t", "plain")));
        Assert.True(loaded.Contains(Key("t", "gw@i:50-60")));
        Assert.False(loaded.Contains(Key("t", "gw@i:101-101")));
    }
}
