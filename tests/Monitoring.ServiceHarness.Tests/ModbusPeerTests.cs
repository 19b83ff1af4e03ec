using System.Globalization;
using Monitoring.Testing;

namespace Monitoring.ServiceHarness.Tests;

/// <summary>mbpoll against tests/peers/modbus_server.py: proves the documented register map, addressing included.</summary>
[Collection(Collections.ModbusPeer)]
public sealed class ModbusPeerTests(ModbusPeerFixture modbus)
{
    private async Task<IReadOnlyDictionary<int, string>> PollAsync(params string[] options)
    {
        var result = await modbus.PollOnceAsync(options);
        Assert.True(result.ExitCode == 0, result.ToString());
        return ModbusPeerFixture.ParseValues(result.StandardOutput);
    }

    [Fact]
    public async Task Unit_1_holding_registers_0_to_9_are_100_to_1000_at_their_PDU_addresses()
    {
        var values = await PollAsync("-a", "1", "-t", "4", "-0", "-r", "0", "-c", "10");

        Assert.Equal(Enumerable.Range(0, 10), values.Keys);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (i * 100).ToString(CultureInfo.InvariantCulture)), values.Values);
    }

    [Fact]
    public async Task PDU_address_N_is_register_N_and_mbpoll_one_based_reference_N_plus_1_is_the_same_register()
    {
        // No off-by-one: PDU 1 (-0 -r 1) and 1-based reference 2 (-r 2) both read the second register, 200.
        Assert.Equal("200", (await PollAsync("-a", "1", "-t", "4", "-0", "-r", "1"))[1]);
        Assert.Equal("200", (await PollAsync("-a", "1", "-t", "4", "-r", "2"))[2]);
        Assert.Equal("100", (await PollAsync("-a", "1", "-t", "4", "-r", "1"))[1]);
    }

    [Theory]
    [InlineData(0x0000, "230.5")] // L1 voltage
    [InlineData(0x0002, "231")] // L2 voltage
    [InlineData(0x0006, "12.25")] // L1 current
    [InlineData(0x0034, "2845")] // total system power
    [InlineData(0x003E, "0.92")] // power factor
    [InlineData(0x0046, "50")] // frequency
    [InlineData(0x004A, "10.25")] // export energy
    public async Task Unit_1_input_registers_hold_SDM630_float32_ABCD_values(int pduAddress, string expected)
    {
        var address = pduAddress.ToString(CultureInfo.InvariantCulture);
        var values = await PollAsync("-a", "1", "-t", "3:float", "-B", "-0", "-r", address);

        Assert.Equal(expected, values[pduAddress]);
    }

    [Fact]
    public async Task Unit_1_import_energy_raw_words_decode_as_float32_ABCD_123456_5()
    {
        // mbpoll prints floats with 6 significant digits, so decode the raw words here.
        var words = await PollAsync("-a", "1", "-t", "3:hex", "-0", "-r", "72", "-c", "2");

        Assert.Equal("0x47F1", words[72]);
        Assert.Equal("0x2040", words[73]);
        var bits = (int.Parse(words[72][2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) << 16)
                   | int.Parse(words[73][2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(123456.5f, BitConverter.Int32BitsToSingle(bits));
    }

    [Fact]
    public async Task Unit_2_is_a_different_device_with_a_CDAB_counter_a_negative_int16_and_a_CDAB_float()
    {
        // mbpoll's default 32-bit word order is low word first (CDAB).
        Assert.Equal("1234567890", (await PollAsync("-a", "2", "-t", "4:int", "-0", "-r", "0"))[0]);

        var raw = await PollAsync("-a", "2", "-t", "4", "-0", "-r", "0", "-c", "4");
        Assert.Equal(["722", "18838", "64302 (-1234)", "1"], raw.Values);

        Assert.Equal("1234.5", (await PollAsync("-a", "2", "-t", "4:float", "-0", "-r", "16"))[16]);

        // Unit 2 has no SDM630 map: its input registers read 0.
        Assert.Equal("0", (await PollAsync("-a", "2", "-t", "3", "-0", "-r", "0"))[0]);
    }

    [Fact]
    public async Task Reads_past_the_map_get_illegal_data_address_and_unknown_units_get_no_answer()
    {
        var pastEnd = await modbus.PollOnceAsync("-a", "1", "-t", "4", "-0", "-r", "255", "-c", "2");
        Assert.NotEqual(0, pastEnd.ExitCode);
        Assert.Contains("Illegal data address", pastEnd.StandardOutput + pastEnd.StandardError, StringComparison.OrdinalIgnoreCase);

        var unknownUnit = await modbus.PollOnceAsync("-a", "9", "-t", "4", "-0", "-r", "0", "-o", "0.5");
        Assert.NotEqual(0, unknownUnit.ExitCode);
        Assert.Contains("timed out", unknownUnit.StandardOutput + unknownUnit.StandardError, StringComparison.OrdinalIgnoreCase);
    }
}
