using System.Globalization;
using System.Text;
using System.Text.Json;
using Monitoring.Aggregation;
using Monitoring.Domain.Registry;

namespace Monitoring.Server.Cli;

/// <summary>Writes closed intervals as they come, one row each, as CSV or JSON lines (memory stays flat on a year of data).</summary>
internal sealed class IntervalFileSink : IIntervalSink, IDisposable
{
    private const string CsvHeader = "site,meter,field,kind,unit,resolution,start_utc,end_utc,value,min,max,count,estimated_fraction,peak_demand_kw,flags,correction";

    private readonly StreamWriter _writer;
    private readonly bool _json;
    private readonly StringBuilder _row = new(256);

    public IntervalFileSink(string path, bool json)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        _json = json;
        if (!json)
        {
            _writer.WriteLine(CsvHeader);
        }
    }

    public long Written { get; private set; }

    public void Write(in ClosedInterval interval)
    {
        var series = interval.Series;
        var isCounter = series.Kind == FieldKind.Counter;
        var value = isCounter ? interval.Consumption : interval.Mean;
        double? estimated = isCounter && interval.Consumption != 0 ? interval.EstimatedConsumption / interval.Consumption : null;
        double? peakDemand = isCounter && series.Unit == "kWh" ? interval.PeakQuarterConsumption * 4 : null;
        if (_json)
        {
            WriteJson(interval, value, estimated, peakDemand);
        }
        else
        {
            _row.Clear();
            _row.AppendJoin(',', series.SiteId, series.MeterId, series.Field, isCounter ? "counter" : "gauge", series.Unit, interval.Resolution.ToName());
            _row.Append(',').Append(interval.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            _row.Append(',').Append(interval.End.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            _row.Append(',').Append(Number(value));
            _row.Append(',').Append(isCounter ? string.Empty : Number(interval.Min));
            _row.Append(',').Append(isCounter ? string.Empty : Number(interval.Max));
            _row.Append(',').Append(interval.Count.ToString(CultureInfo.InvariantCulture));
            _row.Append(',').Append(estimated is { } e ? Number(e) : string.Empty);
            _row.Append(',').Append(peakDemand is { } p ? Number(p) : string.Empty);
            _row.Append(',').Append(interval.Flags.ToNames().Replace(',', '|'));
            _row.Append(',').Append(interval.IsCorrection ? "true" : "false");
            _writer.WriteLine(_row);
        }

        Written++;
    }

    public void Dispose() => _writer.Dispose();

    private void WriteJson(in ClosedInterval interval, double value, double? estimated, double? peakDemand)
    {
        var series = interval.Series;
        _writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["site"] = series.SiteId,
            ["meter"] = series.MeterId,
            ["field"] = series.Field,
            ["kind"] = series.Kind == FieldKind.Counter ? "counter" : "gauge",
            ["unit"] = series.Unit,
            ["resolution"] = interval.Resolution.ToName(),
            ["start_utc"] = interval.Start.UtcDateTime,
            ["end_utc"] = interval.End.UtcDateTime,
            ["value"] = value,
            ["min"] = series.Kind == FieldKind.Counter ? null : interval.Min,
            ["max"] = series.Kind == FieldKind.Counter ? null : interval.Max,
            ["count"] = interval.Count,
            ["estimated_fraction"] = estimated,
            ["peak_demand_kw"] = peakDemand,
            ["flags"] = interval.Flags.ToNames(),
            ["correction"] = interval.IsCorrection,
        }));
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
