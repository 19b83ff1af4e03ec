using System.Globalization;
using System.Text.RegularExpressions;

namespace Monitoring.Testing;

/// <summary>
/// The pymodbus TCP server ./test.sh starts from tests/peers/modbus_server.py
/// (<c>MONITORING_TEST_MODBUS=127.0.0.1:PORT</c>; its register map is documented at the top of that script),
/// and mbpoll (<c>MONITORING_TEST_MBPOLL</c>), an independent Modbus client.
/// </summary>
public sealed partial class ModbusPeerFixture
{
    public ModbusPeerFixture()
    {
        Endpoint = ServiceEnvironment.RequireEndpoint(ServiceEnvironment.ModbusVariable, "the pymodbus server tests/peers/modbus_server.py");
        RtuEndpoint = ServiceEnvironment.RequireEndpoint(ServiceEnvironment.ModbusRtuVariable, "the pymodbus server's RTU-over-TCP listener");
        MbpollPath = ServiceEnvironment.RequireExecutable(ServiceEnvironment.MbpollVariable, "mbpoll");
    }

    /// <summary>The same register map served with RTU framing (unit, PDU, CRC-16) over TCP.</summary>
    public ServiceEndpoint RtuEndpoint { get; }

    public ServiceEndpoint Endpoint { get; }

    public string Host => Endpoint.Host;

    public int Port => Endpoint.Port;

    public string MbpollPath { get; }

    /// <summary>Runs mbpoll with exactly <paramref name="args"/> (timeout <see cref="TestTimeouts.Operation"/>).</summary>
    public Task<ProcessResult> RunMbpollAsync(params string[] args) =>
        ProcessRunner.RunAsync(MbpollPath, args, TestTimeouts.Operation);

    /// <summary>
    /// One mbpoll read against the peer: <c>mbpoll -m tcp -p PORT -1 -o 2 OPTIONS... HOST</c>
    /// (e.g. <c>"-a", "1", "-t", "3:float", "-B", "-0", "-r", "0"</c>).
    /// </summary>
    public Task<ProcessResult> PollOnceAsync(params string[] options) =>
        RunMbpollAsync(
            [
                "-m", "tcp",
                "-p", Port.ToString(CultureInfo.InvariantCulture),
                "-1",
                "-o", "2",
                .. options,
                Host,
            ]);

    /// <summary>
    /// The values mbpoll printed, by reference: lines <c>[72]: 	0x47F1</c> or <c>[2]: 	64302 (-1234)</c>
    /// give 72 → "0x47F1" and 2 → "64302 (-1234)".
    /// </summary>
    public static IReadOnlyDictionary<int, string> ParseValues(string mbpollOutput)
    {
        var values = new SortedDictionary<int, string>();
        foreach (Match match in ValueLine().Matches(mbpollOutput))
        {
            values[int.Parse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture)] = match.Groups[2].Value.Trim();
        }

        return values;
    }

    [GeneratedRegex(@"^\[(\d+)\]:\s*(.+?)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ValueLine();
}
