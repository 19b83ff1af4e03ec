using Google.Protobuf;
using Monitoring.Edge.Inputs.Mqtt.Sparkplug;
using Metric = Monitoring.Edge.Inputs.Mqtt.Sparkplug.Payload.Types.Metric;

namespace Monitoring.Edge.Tests;

/// <summary>Sparkplug B payloads as an edge node would publish them (Tahu schema).</summary>
internal static class SparkplugPayloads
{
    public const uint Int32 = 3, Int64 = 4, UInt64 = 8, Float = 9, Double = 10, Boolean = 11;

    public static byte[] Payload(ulong? seq, ulong timestamp, params Metric[] metrics)
    {
        var payload = new Payload { Timestamp = timestamp };
        if (seq is { } s)
        {
            payload.Seq = s;
        }

        payload.Metrics.AddRange(metrics);
        return payload.ToByteArray();
    }

    public static Metric BdSeq(ulong value) => new() { Name = "bdSeq", Datatype = UInt64, LongValue = value };

    /// <summary>A birth metric: name, alias, datatype and current value.</summary>
    public static Metric Birth(string name, ulong alias, double value) =>
        new() { Name = name, Alias = alias, Datatype = Double, DoubleValue = value };

    public static Metric BirthFloat(string name, ulong alias, float value) =>
        new() { Name = name, Alias = alias, Datatype = Float, FloatValue = value };

    public static Metric BirthInt32(string name, ulong alias, int value) =>
        new() { Name = name, Alias = alias, Datatype = Int32, IntValue = unchecked((uint)value) };

    /// <summary>A data metric: alias only (the datatype comes from the birth).</summary>
    public static Metric Data(ulong alias, double value, ulong? timestamp = null, bool historical = false)
    {
        var metric = new Metric { Alias = alias, DoubleValue = value };
        if (timestamp is { } t)
        {
            metric.Timestamp = t;
        }

        if (historical)
        {
            metric.IsHistorical = true;
        }

        return metric;
    }

    public static Metric DataFloat(ulong alias, float value) => new() { Alias = alias, FloatValue = value };

    public static Metric DataInt(ulong alias, int value) => new() { Alias = alias, IntValue = unchecked((uint)value) };
}
