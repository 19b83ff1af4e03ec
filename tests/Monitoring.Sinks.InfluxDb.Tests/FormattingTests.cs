using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using static Monitoring.Sinks.InfluxDb.Tests.TestPlant;

namespace Monitoring.Sinks.InfluxDb.Tests;

/// <summary>The measurements of docs/data-model.md, line by line.</summary>
public sealed class FormattingTests
{
    private readonly TestPlant _plant = new();
    private readonly LineBuffer _buffer = new();

    private string Text => Encoding.UTF8.GetString(_buffer.WrittenSpan);

    [Fact]
    public void A_counter_interval_gives_consumption_estimated_demand_coverage_and_flags()
    {
        var quarter = _plant.EnergyQuarter(0, 60.5, IntervalQuality.Rollover | IntervalQuality.Estimated) with { EstimatedConsumption = 60.5 };

        Assert.True(InfluxLineFormatter.Write(_buffer, quarter));

        Assert.Equal(
            "interval_series,site=site-a,meter=main,field=energy_import_kwh,resolution=15m consumption=60.5,estimated=60.5,demand=242,covered_s=900,flags=\"ROLLOVER,ESTIMATED\" 1736935200000\n",
            Text);
    }

    [Fact]
    public void A_gauge_interval_gives_mean_min_max_last_and_count()
    {
        var hour = new ClosedInterval
        {
            Series = _plant.MainPower,
            Resolution = IntervalResolution.Hour,
            Start = T0,
            End = T0.AddHours(1),
            Count = 4,
            Sum = 42,
            Min = 9.5,
            Max = 11.5,
            Last = 10,
            LastTime = T0.AddMinutes(45),
        };

        InfluxLineFormatter.Write(_buffer, hour);

        Assert.Equal("interval_series,site=site-a,meter=main,field=power_kw,resolution=1h mean=10.5,min=9.5,max=11.5,last=10,count=4i 1736935200000\n", Text);
    }

    [Fact]
    public void A_meter_rollup_with_reactive_energy_gives_demand_and_power_factor()
    {
        InfluxLineFormatter.Write(_buffer, _plant.MainDay(1000, 750));

        Assert.Equal(
            "interval_meter,site=site-a,meter=main,carrier=electricity,unit=kWh,virtual=false,resolution=1d consumption=1000,estimated=0,gross=1000,"
            + "estimated_fraction=0,energy_kwh=1000,co2e_kg=578,co2e_market_kg=578,demand_kw=1040,reactive_kvarh=750,pf=0.8,factor_year=2024i,"
            + "inputs=1i,expected_inputs=1i 1736935200000\n",
            Text);
    }

    [Fact]
    public void A_node_rollup_gives_level_node_and_site_and_leaves_out_the_undefined_power_factor()
    {
        var quarter = new RollupInterval
        {
            Node = _plant.Line1,
            Resolution = IntervalResolution.FifteenMinutes,
            Start = T0,
            End = T0.AddMinutes(15),
            Consumption = 40,
            EstimatedConsumption = 10,
            GrossConsumption = 40,
            PeakQuarterConsumption = 40,
            EnergyKwh = 40,
            Co2eKg = 24,
            Co2eMarketKg = 24,
            Inputs = 0,
            ExpectedInputs = 1,
            FactorYear = 2024,
            Flags = IntervalQuality.Incomplete,
        };

        InfluxLineFormatter.Write(_buffer, quarter);

        Assert.Equal(
            "interval_node,level=line,node=line-1,site=site-a,carrier=electricity,unit=kWh,resolution=15m consumption=40,estimated=10,gross=40,"
            + "estimated_fraction=0.25,energy_kwh=40,co2e_kg=24,co2e_market_kg=24,demand_kw=160,reactive_kvarh=0,factor_year=2024i,inputs=0i,"
            + "expected_inputs=1i,flags=\"INCOMPLETE\" 1736935200000\n",
            Text);
    }

    [Fact]
    public void An_ecosystem_node_of_all_carriers_has_no_site_tag_and_no_electrical_fields()
    {
        var month = new RollupInterval
        {
            Node = _plant.Ecosystem,
            Resolution = IntervalResolution.Month,
            Start = T0,
            End = T0.AddDays(31),
            Consumption = 1500,
            GrossConsumption = 1500,
            EnergyKwh = 1500,
            Co2eKg = 867,
            Co2eMarketKg = 867,
            Inputs = 1,
            ExpectedInputs = 1,
        };

        InfluxLineFormatter.Write(_buffer, month);

        Assert.Equal(
            "interval_node,level=ecosystem,node=eco-1,carrier=all,unit=kWh,resolution=1mo consumption=1500,estimated=0,gross=1500,estimated_fraction=0,"
            + "energy_kwh=1500,co2e_kg=867,co2e_market_kg=867,factor_year=0i,inputs=1i,expected_inputs=1i 1736935200000\n",
            Text);
    }

    [Fact]
    public void An_intensity_gives_the_ratios_of_its_sums()
    {
        var day = new IntensityInterval
        {
            Definition = _plant.Line1PerPart,
            Resolution = IntervalResolution.Day,
            Start = T0,
            End = T0.AddDays(1),
            Consumption = 40,
            EnergyKwh = 40,
            Co2eKg = 24,
            Output = 80,
        };

        InfluxLineFormatter.Write(_buffer, day);

        Assert.Equal(
            "kpi_intensity,level=line,node=line-1,site=site-a,carrier=electricity,unit=kWh,counter=parts,output_unit=parts,resolution=1d "
            + "consumption=40,energy_kwh=40,co2e_kg=24,output=80,per_unit=0.5,energy_kwh_per_unit=0.5,co2e_kg_per_unit=0.3 1736935200000\n",
            Text);
    }

    [Fact]
    public void Non_finite_values_are_left_out()
    {
        var noOutput = new IntensityInterval
        {
            Definition = _plant.Line1PerPart,
            Resolution = IntervalResolution.Day,
            Start = T0,
            End = T0.AddDays(1),
            Consumption = 40,
            EnergyKwh = 40,
            Co2eKg = 24,
        };
        var noSamples = new ClosedInterval
        {
            Series = _plant.MainPower,
            Resolution = IntervalResolution.FifteenMinutes,
            Start = T0,
            End = T0.AddMinutes(15),
            Min = double.NaN,
            Max = double.NaN,
            Last = double.NaN,
        };

        InfluxLineFormatter.Write(_buffer, noOutput);
        InfluxLineFormatter.Write(_buffer, noSamples);
        Assert.True(InfluxLineFormatter.WriteReading(_buffer, _plant.MainPower, T0, double.PositiveInfinity) is false);

        Assert.Equal(
            "kpi_intensity,level=line,node=line-1,site=site-a,carrier=electricity,unit=kWh,counter=parts,output_unit=parts,resolution=1d "
            + "consumption=40,energy_kwh=40,co2e_kg=24,output=0 1736935200000\n"
            + "interval_series,site=site-a,meter=main,field=power_kw,resolution=15m count=0i 1736935200000\n",
            Text);
    }

    [Fact]
    public void Tag_values_are_escaped_and_numbers_keep_their_shortest_round_trip_form()
    {
        var plant = new TestPlant(siteId: "plant a", mainId: "hall 2,a=b");

        InfluxLineFormatter.WriteReading(_buffer, plant.MainPower, T0.AddMilliseconds(1), 1234.5);
        InfluxLineFormatter.Write(_buffer, plant.EnergyQuarter(0, 0.000015));

        Assert.Equal(
            "meter,site=plant\\ a,meter=hall\\ 2\\,a\\=b power_kw=1234.5 1736935200001\n"
            + "interval_series,site=plant\\ a,meter=hall\\ 2\\,a\\=b,field=energy_import_kwh,resolution=15m consumption=1.5E-05,estimated=0,demand=6E-05,covered_s=900 1736935200000\n",
            Text);
    }
}
