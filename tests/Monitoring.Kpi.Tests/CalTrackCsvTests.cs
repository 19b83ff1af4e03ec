using Monitoring.Testing;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Kpi.Tests;

public sealed class CalTrackCsvTests
{
    private const string Header = "date_utc,period,meter_value,temperature_mean,n_days_kept";

    private static CalTrackDataset Parse(params string[] lines) => CalTrackCsv.Read(new StringReader(string.Join('\n', lines)), "test.csv");

    [Fact]
    public void Sample_file_has_365_baseline_and_365_reporting_days_without_end_markers()
    {
        var data = CalTrackCsv.ReadFile(SharedData.CalTrackFile("il-gas-hdd-only-daily_design.csv"));

        Assert.Equal(365, data.Baseline.Count);
        Assert.Equal(365, data.Reporting.Count);
        Assert.Equal(new DailyObservation(new DateOnly(2015, 12, 27), 5.99, 41.906667), data.Baseline[0]);
        Assert.Equal(new DateOnly(2016, 12, 25), data.Baseline[^1].Date);
        Assert.Equal(new DateOnly(2017, 1, 4), data.Reporting[0].Date);
    }

    [Fact]
    public void Rows_with_empty_values_and_days_with_under_half_their_data_are_skipped()
    {
        var data = Parse(Header, "2020-01-01,baseline,1.5,40,1", "2020-01-02,baseline,,,", "2020-01-03,baseline,2,41,0.4", "", "2020-01-04,reporting,3,42.5,0.5");

        Assert.Single(data.Baseline);
        Assert.Equal(new DailyObservation(new DateOnly(2020, 1, 4), 3, 42.5), Assert.Single(data.Reporting));
    }

    [Fact]
    public void Columns_are_found_by_name_and_timestamps_are_accepted()
    {
        var data = Parse("period,n_days_kept,temperature_mean,meter_value,date_utc", "baseline,1,50,7,2020-03-01T00:00:00Z");

        Assert.Equal(new DailyObservation(new DateOnly(2020, 3, 1), 7, 50), Assert.Single(data.Baseline));
    }

    [Theory]
    [InlineData("2020-01-02,baseline,1\u00a02,40,1", "test.csv:3: meter_value '1\u00a02' is not a finite number.")]
    [InlineData("2020-01-02,baseline,1,4O,1", "test.csv:3: temperature_mean '4O' is not a finite number.")]
    [InlineData("2020-01-02,baseline,1,40", "test.csv:3: 4 fields where the header has 5.")]
    [InlineData("02/01/2020,baseline,1,40,1", "test.csv:3: date_utc '02/01/2020' is not a date (yyyy-MM-dd or ISO 8601).")]
    [InlineData("2020-01-02,training,1,40,1", "test.csv:3: period 'training' is neither baseline nor reporting.")]
    [InlineData("2020-01-02,baseline,\"1,5\",40,1", "test.csv:3: 6 fields where the header has 5.")]
    public void A_bad_row_is_an_error_naming_the_line(string row, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse(Header, "2020-01-01,baseline,1,40,1", row));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_missing_column_is_named()
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse("date_utc,period,meter_value,n_days_kept", "2020-01-01,baseline,1,1"));

        Assert.StartsWith("test.csv:1: missing column(s) temperature_mean;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_comma_decimal_is_rejected_rather_than_misread()
    {
        Assert.Throws<InvalidDataException>(() => Parse("date_utc;period;meter_value;temperature_mean;n_days_kept", "2020-01-01;baseline;1,5;40;1"));
    }
}
