using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Tests;

public sealed class ProfileTests
{
    [Fact]
    public void Every_built_in_profile_loads()
    {
        Assert.Equal(
            ["carlo-gavazzi-em24", "eastron-sdm630", "janitza-umg96rm", "schneider-pm5xxx", "socomec-countis-e4x", "tuf-2000m", "xintai-water"],
            BuiltInProfiles.All.Keys.Order(StringComparer.Ordinal));
        Assert.All(BuiltInProfiles.All.Values, p => Assert.NotEmpty(p.Points));
    }

    [Fact]
    public void Schneider_register_numbers_become_pdu_addresses_and_wh_becomes_kwh()
    {
        var pm = BuiltInProfiles.All["schneider-pm5xxx"];

        var power = pm.Points.Single(p => p.Field == "power_kw");
        var energy = pm.Points.Single(p => p.Field == "energy_import_kwh");
        var pf = pm.Points.Single(p => p.Field == "pf");

        Assert.Equal((ModbusFunction.ReadHoldingRegisters, (ushort)3059, ModbusDataType.Float32), (power.Table, power.Address, power.Type));
        Assert.Equal(((ushort)3203, ModbusDataType.Int64, 0.001, "slow"), (energy.Address, energy.Type, energy.UnitFactor, energy.Group));
        Assert.Equal(PointEncoding.SchneiderPowerFactor, pf.Encoding);
    }

    [Fact]
    public void Decoding_applies_scale_then_unit_conversion()
    {
        var em24 = BuiltInProfiles.All["carlo-gavazzi-em24"];
        var power = em24.Points.Single(p => p.Field == "power_kw");

        // INT32 CDAB 123456 (0x0001_E240) tenths of a watt: 12345.6 W = 12.3456 kW.
        Assert.True(power.TryDecode([0xE240, 0x0001], out var kw));

        Assert.Equal(12.3456, kw, 12);
    }

    [Fact]
    public void Tuf_totaliser_adds_the_float_fraction_to_the_integer_part()
    {
        var volume = BuiltInProfiles.All["tuf-2000m"].Points.Single(p => p.Field == "volume_m3");

        // INT32 CDAB 98765 = 0x0001_81CD, then float32 CDAB 0.25 = 0x3E80_0000.
        Assert.True(volume.TryDecode([0x81CD, 0x0001, 0x0000, 0x3E80], out var m3));

        Assert.Equal((4, 8), (volume.RegisterCount, (int)volume.Address));
        Assert.Equal(98765.25, m3);
    }

    [Fact]
    public void Sentinel_in_an_energy_register_is_no_value()
    {
        var socomec = BuiltInProfiles.All["socomec-countis-e4x"];
        var energy = socomec.Points.Single(p => p.Field == "energy_import_kwh");

        Assert.False(energy.TryDecode([0xFFFF, 0xFFFF], out _));
        Assert.True(energy.TryDecode([0x0001, 0x0000], out var kwh));
        Assert.Equal(65536, kwh);
    }
}
