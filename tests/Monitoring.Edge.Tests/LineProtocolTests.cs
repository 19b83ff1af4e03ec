using System.Text;
using Monitoring.Edge.Polling;

namespace Monitoring.Edge.Tests;

public sealed class LineProtocolTests
{
    [Fact]
    public void Readings_of_one_request_share_a_line_and_the_request_time()
    {
        var first = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123);
        var second = first.AddMilliseconds(20);
        var output = new StringBuilder();

        LineProtocolWriter.WriteMeterLines(output, "casa-aero", "main incomer,1", [
            new Reading(first, "voltage_v", 230.5),
            new Reading(second, "energy_import_kwh", 123456.5),
            new Reading(first, "pf", 0.92),
        ]);

        Assert.Equal(
            "meter,site=casa-aero,meter=main\\ incomer\\,1 voltage_v=230.5,pf=0.92 1764000000123000000\n"
            + "meter,site=casa-aero,meter=main\\ incomer\\,1 energy_import_kwh=123456.5 1764000000143000000\n",
            output.ToString());
    }
}
