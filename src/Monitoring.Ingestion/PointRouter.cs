using System.Text;
using Monitoring.Aggregation;
using Monitoring.LineProtocol;

namespace Monitoring.Ingestion;

/// <summary>
/// Takes parsed line protocol and hands each numeric field of a known meter to the aggregation core. Lookups use
/// the raw UTF-8 bytes: no string per line. Everything refused is counted by reason, and the first
/// <see cref="MaxRejectionsKept"/> are kept with their line number and a message that says what to fix.
/// Not thread-safe: one router per aggregator, fed by one consumer.
/// </summary>
public sealed class PointRouter(SeriesCatalog catalog, IntervalAggregator aggregator, int maxRejectionsKept = 100) : ILineProtocolHandler
{
    private static readonly int ReasonCount = Enum.GetValues<RejectionReason>().Length;

    private readonly long[] _rejected = new long[ReasonCount];
    private readonly List<Rejection> _kept = [];

    public int MaxRejectionsKept { get; } = maxRejectionsKept;

    /// <summary>Readings (fields) handed to the aggregation core.</summary>
    public long Accepted { get; private set; }

    /// <summary>Readings already received (same series and time): at-least-once delivery resends them; ignored.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Readings the core took as corrections of closed intervals (they arrived late but within its history).</summary>
    public long Corrections { get; private set; }

    /// <summary>Only readings with a timestamp at or after this (Unix ms) are taken; earlier ones are skipped, not rejected.</summary>
    public long FromUnixMs { get; init; } = long.MinValue;

    /// <summary>Only readings before this (Unix ms) are taken.</summary>
    public long ToUnixMs { get; init; } = long.MaxValue;

    /// <summary>Readings outside [<see cref="FromUnixMs"/>, <see cref="ToUnixMs"/>).</summary>
    public long Skipped { get; private set; }

    public IReadOnlyList<Rejection> KeptRejections => _kept;

    public long RejectedTotal => _rejected.Sum();

    public long Rejected(RejectionReason reason) => _rejected[(int)reason];

    public void OnPoint(in LineProtocolPoint point)
    {
        if (!point.RawMeasurement.SequenceEqual("meter"u8))
        {
            Reject(point.LineNumber, RejectionReason.UnknownMeasurement, $"measurement '{point.GetMeasurement()}' is not 'meter'");
            return;
        }

        if (!point.Tags.TryGetValue("site"u8, out var site) || !point.Tags.TryGetValue("meter"u8, out var meterTag))
        {
            Reject(point.LineNumber, RejectionReason.MissingTag, "a reading needs both the 'site' and the 'meter' tag");
            return;
        }

        var meter = catalog.FindMeter(site.RawValue, meterTag.RawValue);
        if (meter is null)
        {
            Reject(point.LineNumber, RejectionReason.UnknownMeter, $"no meter '{meterTag.GetValue()}' at site '{site.GetValue()}' in the registry");
            return;
        }

        var timestampMs = point.Timestamp / 1_000_000;
        if (timestampMs < FromUnixMs || timestampMs >= ToUnixMs)
        {
            Skipped += point.Fields.Count;
            return;
        }

        foreach (var field in point.Fields)
        {
            var lookup = catalog.Find(meter, field.RawKey, out var id);
            if (lookup != SeriesLookup.Found)
            {
                var reason = lookup == SeriesLookup.OverCardinality ? RejectionReason.OverCardinality : RejectionReason.UnknownField;
                Reject(point.LineNumber, reason, $"meter '{meter.MeterId}' has no field '{Encoding.UTF8.GetString(field.RawKey)}' in the registry");
                continue;
            }

            if (!field.TryGetNumber(out var value))
            {
                Reject(point.LineNumber, RejectionReason.NotANumber, $"field '{Encoding.UTF8.GetString(field.RawKey)}' must be a number, got {field.Kind.ToString().ToLowerInvariant()}");
                continue;
            }

            switch (aggregator.Update(id, timestampMs, value))
            {
                case UpdateResult.Accepted:
                    Accepted++;
                    break;
                case UpdateResult.Duplicate:
                    Duplicates++;
                    break;
                case UpdateResult.Corrected:
                    Accepted++;
                    Corrections++;
                    break;
                case UpdateResult.TooLate:
                    Reject(point.LineNumber, RejectionReason.TooLate, $"reading of '{meter.MeterId}' at {DateTimeOffset.FromUnixTimeMilliseconds(timestampMs):O} is older than the history kept for late data");
                    break;
                default:
                    Reject(point.LineNumber, RejectionReason.InvalidValue, $"value {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} of '{meter.MeterId}' at {DateTimeOffset.FromUnixTimeMilliseconds(timestampMs):O} is not finite or too far in the future");
                    break;
            }
        }
    }

    public void OnError(in LineProtocolSyntaxError syntaxError)
    {
        _rejected[(int)RejectionReason.Syntax]++;
        if (_kept.Count < MaxRejectionsKept)
        {
            var error = syntaxError.ToError();
            _kept.Add(new Rejection(error.Line, RejectionReason.Syntax, $"column {error.Column}: {error.Reason}"));
        }
    }

    private void Reject(long line, RejectionReason reason, string message)
    {
        _rejected[(int)reason]++;
        if (_kept.Count < MaxRejectionsKept)
        {
            _kept.Add(new Rejection(line, reason, message));
        }
    }
}
