namespace Monitoring.Aggregation.Tests;

/// <summary>Readings far from the clock cost bounded work: too old is rejected, a far back-fill is TooLate (found by the write-API fuzz test).</summary>
public sealed class TimeRangeTests
{
    [Fact]
    public void A_reading_older_than_MaxAge_is_rejected_and_changes_nothing()
    {
        var h = new RollupHarness(RollupHarness.Example());
        var now = h.Time.GetUtcNow();

        Assert.Equal(UpdateResult.Rejected, h.Read("casa-aero", "compressors", "energy_import_kwh", now.AddYears(-11), 5));
        Assert.Equal(UpdateResult.Accepted, h.Read("casa-aero", "compressors", "energy_import_kwh", now.AddYears(-9), 5));
        Assert.Equal(1, h.Aggregator.Counters.RejectedInvalid);
    }

    [Fact]
    public void A_late_counter_reading_far_before_the_first_one_is_TooLate_at_once_instead_of_spreading_over_years()
    {
        var h = new RollupHarness(RollupHarness.Example());
        var start = h.Time.GetUtcNow().AddDays(-2);
        for (var i = 0; i <= 20; i++)
        {
            h.Read("casa-aero", "compressors", "energy_import_kwh", start.AddMinutes(15 * i), 1000 + i);
        }

        Assert.Equal(UpdateResult.TooLate, h.Read("casa-aero", "compressors", "energy_import_kwh", start.AddYears(-9), 1));
        Assert.Equal(UpdateResult.Corrected, h.Read("casa-aero", "compressors", "energy_import_kwh", start.AddDays(-10), 990));
    }
}
