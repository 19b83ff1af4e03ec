using System.Text;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// The InfluxDB measurements of docs/data-model.md ("InfluxDB measurements", the contract for names): one line per
/// record, tags in the table's order, timestamp = interval start in milliseconds, non-finite values left out,
/// <c>flags</c> a comma-separated string absent when empty. Writing a line allocates nothing.
/// </summary>
internal static class InfluxLineFormatter
{
    private static readonly byte[][] FlagFields = BuildFlagFields();
    private static readonly byte[][] ResolutionNames = [.. IntervalResolutions.All.Select(r => Encoding.ASCII.GetBytes(r.ToName()))];

    /// <summary><c>interval_series</c>: counters give consumption, estimated, demand, covered_s; gauges mean, min, max, last, count.</summary>
    public static bool Write(LineBuffer buffer, in ClosedInterval interval)
    {
        var series = interval.Series;
        var line = new Line(buffer, "interval_series"u8);
        line.Tag("site"u8, series.SiteId);
        line.Tag("meter"u8, series.MeterId);
        line.Tag("field"u8, series.Field);
        line.Tag("resolution"u8, ResolutionNames[(int)interval.Resolution]);
        if (series.Kind == FieldKind.Counter)
        {
            line.Field("consumption"u8, interval.Consumption);
            line.Field("estimated"u8, interval.EstimatedConsumption);
            line.Field("demand"u8, interval.PeakDemand);
            line.Field("covered_s"u8, interval.CoveredMilliseconds / 1000.0);
        }
        else
        {
            line.Field("mean"u8, interval.Mean);
            line.Field("min"u8, interval.Min);
            line.Field("max"u8, interval.Max);
            line.Field("last"u8, interval.Last);
            line.Integer("count"u8, interval.Count);
        }

        line.Flags(interval.Flags);
        return line.End(interval.Start);
    }

    /// <summary><c>interval_meter</c> for a consumption meter, <c>interval_node</c> for every other level.</summary>
    public static bool Write(LineBuffer buffer, in RollupInterval interval)
    {
        var node = interval.Node;
        Line line;
        if (node.Level == RollupLevel.Meter)
        {
            line = new Line(buffer, "interval_meter"u8);
            line.Tag("site"u8, node.SiteId);
            line.Tag("meter"u8, node.Id);
            line.Tag("carrier"u8, node.CarrierName);
            line.Tag("unit"u8, node.Unit);
            line.Tag("virtual"u8, node.IsVirtual ? "true"u8 : "false"u8);
        }
        else
        {
            line = new Line(buffer, "interval_node"u8);
            line.Tag("level"u8, node.Level.ToName());
            line.Tag("node"u8, node.Id);
            line.Tag("site"u8, node.SiteId);
            line.Tag("carrier"u8, node.CarrierName);
            line.Tag("unit"u8, node.Unit);
        }

        line.Tag("resolution"u8, ResolutionNames[(int)interval.Resolution]);
        var electricity = node.Carrier == Carrier.Electricity;
        line.Field("consumption"u8, interval.Consumption);
        line.Field("estimated"u8, interval.EstimatedConsumption);
        line.Field("gross"u8, interval.GrossConsumption);
        line.Field("estimated_fraction"u8, interval.EstimatedFraction);
        line.Field("energy_kwh"u8, interval.EnergyKwh);
        line.Field("co2e_kg"u8, interval.Co2eKg);
        line.Field("co2e_market_kg"u8, interval.Co2eMarketKg);
        if (electricity)
        {
            line.Field("demand_kw"u8, interval.PeakDemand);
            line.Field("reactive_kvarh"u8, interval.ReactiveKvarh);
            line.Field("pf"u8, interval.PowerFactor);
        }

        line.Integer("factor_year"u8, interval.FactorYear);
        line.Integer("inputs"u8, interval.Inputs);
        line.Integer("expected_inputs"u8, interval.ExpectedInputs);
        line.Flags(interval.Flags);
        return line.End(interval.Start);
    }

    /// <summary><c>kpi_intensity</c>: consumption, energy and CO2e per unit of a production counter.</summary>
    public static bool Write(LineBuffer buffer, in IntensityInterval intensity)
    {
        var node = intensity.Node;
        var counter = intensity.Definition.Counter;
        var line = new Line(buffer, "kpi_intensity"u8);
        line.Tag("level"u8, node.Level.ToName());
        line.Tag("node"u8, node.Id);
        line.Tag("site"u8, node.SiteId);
        line.Tag("carrier"u8, node.CarrierName);
        line.Tag("unit"u8, node.Unit);
        line.Tag("counter"u8, counter.Id);
        line.Tag("output_unit"u8, counter.Unit);
        line.Tag("resolution"u8, ResolutionNames[(int)intensity.Resolution]);
        line.Field("consumption"u8, intensity.Consumption);
        line.Field("energy_kwh"u8, intensity.EnergyKwh);
        line.Field("co2e_kg"u8, intensity.Co2eKg);
        line.Field("output"u8, intensity.Output);
        line.Field("per_unit"u8, intensity.ConsumptionPerUnit);
        line.Field("energy_kwh_per_unit"u8, intensity.EnergyKwhPerUnit);
        line.Field("co2e_kg_per_unit"u8, intensity.Co2eKgPerUnit);
        line.Flags(intensity.Flags);
        return line.End(intensity.Start);
    }

    /// <summary>A raw reading in the ingestion vocabulary (DESIGN §4): <c>meter,site=S,meter=M field=value ts</c>.</summary>
    public static bool WriteReading(LineBuffer buffer, SeriesInfo series, DateTimeOffset time, double value)
    {
        var line = new Line(buffer, "meter"u8);
        line.Tag("site"u8, series.SiteId);
        line.Tag("meter"u8, series.MeterId);
        line.Field(series.Field, value);
        return line.End(time);
    }

    private static byte[][] BuildFlagFields()
    {
        var all = 0;
        foreach (var flag in Enum.GetValues<IntervalQuality>())
        {
            all |= (int)flag;
        }

        var fields = new byte[all + 1][];
        for (var flags = 0; flags <= all; flags++)
        {
            fields[flags] = FlagField((IntervalQuality)flags);
        }

        return fields;
    }

    private static byte[] FlagField(IntervalQuality flags)
    {
        var buffer = new LineBuffer(64);
        buffer.Append("flags="u8);
        buffer.AppendStringField(flags.ToNames());
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One line being written: tags first, then fields; a line without any finite field is taken back.</summary>
    private ref struct Line
    {
        private readonly LineBuffer _buffer;
        private readonly int _start;
        private bool _hasField;

        public Line(LineBuffer buffer, ReadOnlySpan<byte> measurement)
        {
            _buffer = buffer;
            _start = buffer.Length;
            buffer.Append(measurement);
        }

        /// <summary>An empty tag value is not valid line protocol: such a tag (e.g. the site of a programme) is left out.</summary>
        public readonly void Tag(ReadOnlySpan<byte> key, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            _buffer.Append((byte)',');
            _buffer.Append(key);
            _buffer.Append((byte)'=');
            _buffer.AppendTagValue(value);
        }

        public readonly void Tag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> asciiValue)
        {
            _buffer.Append((byte)',');
            _buffer.Append(key);
            _buffer.Append((byte)'=');
            _buffer.Append(asciiValue);
        }

        public void Field(ReadOnlySpan<byte> key, double value)
        {
            if (!double.IsFinite(value))
            {
                return;
            }

            Separator();
            _buffer.Append(key);
            _buffer.Append((byte)'=');
            _buffer.AppendFloat(value);
        }

        /// <summary>A field whose key is a registry name (raw readings): escaped like a tag key.</summary>
        public void Field(string key, double value)
        {
            if (!double.IsFinite(value))
            {
                return;
            }

            Separator();
            _buffer.AppendTagValue(key);
            _buffer.Append((byte)'=');
            _buffer.AppendFloat(value);
        }

        public void Integer(ReadOnlySpan<byte> key, long value)
        {
            Separator();
            _buffer.Append(key);
            _buffer.Append((byte)'=');
            _buffer.AppendInteger(value);
        }

        public void Flags(IntervalQuality flags)
        {
            if (flags == IntervalQuality.None)
            {
                return;
            }

            Separator();
            _buffer.Append((uint)flags < (uint)FlagFields.Length ? FlagFields[(int)flags] : FlagField(flags));
        }

        /// <summary>Ends the line with its timestamp (ms); false, and nothing written, when no field had a value.</summary>
        public readonly bool End(DateTimeOffset time)
        {
            if (!_hasField)
            {
                _buffer.Truncate(_start);
                return false;
            }

            _buffer.Append((byte)' ');
            _buffer.AppendNumber(time.ToUnixTimeMilliseconds());
            _buffer.Append((byte)'\n');
            return true;
        }

        private void Separator()
        {
            _buffer.Append(_hasField ? (byte)',' : (byte)' ');
            _hasField = true;
        }
    }
}
