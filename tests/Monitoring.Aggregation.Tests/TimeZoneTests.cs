using static Monitoring.Aggregation.Tests.TestRegistry;

namespace Monitoring.Aggregation.Tests;

/// <summary>
/// Local days and months around clock changes. Africa/Casablanca (tzdata 2025/2026, checked with zdump): UTC+1,
/// back to UTC+0 for Ramadan: 2025-02-23 03:00 → 02:00 (25 h day), 2025-04-06 02:00 → 03:00 (23 h day),
/// 2026-02-15 03:00 → 02:00 (25 h), 2026-03-22 02:00 → 03:00 (23 h). Europe/Paris: 2025-03-30 (23 h), 2025-10-26 (25 h).
/// </summary>
public sealed class TimeZoneTests
{
    public static TheoryData<string, string, string, string, int> ChangeDays => new()
    {
        { "Africa/Casablanca", "2025-02-23", "2025-02-22T23:00:00Z", "2025-02-24T00:00:00Z", 25 },
        { "Africa/Casablanca", "2025-04-06", "2025-04-06T00:00:00Z", "2025-04-06T23:00:00Z", 23 },
        { "Africa/Casablanca", "2026-02-15", "2026-02-14T23:00:00Z", "2026-02-16T00:00:00Z", 25 },
        { "Africa/Casablanca", "2026-03-22", "2026-03-22T00:00:00Z", "2026-03-22T23:00:00Z", 23 },
        { "Africa/Casablanca", "2025-03-10", "2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z", 24 },
        { "Africa/Casablanca", "2025-06-10", "2025-06-09T23:00:00Z", "2025-06-10T23:00:00Z", 24 },
        { "Europe/Paris", "2025-03-30", "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z", 23 },
        { "Europe/Paris", "2025-10-26", "2025-10-25T22:00:00Z", "2025-10-26T23:00:00Z", 25 },
    };

    [Theory]
    [MemberData(nameof(ChangeDays))]
    public void The_calendar_finds_the_local_day_boundaries(string zone, string date, string start, string end, int hours)
    {
        var calendar = new SiteCalendar(TimeZoneInfo.FindSystemTimeZoneById(zone));
        var noon = calendar.FirstInstantOf(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)) + (12 * SiteCalendar.HourMs);
        calendar.GetDay(noon, out var s, out var e);
        Assert.Equal(Utc(start).ToUnixTimeMilliseconds(), s);
        Assert.Equal(Utc(end).ToUnixTimeMilliseconds(), e);
        Assert.Equal(hours * SiteCalendar.HourMs, e - s);
    }

    [Theory]
    [MemberData(nameof(ChangeDays))]
    public void A_constant_load_over_a_change_day_sums_its_23_24_or_25_hours(string zone, string date, string start, string end, int hours)
    {
        _ = date;
        // 1 kWh per quarter hour from two hours before the local day to two hours after it.
        var h = new Harness(Registry(zone, Meter("m1", Counter())));
        var from = Utc(start).AddHours(-2);
        var to = Utc(end).AddHours(2);
        var value = 0.0;
        for (var t = from; t <= to; t = t.AddMinutes(15))
        {
            Assert.Equal(UpdateResult.Accepted, h.Aggregator.Update(h.Id("m1"), t, value));
            value += 1;
        }

        h.Aggregator.CloseAll();
        var day = h.Single(IntervalResolution.Day, start);
        Assert.Equal(Utc(end), day.End);
        Assert.Equal(hours * 4, day.Consumption);
        Assert.Equal(IntervalQuality.None, day.Flags);

        var hoursOfDay = h.Closed(IntervalResolution.Hour).Where(x => x.Start >= Utc(start) && x.End <= Utc(end)).ToList();
        Assert.Equal(hours, hoursOfDay.Count);
        Assert.All(hoursOfDay, x => Assert.Equal(TimeSpan.FromHours(1), x.Duration));
        Assert.All(hoursOfDay, x => Assert.Equal(4, x.Consumption));
        Assert.Equal(day.Consumption, hoursOfDay.Sum(x => x.Consumption));
        var quarters = h.Closed(IntervalResolution.FifteenMinutes).Where(x => x.Start >= Utc(start) && x.End <= Utc(end));
        Assert.Equal(hours * 4, quarters.Count());
    }

    [Fact]
    public void Local_months_follow_the_zone()
    {
        var calendar = new SiteCalendar(TimeZoneInfo.FindSystemTimeZoneById("Africa/Casablanca"));
        // February 2025 starts at +01 and ends during Ramadan at +00: 28 days and one hour.
        calendar.GetMonth(Utc("2025-02-10T12:00:00Z").ToUnixTimeMilliseconds(), out var s, out var e);
        Assert.Equal(Utc("2025-01-31T23:00:00Z").ToUnixTimeMilliseconds(), s);
        Assert.Equal(Utc("2025-03-01T00:00:00Z").ToUnixTimeMilliseconds(), e);
        Assert.Equal(((28 * 24) + 1) * SiteCalendar.HourMs, e - s);

        // UTC 31 March 23:30 is still local 31 March (+00 until 6 April).
        calendar.GetMonth(Utc("2025-03-31T23:30:00Z").ToUnixTimeMilliseconds(), out s, out e);
        Assert.Equal(Utc("2025-03-01T00:00:00Z").ToUnixTimeMilliseconds(), s);
        Assert.Equal(Utc("2025-04-01T00:00:00Z").ToUnixTimeMilliseconds(), e);

        calendar.GetMonth(Utc("2025-06-30T23:30:00Z").ToUnixTimeMilliseconds(), out s, out e);
        Assert.Equal(Utc("2025-06-30T23:00:00Z").ToUnixTimeMilliseconds(), s);   // 1 July local, +01
    }

    [Fact]
    public void Hours_follow_half_hour_offsets()
    {
        var calendar = new SiteCalendar(TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"));
        calendar.GetHour(Utc("2025-06-02T10:10:00Z").ToUnixTimeMilliseconds(), out var s, out var e);
        Assert.Equal(Utc("2025-06-02T09:30:00Z").ToUnixTimeMilliseconds(), s);
        Assert.Equal(Utc("2025-06-02T10:30:00Z").ToUnixTimeMilliseconds(), e);
    }
}
