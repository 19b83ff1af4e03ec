using System.Text.RegularExpressions;
using Monitoring.Testing;
using static Monitoring.Reports.Tests.SyntheticProgramme;

namespace Monitoring.Reports.Tests;

/// <summary>
/// Acceptance: the report renders in headless Chromium (Debian <c>chromium</c>, which ./test.sh installs): a
/// screenshot of the page is a real picture, and the DOM Chromium built has the programme, month, sites and charts.
/// </summary>
public sealed class ChromiumRenderingTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "report-chromium-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_report_renders_in_headless_chromium_with_its_text_and_charts()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install the Debian package chromium (./test.sh installs it).");
        var report = await BuildAsync();
        var files = await ProgrammeReportWriter.WriteAsync(report, _folder);
        var page = new Uri(files[0]).AbsoluteUri;
        var screenshot = Path.Combine(_folder, "screenshot.png");

        var shot = await ProcessRunner.RunAsync(Chromium, [.. Flags("shot"), $"--screenshot={screenshot}", "--window-size=1280,2000", page], RenderTimeout);
        var dom = await ProcessRunner.RunAsync(Chromium, [.. Flags("dom"), "--dump-dom", page], RenderTimeout);

        Assert.True(shot.ExitCode == 0 && File.Exists(screenshot), shot.ToString());
        var bytes = await File.ReadAllBytesAsync(screenshot);
        Assert.True(bytes.Length > 30_000, $"the screenshot has only {bytes.Length} bytes");
        var image = PngImage.Decode(bytes);
        Assert.Equal((1280, 2000), (image.Width, image.Height));
        var colours = image.Pixels.Distinct().Count();
        var inked = image.Pixels.Count(p => p != 0xFFFFFF) / (double)image.Pixels.Length;
        Assert.True(colours > 50, $"the screenshot has {colours} colours: blank?");
        Assert.True(inked is > 0.02 and < 0.9, $"{inked:P1} of the screenshot is not white");

        Assert.True(dom.ExitCode == 0, dom.ToString());
        var html = dom.StandardOutput;
        Assert.Contains(Name, html, StringComparison.Ordinal);
        Assert.Contains("March 2024", html, StringComparison.Ordinal);
        Assert.Contains("2024-03", html, StringComparison.Ordinal);
        Assert.Contains("Alpha Plant", html, StringComparison.Ordinal);
        Assert.Contains("Beta Works", html, StringComparison.Ordinal);
        foreach (var chart in new[] { "trajectory", "cusum-energy", "cusum-water", "intensity" })
        {
            Assert.Matches($"""<figure class="chart" id="chart-{chart}">\s*<svg[^>]*>[\s\S]*?<(path|line|rect|polyline)""", html);
        }

        Assert.Equal(4, Regex.Count(html, "<svg"));
    }

    /// <summary>The flags of the acceptance criterion, each run with its own throw-away profile.</summary>
    private string[] Flags(string profile) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", $"--user-data-dir={Path.Combine(_folder, "profile-" + profile)}",
    ];
}
