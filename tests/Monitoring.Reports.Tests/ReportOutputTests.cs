using System.Globalization;
using System.Text.RegularExpressions;
using static Monitoring.Reports.Tests.SyntheticProgramme;

namespace Monitoring.Reports.Tests;

/// <summary>The HTML page is self-contained and escaped; every table is exported as CSV with its header and rows.</summary>
public sealed partial class ReportOutputTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "report-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [GeneratedRegex("""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [Fact]
    public async Task The_page_is_self_contained_with_inline_svg_charts_and_escaped_text()
    {
        var report = await BuildAsync(Registry(alphaName: "Alpha <Forge> & Sons"));

        var html = HtmlReportRenderer.Render(report);

        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"url\(\s*['""]?(?!#)", html);                 // only fragment references (SVG clip paths)
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Alpha &lt;Forge&gt; &amp; Sons", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<Forge>", html, StringComparison.Ordinal);
        foreach (var chart in new[] { "trajectory", "cusum-energy", "cusum-water", "intensity" })
        {
            Assert.Matches($"""<figure class="chart" id="chart-{chart}">\s*<svg""", html);
        }

        Assert.Contains(Name, html, StringComparison.Ordinal);
        Assert.Contains("March 2024", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_table_is_written_as_csv_with_its_header_and_one_row_per_record()
    {
        var report = await BuildAsync();

        var files = await ProgrammeReportWriter.WriteAsync(report, _folder);

        Assert.Equal(Path.Combine(_folder, "test-programme-2024-03.html"), files[0]);
        var tables = ReportTables.Create(report);
        Assert.Equal([files[0], .. tables.Select(t => Path.Combine(_folder, t.Id + ".csv"))], files);
        string[] Lines(string table) => File.ReadAllLines(Path.Combine(_folder, table + ".csv"));

        var trajectory = Lines("trajectory");
        Assert.Equal("quantity,unit,target_reduction_percent,baseline_year_total,baseline_same_period,year_to_date,index,target_index,projected_year,target,gap,on_track", trajectory[0]);
        Assert.Equal(4, trajectory.Length);
        Assert.StartsWith("energy,MWh,20,", trajectory[1], StringComparison.Ordinal);

        var monthly = Lines("savings-monthly");
        Assert.Equal("site,quantity,unit,month,days,adjusted_baseline,actual,savings,cusum,exception_days", monthly[0]);
        Assert.Equal(1 + (2 * 3 * 3), monthly.Length);                     // 2 sites × 3 quantities × 3 months
        Assert.StartsWith("beta,energy,MWh,2024-01,31,", monthly.Single(l => l.StartsWith("beta,energy,MWh,2024-01", StringComparison.Ordinal)), StringComparison.Ordinal);

        Assert.Equal(1 + 2, Lines("month-sites").Length);
        Assert.Equal(1 + 4, Lines("intensity").Length);                     // 2 sites × energy, water
        Assert.Equal(1 + 6, Lines("baselines").Length);
        Assert.Equal(1 + 3, Lines("savings-programme").Length);
        var projects = Lines("projects");
        Assert.Equal(2, projects.Length);
        Assert.StartsWith("project,name,site,status,implemented_on,capex,currency,annual_savings,", projects[0], StringComparison.Ordinal);
        var project = projects[1].Split(',');
        Assert.Equal(["alpha-burners", "Regenerative burners", "alpha", "approved", "", "1200000", "MAD", "350000", "100", ""], project[..10]);
        Assert.Equal(54.7, double.Parse(project[10], CultureInfo.InvariantCulture), 9);
        Assert.Equal(811_323.63, double.Parse(project[13], CultureInfo.InvariantCulture), 2);
        Assert.Equal("Longer stop; Prices fall", project[^1]);
        Assert.Equal(["project,risk,probability,impact,expected_loss,mitigation", "alpha-burners,Longer stop,0.25,150000,37500,Plan the stop", "alpha-burners,Prices fall,0.3,200000,60000,"], Lines("project-risks"));
        Assert.Equal(["note"], Lines("notes"));
    }

    [Fact]
    public void Csv_cells_with_commas_or_quotes_are_quoted()
    {
        var table = new ReportTable("t", "T", [new("a", "A"), new("b", "B", "N1")], [["x, \"y\"", 1.5], [null, double.NaN]]);

        Assert.Equal("a,b\n\"x, \"\"y\"\"\",1.5\n,\n", CsvTableWriter.ToCsv(table));
    }

    [Fact]
    public void The_daily_site_table_of_the_demo_is_read_into_local_days()
    {
        var path = Path.Combine(_folder, "sites-daily.csv");
        Directory.CreateDirectory(_folder);
        File.WriteAllLines(path,
        [
            "site,day_start_utc,electricity_kwh,peak_demand_kw,gas_nm3,water_m3,co2e_kg,fuel_kwh,production,temperature_c",
            "alpha,2023-01-01T23:00:00Z,100.5,40,2,3.25,60,20,7,12.5",
            "beta,2023-01-02T23:00:00Z,10,4,0,1,5,0,0,",
        ]);

        var days = SiteDayCsv.Read(path, Registry());

        Assert.Equal(
            [
                new SiteDay("alpha", new DateOnly(2023, 1, 2), 100.5, 20, 3.25, 60, 7, 12.5),
                new SiteDay("beta", new DateOnly(2023, 1, 3), 10, 0, 1, 5, 0, double.NaN),
            ],
            days);
        File.AppendAllLines(path, ["gamma,2023-01-02T23:00:00Z,10,4,0,1,5,0,0,"]);
        var error = Assert.Throws<ReportDataException>(() => SiteDayCsv.Read(path, Registry()));
        Assert.Equal($"{path}:4: unknown site 'gamma'.", error.Message);
    }
}
