using System.Globalization;
using System.Text;
using Monitoring.Domain.Registry;

namespace Monitoring.Ingestion.Benchmarks;

/// <summary>Line protocol of every physical meter of some sites of a registry: counters rising, gauges cycling, one line per meter per step.</summary>
internal static class Payload
{
    public static (byte[] Bytes, int Lines) Build(SiteRegistry registry, IReadOnlyList<string> siteIds, DateTimeOffset start, int steps, TimeSpan step)
    {
        var meters = siteIds.SelectMany(id => registry.FindSite(id)!.Meters.Where(m => !m.IsVirtual).Select(m => (Site: id, Meter: m))).ToList();
        var text = new StringBuilder();
        var lines = 0;
        for (var i = 0; i < steps; i++)
        {
            var ns = (start + (step * i) - DateTimeOffset.UnixEpoch).Ticks * 100;
            foreach (var (site, meter) in meters)
            {
                text.Append("meter,site=").Append(site).Append(",meter=").Append(meter.Id);
                var separator = ' ';
                foreach (var field in meter.Fields)
                {
                    var value = field.Kind == FieldKind.Counter ? 100_000 + (i * 1.25 * step.TotalMinutes) : 50 + (i % 7);
                    text.Append(separator).Append(field.Name).Append('=').Append(value.ToString(CultureInfo.InvariantCulture));
                    separator = ',';
                }

                text.Append(' ').Append(ns.ToString(CultureInfo.InvariantCulture)).Append('\n');
                lines++;
            }
        }

        return (Encoding.UTF8.GetBytes(text.ToString()), lines);
    }
}
