using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Monitoring.Aggregation;
using Monitoring.Domain.Registry;
using Monitoring.Ingestion;
using Monitoring.LineProtocol;

namespace Monitoring.Server.Cli;

/// <summary>
/// <c>monitoring replay</c>: the aggregation code path in batch mode over a line-protocol file or stdin, writing the
/// interval table to a folder. The same parser, router and aggregator as <c>serve</c>.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var registry = new Option<DirectoryInfo>("--registry", "-r") { Description = "Registry folder.", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "Line-protocol file, or - for standard input.", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Only readings at or after this time (ISO 8601)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Only readings before this time (ISO 8601)." };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for intervals.csv (or intervals.jsonl).", Required = true };
        var format = new Option<string>("--format") { Description = "csv or json (JSON lines).", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var precision = new Option<string>("--precision") { Description = "Timestamp precision of the input: ns, us, ms or s.", DefaultValueFactory = _ => "ns" };
        precision.AcceptOnlyFromAmong("ns", "us", "ms", "s");
        var lateness = new Option<TimeSpan>("--lateness") { Description = "Allowed lateness of readings (e.g. 00:15:00).", DefaultValueFactory = _ => TimeSpan.FromMinutes(15) };

        var replay = new Command("replay", "Aggregate a line-protocol file (or stdin) into interval tables, as serve would.");
        foreach (var option in new Option[] { registry, input, from, to, output, format, precision, lateness })
        {
            replay.Options.Add(option);
        }

        replay.SetAction((parse, cancellationToken) => RunAsync(
            new ReplayRequest(
                parse.GetValue(registry)!.ToString(),
                parse.GetValue(input)!,
                parse.GetValue(from),
                parse.GetValue(to),
                parse.GetValue(output)!.ToString(),
                parse.GetValue(format) == "json",
                LineProtocolTime.TryParsePrecision(parse.GetValue(precision), out var p) ? p : LineProtocolPrecision.Nanoseconds,
                parse.GetValue(lateness)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            cancellationToken));
        return replay;
    }

    internal sealed record ReplayRequest(
        string Registry, string Input, DateTimeOffset? From, DateTimeOffset? To, string Out, bool Json, LineProtocolPrecision Precision, TimeSpan Lateness);

    internal static async Task<int> RunAsync(ReplayRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var loaded = SiteRegistryLoader.LoadDirectory(request.Registry);
        if (loaded.Registry is null)
        {
            foreach (var problem in loaded.Errors)
            {
                error.WriteLine(problem.ToString());
            }

            return ExitCodes.InvalidConfiguration;
        }

        if (request.Input != "-" && !File.Exists(request.Input))
        {
            error.WriteLine($"{request.Input}: no such file");
            return ExitCodes.InvalidConfiguration;
        }

        Directory.CreateDirectory(request.Out);
        var catalog = SeriesCatalog.Create(loaded.Registry);
        var path = Path.Combine(request.Out, request.Json ? "intervals.jsonl" : "intervals.csv");
        using var sink = new IntervalFileSink(path, request.Json);
        var aggregator = new IntervalAggregator(catalog, sink, new AggregatorOptions { AllowedLateness = request.Lateness });
        var router = new PointRouter(catalog, aggregator)
        {
            FromUnixMs = request.From?.ToUnixTimeMilliseconds() ?? long.MinValue,
            ToUnixMs = request.To?.ToUnixTimeMilliseconds() ?? long.MaxValue,
        };

        var clock = Stopwatch.StartNew();
        await using var stream = request.Input == "-" ? Console.OpenStandardInput() : File.OpenRead(request.Input);
        using var progress = ProgressReporter.Start(stream, error);
        var reader = new LineProtocolBodyReader(new LineProtocolReaderOptions { MaxBodyBytes = long.MaxValue, MaxErrors = 0 });
        var result = await reader.ReadAsync(stream, router, request.Precision, LineProtocolTime.DefaultTimestamp(DateTimeOffset.UtcNow, request.Precision), cancellationToken).ConfigureAwait(false);
        aggregator.CloseAll();
        progress.Dispose();

        foreach (var rejection in router.KeptRejections)
        {
            error.WriteLine($"{request.Input}:{rejection}");
        }

        var rejectedByReason = Enum.GetValues<RejectionReason>()
            .Where(r => router.Rejected(r) > 0)
            .Select(r => $"{r} {router.Rejected(r).ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay {request.Input}: {result.Lines} lines in {clock.Elapsed.TotalSeconds:0.00} s ({result.Lines / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):0} lines/s); "
            + $"{router.Accepted} readings aggregated ({router.Corrections} as corrections), {router.Duplicates} duplicates, {router.Skipped} outside --from/--to, "
            + $"{router.RejectedTotal} rejected{(router.RejectedTotal > 0 ? " (" + string.Join(", ", rejectedByReason) + ")" : string.Empty)}; "
            + $"{sink.Written} intervals written to {path}"));
        return ExitCodes.Ok;
    }

    /// <summary>A progress line on stderr while a file is read, when stderr is a terminal.</summary>
    private sealed class ProgressReporter : IDisposable
    {
        private readonly Timer? _timer;
        private readonly TextWriter _error;

        private ProgressReporter(Stream stream, TextWriter error)
        {
            _error = error;
            if (stream.CanSeek && !Console.IsErrorRedirected && ReferenceEquals(error, Console.Error))
            {
                var length = Math.Max(1, stream.Length);
                _timer = new Timer(_ => error.Write(string.Create(CultureInfo.InvariantCulture, $"\rreplay: {100.0 * stream.Position / length:0.0} %")), null, 250, 250);
            }
        }

        public static ProgressReporter Start(Stream stream, TextWriter error) => new(stream, error);

        public void Dispose()
        {
            if (_timer is not null)
            {
                _timer.Dispose();
                _error.Write("\r");
            }
        }
    }
}
