using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Server.Cli;

/// <summary>What <c>monitoring baseline fit</c> was asked to do, after option parsing.</summary>
internal sealed record BaselineFitRequest(
    string Input,
    string Method,
    TemperatureUnit Unit,
    bool FitCooling,
    double ConfidenceLevel,
    double MaximumSlopePValue,
    double HddBase,
    double CddBase,
    bool Table);

/// <summary>
/// <c>monitoring baseline fit --input FILE.csv --method caltrack-daily|regression [--temperature-unit F|C]
/// [--no-cooling] [--confidence 0.9] [--format json|table] [--max-slope-p P] [--hdd-base T] [--cdd-base T]</c>:
/// fits a weather baseline to a CalTRACK daily table and prints the model, its statistics and, when the file has
/// reporting days, the savings with their uncertainty. Usage errors exit 1 (parser); unreadable or unusable input
/// exits 2 with one line on stderr.
/// </summary>
internal static class BaselineCommand
{
    public const string CalTrackDaily = "caltrack-daily";
    public const string Regression = "regression";

    public static Command Create()
    {
        var input = new Option<string>("--input", "-i")
        {
            Description = "CalTRACK daily table: date_utc,period,meter_value,temperature_mean,n_days_kept (period baseline|reporting).",
            HelpName = "FILE.csv",
            Required = true,
        };
        var method = new Option<string>("--method", "-m")
        {
            Description = "caltrack-daily: CalTRACK 2.0 daily change-point grid search; regression: ISO 50006 / IPMVP linear regression on HDD/CDD at fixed base temperatures.",
            Required = true,
        };
        method.AcceptOnlyFromAmong(CalTrackDaily, Regression);
        var unit = new Option<string>("--temperature-unit")
        {
            Description = "Unit of temperature_mean: F (CalTRACK's grid 30-90 °F) or C (the same grid in °C).",
            DefaultValueFactory = _ => "F",
        };
        unit.AcceptOnlyFromAmong("F", "C");
        var noCooling = new Option<bool>("--no-cooling")
        {
            Description = "Heating-only fuels (gas, heating oil): no cooling candidates.",
        };
        var confidence = new Option<double>("--confidence")
        {
            Description = "Two-sided confidence level of the savings uncertainty, in (0, 1).",
            HelpName = "LEVEL",
            DefaultValueFactory = _ => 0.9,
        };
        confidence.Validators.Add(result => RequireFraction(result, "--confidence", upperInclusive: false));
        var format = new Option<string>("--format")
        {
            Description = "json (one object, invariant numbers) or table (aligned text).",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "table");
        var maxSlopeP = new Option<double?>("--max-slope-p")
        {
            Description = "caltrack-daily only: largest p-value a degree-day slope may have. 1 (default) = CalTRACK 2.0, no test; 0.1 = the CalTRACK 1.0 rule.",
            HelpName = "P",
        };
        maxSlopeP.Validators.Add(result => RequireFraction(result, "--max-slope-p", upperInclusive: true));
        var hddBase = new Option<double?>("--hdd-base")
        {
            Description = "regression only: base temperature of HDD (default 65 °F, or 18 °C with --temperature-unit C).",
            HelpName = "T",
        };
        var cddBase = new Option<double?>("--cdd-base")
        {
            Description = "regression only: base temperature of CDD (default 65 °F, or 18 °C with --temperature-unit C).",
            HelpName = "T",
        };

        var fit = new Command("fit", "Fit a weather baseline to a daily table; print the model, its statistics and the reporting-period savings (bad input: exit 2).");
        foreach (var option in new Option[] { input, method, unit, noCooling, confidence, format, maxSlopeP, hddBase, cddBase })
        {
            fit.Options.Add(option);
        }

        fit.Validators.Add(result =>
        {
            // The raw token: GetValue would throw on a method name the option itself rejects.
            var chosen = result.GetResult(method)?.Tokens is [var token] ? token.Value : null;
            if (chosen == Regression && result.GetResult(maxSlopeP) is not null)
            {
                result.AddError("--max-slope-p applies to --method caltrack-daily only.");
            }

            if (chosen == CalTrackDaily && (result.GetResult(hddBase) is not null || result.GetResult(cddBase) is not null))
            {
                result.AddError("--hdd-base and --cdd-base apply to --method regression only (CalTRACK searches the balance points).");
            }
        });

        fit.SetAction(parse =>
        {
            var celsius = parse.GetValue(unit) == "C";
            var defaultBase = celsius ? 18.0 : 65.0;
            var request = new BaselineFitRequest(
                parse.GetValue(input)!,
                parse.GetValue(method)!,
                celsius ? TemperatureUnit.Celsius : TemperatureUnit.Fahrenheit,
                !parse.GetValue(noCooling),
                parse.GetValue(confidence),
                parse.GetValue(maxSlopeP) ?? 1.0,
                parse.GetValue(hddBase) ?? defaultBase,
                parse.GetValue(cddBase) ?? defaultBase,
                parse.GetValue(format) == "table");
            return Run(request, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });

        var baseline = new Command("baseline", "Weather-normalised baselines (CalTRACK 2.0 daily, ISO 50006 regression) and their savings.");
        baseline.Subcommands.Add(fit);
        return baseline;
    }

    /// <summary>Reads the table, fits and prints; every input problem becomes one line on stderr and exit 2.</summary>
    internal static int Run(BaselineFitRequest request, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            if (!File.Exists(request.Input))
            {
                throw new InputException($"{request.Input}: no such file.");
            }

            var data = CalTrackCsv.ReadFile(request.Input);
            if (request.Method == CalTrackDaily)
            {
                var report = BaselineFit.CalTrack(data, request);
                if (request.Table)
                {
                    BaselineReportWriter.WriteTable(output, request.Input, report);
                }
                else
                {
                    BaselineReportWriter.WriteJson(output, report);
                }
            }
            else
            {
                var report = BaselineFit.Regression(data, request);
                if (request.Table)
                {
                    BaselineReportWriter.WriteTable(output, request.Input, report);
                }
                else
                {
                    BaselineReportWriter.WriteJson(output, report);
                }
            }

            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is InputException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // InvalidDataException messages already read "file:line: reason."; I/O ones name the file.
            error.WriteLine(e.Message);
            return ExitCodes.InvalidConfiguration;
        }
    }

    /// <summary>
    /// Checks the typed number only: defaults are valid, and a token that is not a number is already reported by the
    /// parser (reading the value here would throw instead).
    /// </summary>
    private static void RequireFraction(OptionResult result, string name, bool upperInclusive)
    {
        if (result.Tokens is not [var token] || !double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return;
        }

        if (!(value > 0.0) || value > 1.0 || (!upperInclusive && value >= 1.0))
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be in (0, 1{(upperInclusive ? "]" : ")")}; got {value}."));
        }
    }
}

/// <summary>An input the command cannot use (missing file, too few days, nothing fittable): its message is the whole report.</summary>
internal sealed class InputException(string message) : Exception(message);
