using Monitoring.Testing;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MathNet.Numerics.Distributions;
using Monitoring.Server.Cli;

namespace Monitoring.Server.Tests;

/// <summary>
/// <c>monitoring baseline fit</c> run in-process on the CalTRACK sample meters. Beyond the reference numbers, every
/// JSON answer is checked against figures re-derived here from the printed coefficients with plain loops over the
/// CSV rows, read without the product's CSV reader.
/// </summary>
public sealed class BaselineCommandTests : IDisposable
{
    private const string ElectricityCddHdd = "il-electricity-cdd-hdd-daily_design.csv";
    private const string ElectricityCddOnly = "il-electricity-cdd-only-daily_design.csv";
    private const string GasHddOnly = "il-gas-hdd-only-daily_design.csv";
    private const string GasIntercept = "il-gas-intercept-only-daily_design.csv";
    private const string Header = "date_utc,period,meter_value,temperature_mean,n_days_kept";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baseline-test-" + Guid.NewGuid().ToString("N"));

    public BaselineCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>One day of the sample file, parsed here with string.Split and double.Parse.</summary>
    private sealed record Row(string Date, bool Baseline, double Usage, double Temperature);

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = MonitoringCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static JsonElement RunJson(params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal(string.Empty, error);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    private static Row[] ReadRows(string path) =>
    [
        .. File.ReadAllLines(path)[1..] // after the header
            .Select(line => line.Split(','))
            .Where(f => f[2].Length > 0 && f[3].Length > 0 && f[4].Length > 0 && double.Parse(f[4], CultureInfo.InvariantCulture) >= 0.5)
            .Select(f => new Row(f[0], f[1] == "baseline", double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture))),
    ];

    private static double? Number(JsonElement root, string name) =>
        root.GetProperty(name) is { ValueKind: JsonValueKind.Null } ? null : root.GetProperty(name).GetDouble();

    private static double Required(JsonElement root, string name) =>
        Number(root, name) ?? throw new Xunit.Sdk.XunitException($"'{name}' is null.");

    private static void Close(double expected, double actual, double relative = 1e-9) =>
        Assert.True(
            Math.Abs(expected - actual) <= relative * Math.Max(1.0, Math.Abs(expected)),
            string.Create(CultureInfo.InvariantCulture, $"Expected {expected:R}, got {actual:R}."));

    /// <summary>Equal to the decimals methods.md states (half a unit of the last decimal).</summary>
    private static void Decimals(double expected, double actual, int decimals) =>
        Assert.True(
            Math.Abs(expected - actual) <= 0.5 * Math.Pow(10, -decimals) * (1 + 1e-9),
            string.Create(CultureInfo.InvariantCulture, $"Expected {expected} to {decimals} decimals, got {actual:R}."));

    [Theory]
    [InlineData(ElectricityCddHdd, false, "cdd_hdd", 2014)]
    [InlineData(ElectricityCddOnly, false, "cdd_only", 2014)]
    [InlineData(GasHddOnly, true, "hdd_only", 62)]
    [InlineData(GasIntercept, true, "hdd_only", 62)]
    public void Caltrack_daily_json_agrees_with_figures_recomputed_from_the_printed_coefficients(string file, bool noCooling, string modelType, int candidates)
    {
        var path = SharedData.CalTrackFile(file);
        string[] args = ["baseline", "fit", "--input", path, "--method", "caltrack-daily"];
        var json = RunJson(noCooling ? [.. args, "--no-cooling"] : args);

        Assert.Equal(modelType, json.GetProperty("model_type").GetString());
        Assert.Equal(candidates, json.GetProperty("n_candidates").GetInt32());
        Assert.Equal("F", json.GetProperty("temperature_unit").GetString());
        Assert.Equal(0.9, Required(json, "confidence_level"));
        var intercept = Required(json, "intercept");
        var betaHdd = Number(json, "beta_hdd");
        var betaCdd = Number(json, "beta_cdd");
        var heating = Number(json, "heating_balance_point");
        var cooling = Number(json, "cooling_balance_point");
        Assert.Equal(modelType is "hdd_only" or "cdd_hdd", betaHdd is not null);
        Assert.Equal(betaHdd is not null, heating is not null);
        Assert.Equal(modelType is "cdd_only" or "cdd_hdd", betaCdd is not null);
        Assert.Equal(betaCdd is not null, cooling is not null);
        Assert.True(intercept >= 0 && (betaHdd ?? 0) >= 0 && (betaCdd ?? 0) >= 0, "CalTRACK keeps only non-negative coefficients.");
        Assert.True(heating is null || cooling is null || heating <= cooling);

        double Predict(double t) => intercept + ((betaHdd ?? 0) * Math.Max((heating ?? 0) - t, 0)) + ((betaCdd ?? 0) * Math.Max(t - (cooling ?? 0), 0));
        var rows = ReadRows(path);
        var baseline = rows.Where(r => r.Baseline).ToArray();
        var reporting = rows.Where(r => !r.Baseline).ToArray();
        var terms = (betaHdd is null ? 0 : 1) + (betaCdd is null ? 0 : 1);
        double mean = 0, sse = 0, sst = 0;
        foreach (var day in baseline)
        {
            mean += day.Usage;
        }

        mean /= baseline.Length;
        foreach (var day in baseline)
        {
            var e = day.Usage - Predict(day.Temperature);
            sse += e * e;
            sst += (day.Usage - mean) * (day.Usage - mean);
        }

        var n = baseline.Length;
        var adjusted = terms == 0 ? 0.0 : 1 - (sse / sst * (n - 1) / (n - terms - 1));
        Assert.Equal(n, json.GetProperty("baseline_days").GetInt32());
        Close(adjusted, Required(json, "r_squared_adj"));
        Close(Math.Sqrt(sse / (n - terms)) / mean, Required(json, "cvrmse_adj"));

        double observed = 0, counterfactual = 0;
        foreach (var day in reporting)
        {
            observed += day.Usage;
            counterfactual += Predict(day.Temperature);
        }

        Assert.Equal(reporting.Length, json.GetProperty("reporting_days").GetInt32());
        Close(observed, Required(json, "reporting_observed"), 1e-12);
        Close(counterfactual, Required(json, "counterfactual"));
        Close(counterfactual - observed, Required(json, "savings"));
        Assert.True(Required(json, "fsu_band") > 0);
    }

    [Fact]
    public void Vector_C_gas_heating_only()
    {
        var json = RunJson("baseline", "fit", "--input", SharedData.CalTrackFile(GasHddOnly), "--method", "caltrack-daily", "--no-cooling");

        Assert.Equal("hdd_only", json.GetProperty("model_type").GetString());
        Assert.Equal(60.0, Required(json, "heating_balance_point"));
        Assert.Null(Number(json, "cooling_balance_point"));
        Assert.Null(Number(json, "beta_cdd"));
        Decimals(0.772121, Required(json, "intercept"), 6);
        Decimals(0.218483, Required(json, "beta_hdd"), 6);
        Decimals(0.914533, Required(json, "r_squared_adj"), 6);
        Decimals(0.303956, Required(json, "cvrmse_adj"), 6);
        Decimals(-0.032992, Required(json, "autocorr_resid"), 6);
        Assert.Equal(62, json.GetProperty("n_candidates").GetInt32());
        Assert.Equal(46, json.GetProperty("n_qualified").GetInt32());
        Assert.Equal(365, json.GetProperty("baseline_days").GetInt32());
        Assert.Equal(365, json.GetProperty("reporting_days").GetInt32());
        Decimals(960.22, Required(json, "reporting_observed"), 2);
        Decimals(1043.8665, Required(json, "counterfactual"), 4);
        Decimals(83.6465, Required(json, "savings"), 4);
        Decimals(37.6788, Required(json, "fsu_band"), 4);
        Assert.Equal(0.9, Required(json, "confidence_level"));
        Assert.Empty(json.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public void Json_has_every_documented_field_in_order()
    {
        var json = RunJson("baseline", "fit", "--input", SharedData.CalTrackFile(GasHddOnly), "--method", "caltrack-daily", "--no-cooling");

        string[] expected =
        [
            "method", "model_type", "intercept", "beta_hdd", "beta_cdd", "heating_balance_point", "cooling_balance_point", "temperature_unit",
            "r_squared_adj", "rmse_adj", "cvrmse_adj", "autocorr_resid", "n_candidates", "n_qualified", "fit_cooling", "max_slope_p",
            "baseline_days", "missing_baseline_days", "baseline_mean_usage", "reporting_days", "reporting_observed", "counterfactual",
            "savings", "fsu_band", "confidence_level", "warnings",
        ];
        Assert.Equal(expected, json.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Weather_independent_meter_is_hdd_only_under_CalTrack_2_and_intercept_only_under_the_1_0_slope_test()
    {
        var path = SharedData.CalTrackFile(GasIntercept);
        var v2 = RunJson("baseline", "fit", "--input", path, "--method", "caltrack-daily", "--no-cooling");
        var v1 = RunJson("baseline", "fit", "--input", path, "--method", "caltrack-daily", "--no-cooling", "--max-slope-p", "0.1");

        Assert.Equal("hdd_only", v2.GetProperty("model_type").GetString());
        Decimals(0.0008, Required(v2, "r_squared_adj"), 4);
        Assert.Equal(1.0, Required(v2, "max_slope_p"));
        Assert.Equal("intercept_only", v1.GetProperty("model_type").GetString());
        Assert.Equal(0.1, Required(v1, "max_slope_p"));
        Assert.Equal(0.0, Required(v1, "r_squared_adj"));
        Assert.Equal(1, v1.GetProperty("n_qualified").GetInt32());
        Assert.Null(Number(v1, "beta_hdd"));
        Assert.Null(Number(v1, "heating_balance_point"));
        var baseline = ReadRows(path).Where(r => r.Baseline).ToArray();
        Close(baseline.Sum(r => r.Usage) / baseline.Length, Required(v1, "intercept"));
    }

    [Fact]
    public void Without_reporting_days_the_reporting_fields_are_null()
    {
        var input = Path.Combine(_folder, "baseline-only.csv");
        File.WriteAllLines(input, File.ReadLines(SharedData.CalTrackFile(GasHddOnly)).Where(l => !l.Contains(",reporting,", StringComparison.Ordinal)));

        var json = RunJson("baseline", "fit", "--input", input, "--method", "caltrack-daily", "--no-cooling");

        Assert.Equal("hdd_only", json.GetProperty("model_type").GetString());
        Decimals(0.218483, Required(json, "beta_hdd"), 6);
        Assert.Equal(0, json.GetProperty("reporting_days").GetInt32());
        foreach (var field in new[] { "reporting_observed", "counterfactual", "savings", "fsu_band" })
        {
            Assert.Equal(JsonValueKind.Null, json.GetProperty(field).ValueKind);
        }
    }

    [Fact]
    public void Celsius_input_gives_the_same_model_with_balance_points_in_celsius()
    {
        var input = Path.Combine(_folder, "celsius.csv");
        File.WriteAllLines(input, File.ReadLines(SharedData.CalTrackFile(GasHddOnly)).Select((line, i) =>
        {
            var f = line.Split(',');
            if (i > 0 && f[3].Length > 0)
            {
                f[3] = ((double.Parse(f[3], CultureInfo.InvariantCulture) - 32) * 5 / 9).ToString("R", CultureInfo.InvariantCulture);
            }

            return string.Join(',', f);
        }));

        var json = RunJson("baseline", "fit", "--input", input, "--method", "caltrack-daily", "--no-cooling", "--temperature-unit", "C");

        Assert.Equal("hdd_only", json.GetProperty("model_type").GetString());
        Assert.Equal("C", json.GetProperty("temperature_unit").GetString());
        Close((60 - 32) * 5 / 9.0, Required(json, "heating_balance_point"), 1e-12);
        Close(0.218483 * 9 / 5, Required(json, "beta_hdd"), 1e-6);
        Decimals(83.6465, Required(json, "savings"), 4);
    }

    [Fact]
    public void Regression_on_heating_degree_days_agrees_with_a_closed_form_fit()
    {
        var path = SharedData.CalTrackFile(GasHddOnly);
        var json = RunJson("baseline", "fit", "--input", path, "--method", "regression", "--no-cooling");

        Assert.Equal("regression", json.GetProperty("model_type").GetString());
        Assert.True(json.GetProperty("valid").GetBoolean());
        Assert.Equal(["hdd"], json.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(65.0, Required(json, "hdd_base"));
        Assert.Null(Number(json, "cdd_base"));

        // y = b0 + b1·HDD65 by the textbook formulas.
        var rows = ReadRows(path);
        var baseline = rows.Where(r => r.Baseline).ToArray();
        var x = baseline.Select(r => Math.Max(65 - r.Temperature, 0)).ToArray();
        var y = baseline.Select(r => r.Usage).ToArray();
        var n = y.Length;
        double xMean = x.Average(), yMean = y.Average(), sxx = 0, sxy = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (x[i] - xMean) * (x[i] - xMean);
            sxy += (x[i] - xMean) * (y[i] - yMean);
            syy += (y[i] - yMean) * (y[i] - yMean);
        }

        var b1 = sxy / sxx;
        var b0 = yMean - (b1 * xMean);
        var sse = 0.0;
        for (var i = 0; i < n; i++)
        {
            var e = y[i] - b0 - (b1 * x[i]);
            sse += e * e;
        }

        var coefficients = json.GetProperty("coefficients").EnumerateArray().ToArray();
        Assert.Equal(["intercept", "hdd"], coefficients.Select(c => c.GetProperty("name").GetString()));
        Close(b0, Required(coefficients[0], "estimate"));
        Close(b1, Required(coefficients[1], "estimate"));
        Close(Math.Sqrt(sse / (n - 2) / sxx), Required(coefficients[1], "std_error"));
        Close(b1 / Math.Sqrt(sse / (n - 2) / sxx), Required(coefficients[1], "t"));
        Close(1 - (sse / syy), Required(json, "r_squared"));
        Close(1 - (sse / (n - 2) / (syy / (n - 1))), Required(json, "r_squared_adj"));
        Close(Math.Sqrt(sse / (n - 2)) / yMean, Required(json, "cvrmse"));
        Assert.True(Math.Abs(Required(json, "nmbe")) < 1e-12);
        Assert.True(Required(json, "f_test_p") < 1e-100);

        string[] checks = ["f_test_p", "variable_p:hdd", "best_variable_p", "r_squared", "reporting_range:hdd"];
        Assert.Equal(checks, json.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.All(json.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean()));
        Assert.Equal("< 0.1", json.GetProperty("checks")[0].GetProperty("criterion").GetString());

        var reporting = rows.Where(r => !r.Baseline).ToArray();
        double expected = 0, actual = 0;
        foreach (var day in reporting)
        {
            expected += b0 + (b1 * Math.Max(65 - day.Temperature, 0));
            actual += day.Usage;
        }

        Assert.Equal(reporting.Length, json.GetProperty("reporting_days").GetInt32());
        Close(expected, Required(json, "adjusted_baseline_total"));
        Close(actual, Required(json, "actual_total"), 1e-12);
        Close(expected - actual, Required(json, "savings"));
        Close((expected - actual) / expected, Required(json, "improvement"));

        // ASHRAE Guideline 14: ΔS/S = 1.26 · t(0.95, n − 2) · CV · sqrt((n/n')(1 + 2/n')(1/m)) / F.
        var residuals = x.Select((v, i) => y[i] - b0 - (b1 * v)).ToArray();
        var rho = Lag1(residuals);
        var nPrime = n * (1 - rho) / (1 + rho);
        var t = StudentT.InvCDF(0, 1, n - 2, 0.95);
        var fsu = 1.26 * t * (Math.Sqrt(sse / (n - 2)) / yMean) * Math.Sqrt(n / nPrime * (1 + (2 / nPrime)) / reporting.Length) / ((expected - actual) / expected);
        Close(rho, Required(json, "autocorr_resid"));
        Close(fsu, Required(json, "fractional_savings_uncertainty"), 1e-8);
        Close(fsu * (expected - actual), Required(json, "savings_uncertainty"), 1e-8);
        Assert.Equal("ashrae_g14", json.GetProperty("fsu_method").GetString());
        Assert.Equal(0.9, Required(json, "confidence_level"));
    }

    [Fact]
    public void Regression_with_cooling_tries_every_subset_and_keeps_the_valid_one()
    {
        var json = RunJson("baseline", "fit", "--input", SharedData.CalTrackFile(ElectricityCddHdd), "--method", "regression");

        Assert.True(json.GetProperty("valid").GetBoolean());
        Assert.Equal(["hdd", "cdd"], json.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));
        var candidates = json.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(["hdd", "cdd", "hdd+cdd"], candidates.Select(c => string.Join('+', c.GetProperty("variables").EnumerateArray().Select(v => v.GetString()))));
        Assert.Equal([false, false, true], candidates.Select(c => c.GetProperty("valid").GetBoolean()));
        Assert.Equal(Required(json, "r_squared_adj"), Required(candidates[2], "r_squared_adj"));
        Assert.Equal(7, json.GetProperty("checks").GetArrayLength());
        Assert.Equal(3, json.GetProperty("coefficients").GetArrayLength());
        Assert.True(Required(json, "savings") > 0);
    }

    [Fact]
    public void Regression_without_a_valid_candidate_prints_the_best_one_as_invalid_and_exits_0()
    {
        var json = RunJson("baseline", "fit", "--input", SharedData.CalTrackFile(GasIntercept), "--method", "regression", "--no-cooling");

        Assert.False(json.GetProperty("valid").GetBoolean());
        Assert.Equal(["hdd"], json.GetProperty("variables").EnumerateArray().Select(v => v.GetString()));
        var failed = json.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean()).Select(c => c.GetProperty("name").GetString());
        Assert.Equal(["f_test_p", "variable_p:hdd", "best_variable_p", "r_squared"], failed);
        Assert.True(Required(json, "r_squared") < 0.01);
    }

    [Fact]
    public void Regression_in_celsius_uses_18_degree_bases_unless_given()
    {
        var path = SharedData.CalTrackFile(ElectricityCddHdd);
        var defaults = RunJson("baseline", "fit", "--input", path, "--method", "regression", "--temperature-unit", "C");
        var given = RunJson("baseline", "fit", "--input", path, "--method", "regression", "--hdd-base", "55", "--cdd-base", "70");

        Assert.Equal(18.0, Required(defaults, "hdd_base"));
        Assert.Equal(18.0, Required(defaults, "cdd_base"));
        Assert.Equal(55.0, Required(given, "hdd_base"));
        Assert.Equal(70.0, Required(given, "cdd_base"));
    }

    [Fact]
    public void Table_format_prints_aligned_figures()
    {
        var (exit, output, error) = Run("baseline", "fit", "--input", SharedData.CalTrackFile(GasHddOnly), "--method", "caltrack-daily", "--no-cooling", "--format", "table");

        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, error);
        Assert.StartsWith("CalTRACK 2.0 daily baseline of ", output, StringComparison.Ordinal);
        var lines = output.Split(Environment.NewLine);
        Assert.Contains("  model type                hdd_only", lines);
        Assert.Contains("  heating balance point     60 °F", lines);
        Assert.Contains("  beta CDD                  n/a", lines);
        Assert.Contains("  R² adj                    0.9145328", lines);
        Assert.Contains("  candidates (qualified)    62 (46)", lines);
        Assert.Contains("  savings              83.64649", lines);
        Assert.Contains("  savings band (90 %)  ± 37.67878", lines);
    }

    [Fact]
    public void Regression_table_lists_coefficients_checks_and_candidates()
    {
        var (exit, output, _) = Run("baseline", "fit", "--input", SharedData.CalTrackFile(ElectricityCddHdd), "--method", "regression", "--format", "table");

        Assert.Equal(0, exit);
        Assert.Contains(": valid" + Environment.NewLine, output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  name +estimate +std error +t +p$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  cdd +2\.479822 +0\.08089723 +30\.65398 +1\.242804E-102$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  r_squared +yes +0\.7507845 +≥ 0\.5$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  hdd\+cdd +yes +0\.7494076$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  savings uncertainty \(90 %, G14\) +± [0-9.]+ \(FSU [0-9.]+ %\)$", RegexOptions.Multiline), output);
    }

    [Fact]
    public void Missing_file_is_one_line_on_stderr_and_exit_2()
    {
        var missing = Path.Combine(_folder, "nope.csv");

        var (exit, output, error) = Run("baseline", "fit", "--input", missing, "--method", "caltrack-daily");

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal($"{missing}: no such file.{Environment.NewLine}", error);
    }

    [Theory]
    [InlineData("2020-01-01,baseline,1,30,1\n2020-01-02,baseline,x,30,1\n", ":3: meter_value 'x' is not a finite number.")]
    [InlineData("2020-01-01,baseline,1,30\n", ":2: 4 fields where the header has 5.")]
    [InlineData("2020-01-01,later,1,30,1\n", ":2: period 'later' is neither baseline nor reporting.")]
    [InlineData("01/02/2020,baseline,1,30,1\n", ":2: date_utc '01/02/2020' is not a date (yyyy-MM-dd or ISO 8601).")]
    public void Bad_csv_reports_the_line_and_exits_2(string rows, string expected)
    {
        var input = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(input, Header + "\n" + rows);

        var (exit, output, error) = Run("baseline", "fit", "--input", input, "--method", "caltrack-daily");

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal($"{input}{expected}{Environment.NewLine}", error);
    }

    [Fact]
    public void Missing_column_is_reported_on_line_1()
    {
        var input = Path.Combine(_folder, "columns.csv");
        File.WriteAllText(input, "date_utc,period,meter_value\n2020-01-01,baseline,1\n");

        var (exit, _, error) = Run("baseline", "fit", "--input", input, "--method", "regression");

        Assert.Equal(2, exit);
        Assert.StartsWith($"{input}:1: missing column(s) temperature_mean, n_days_kept", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caltrack-daily", "the baseline has 2 day(s) with usage and temperature; the CalTRACK daily method needs at least 3 (and asks for 365).")]
    [InlineData("regression", "the baseline has 2 day(s) with usage and temperature; a regression on hdd and cdd needs at least 4.")]
    public void Too_few_days_exit_2(string method, string expected)
    {
        var input = Path.Combine(_folder, "short.csv");
        File.WriteAllText(input, Header + "\n2020-01-01,baseline,1,30,1\n2020-01-02,baseline,2,31,1\n2020-01-03,baseline,,,\n2020-01-04,reporting,2,31,1\n");

        var (exit, output, error) = Run("baseline", "fit", "--input", input, "--method", method);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal($"{input}: {expected}{Environment.NewLine}", error);
    }

    [Fact]
    public void Days_out_of_order_exit_2()
    {
        var input = Path.Combine(_folder, "order.csv");
        File.WriteAllText(input, Header + "\n2020-01-02,baseline,1,30,1\n2020-01-01,baseline,2,31,1\n2020-01-03,baseline,2,31,1\n");

        var (exit, _, error) = Run("baseline", "fit", "--input", input, "--method", "caltrack-daily");

        Assert.Equal(2, exit);
        Assert.Equal($"{input}: baseline day 2020-01-01 follows 2020-01-02; days must be in strictly ascending order, one row per day.{Environment.NewLine}", error);
    }

    [Fact]
    public void Regression_with_no_fittable_candidate_exits_2_with_the_reasons()
    {
        // Every day is warmer than 65 °F: HDD is always 0, so the design is singular.
        var input = Path.Combine(_folder, "hot.csv");
        File.WriteAllLines(input, [Header, .. Enumerable.Range(1, 20).Select(d => string.Create(CultureInfo.InvariantCulture, $"2020-07-{d:00},baseline,{d % 3 + 5},80,1"))]);

        var (exit, output, error) = Run("baseline", "fit", "--input", input, "--method", "regression", "--no-cooling");

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal($"{input}: no regression candidate could be fitted (hdd: The design matrix is singular: 'hdd' is constant or a linear combination of the columns before it.).{Environment.NewLine}", error);
    }

    [Theory]
    [InlineData("--method", "frobnicate")]
    [InlineData("--method", "regression", "--max-slope-p", "0.1")]
    [InlineData("--method", "caltrack-daily", "--hdd-base", "60")]
    [InlineData("--method", "caltrack-daily", "--confidence", "1")]
    [InlineData("--method", "caltrack-daily", "--confidence", "abc")]
    [InlineData("--method", "caltrack-daily", "--max-slope-p", "0")]
    [InlineData("--method", "caltrack-daily", "--format", "xml")]
    [InlineData("--method", "caltrack-daily", "--temperature-unit", "K")]
    public void Option_mistakes_are_usage_errors_exit_1(params string[] options)
    {
        var (exit, output, error) = Run(["baseline", "fit", "--input", SharedData.CalTrackFile(GasHddOnly), .. options]);

        Assert.Equal(1, exit);
        Assert.DoesNotContain("\"model_type\"", output, StringComparison.Ordinal);
        Assert.NotEqual(string.Empty, error);
    }

    private static double Lag1(double[] e)
    {
        var a = e[..^1];
        var b = e[1..];
        double ma = a.Average(), mb = b.Average(), cov = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }

        return cov / Math.Sqrt(va * vb);
    }
}
