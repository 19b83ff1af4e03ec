using Monitoring.Testing;
using System.Text.Json;
using System.Text.Json.Serialization;
using Monitoring.Kpi.CalTrack;

namespace Monitoring.Kpi.Tests;

public sealed class CalTrackTests
{
    private const string GasHddOnly = "il-gas-hdd-only-daily_design.csv";
    private const string GasIntercept = "il-gas-intercept-only-daily_design.csv";

    private static readonly JsonSerializerOptions SnakeCase = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static CalTrackDataset Load(string fileName) => CalTrackCsv.ReadFile(SharedData.CalTrackFile(fileName));

    [Fact]
    public void Vector_C_gas_heating_only_without_cooling_candidates()
    {
        var data = Load(GasHddOnly);
        var model = CalTrackDailyModel.Fit(data.Baseline, CalTrackOptions.Default with { FitCooling = false });
        var savings = model.Savings(data.Reporting);

        Assert.Equal(365, model.BaselineDays);
        Assert.Equal(0, model.MissingBaselineDays);
        Assert.Equal(CalTrackModelType.HddOnly, model.ModelType);
        Assert.Equal(60.0, model.HeatingBalancePoint);
        Assert.Null(model.CoolingBalancePoint);
        Approx.Decimals(0.772121, model.Intercept, 6);
        Approx.Decimals(0.218483, model.BetaHdd, 6);
        Approx.Decimals(0.914533, model.RSquaredAdj, 6);
        Approx.Decimals(0.303956, model.CvrmseAdj, 6);
        Approx.Decimals(-0.032992, model.AutocorrResid, 6);
        Assert.Equal(62, model.NCandidates);
        Assert.Equal(46, model.NQualified);
        Assert.Equal(365, savings.ReportingDays);
        Approx.Decimals(960.22, savings.ReportingObserved, 2);
        Approx.Decimals(1043.8665, savings.Counterfactual, 4);
        Approx.Decimals(83.6465, savings.Savings, 4);
        Approx.Decimals(37.6788, savings.FsuBand, 4);
        Assert.Equal(0.90, savings.ConfidenceLevel);
    }

    /// <summary>
    /// The four sample meters. Under CalTRACK 2.0 (no slope p-value test) the weather-independent gas meter still
    /// picks a degree-day model with R²adj ≈ 0.001–0.009, exactly as eemeter would; CalTRACK 1.0's p ≤ 0.1 keeps it
    /// on intercept-only. Gas meters are fitted without cooling, as CalTRACK prescribes for heating-only fuels.
    /// </summary>
    [Theory]
    [InlineData("il-electricity-cdd-hdd-daily_design.csv", true, 1.0, CalTrackModelType.CddHdd)]
    [InlineData("il-electricity-cdd-only-daily_design.csv", true, 1.0, CalTrackModelType.CddOnly)]
    [InlineData(GasHddOnly, false, 1.0, CalTrackModelType.HddOnly)]
    [InlineData(GasHddOnly, true, 1.0, CalTrackModelType.HddOnly)]
    [InlineData(GasIntercept, false, 0.1, CalTrackModelType.InterceptOnly)]
    [InlineData(GasIntercept, false, 1.0, CalTrackModelType.HddOnly)]
    [InlineData(GasIntercept, true, 1.0, CalTrackModelType.CddHdd)]
    [InlineData(GasIntercept, true, 0.1, CalTrackModelType.CddHdd)]
    public void Sample_meter_fit_agrees_with_an_independent_brute_force_fit(string fileName, bool fitCooling, double maximumSlopePValue, CalTrackModelType expectedType)
    {
        var data = Load(fileName);
        var model = CalTrackDailyModel.Fit(data.Baseline, CalTrackOptions.Default with { FitCooling = fitCooling, MaximumSlopePValue = maximumSlopePValue });
        var savings = model.Savings(data.Reporting);
        var reference = ReferenceCalTrack.Fit(data.Baseline, fitCooling, maximumSlopePValue);
        var best = reference.Best;

        Assert.Equal(expectedType, model.ModelType);
        Assert.Equal(best.Type, model.ModelType);
        Assert.Equal(best.HeatingBalancePoint, model.HeatingBalancePoint);
        Assert.Equal(best.CoolingBalancePoint, model.CoolingBalancePoint);
        Assert.Equal(fitCooling ? 2014 : 62, model.NCandidates);
        Assert.Equal(reference.Candidates, model.NCandidates);
        Assert.Equal(reference.Qualified, model.NQualified);
        Approx.Relative(best.Intercept, model.Intercept, 1e-9);
        Approx.Relative(best.BetaHdd, model.BetaHdd, 1e-9);
        Approx.Relative(best.BetaCdd, model.BetaCdd, 1e-9);
        Approx.Relative(best.RSquaredAdj, model.RSquaredAdj, 1e-9);

        // Statistics re-derived from the library's coefficients with plain loops.
        var y = data.Baseline.Select(d => d.Usage).ToArray();
        var predicted = data.Baseline.Select(d => ReferenceCalTrack.Predict(best, d.Temperature)).ToArray();
        var residuals = y.Select((v, i) => v - predicted[i]).ToArray();
        var terms = best.Type switch { CalTrackModelType.InterceptOnly => 0, CalTrackModelType.CddHdd => 2, _ => 1 };
        var cvrmse = Math.Sqrt(residuals.Sum(e => e * e) / (y.Length - terms)) / y.Average();
        var rho = ReferenceCalTrack.Autocorrelation(residuals);
        Approx.Relative(cvrmse, model.CvrmseAdj, 1e-9);
        Approx.Relative(rho, model.AutocorrResid, 1e-9);
        if (terms > 0)
        {
            Approx.Relative(ReferenceCalTrack.AdjustedRSquared(y, predicted, terms), model.RSquaredAdj, 1e-9);
        }

        var observed = data.Reporting.Sum(d => d.Usage);
        var counterfactual = data.Reporting.Sum(d => ReferenceCalTrack.Predict(best, d.Temperature));
        Approx.Relative(observed, savings.ReportingObserved, 1e-12);
        Approx.Relative(counterfactual, savings.Counterfactual, 1e-9);
        Approx.Relative(counterfactual, model.Predict(data.Reporting).Sum(), 1e-9);
        Approx.Relative(counterfactual - observed, savings.Savings, 1e-9);
        Approx.Relative(ReferenceCalTrack.Band(y.Average(), y.Length, terms, cvrmse, rho, data.Reporting.Count), savings.FsuBand, 1e-9);
    }

    [Fact]
    public void Celsius_observations_give_the_same_model_on_the_equivalent_grid()
    {
        var data = Load("il-electricity-cdd-hdd-daily_design.csv");
        static DailyObservation[] ToCelsius(IEnumerable<DailyObservation> days) => [.. days.Select(d => d with { Temperature = (d.Temperature - 32) * 5 / 9 })];
        var fahrenheit = CalTrackDailyModel.Fit(data.Baseline);
        var celsius = CalTrackDailyModel.Fit(ToCelsius(data.Baseline), CalTrackOptions.Default with { Unit = TemperatureUnit.Celsius });

        Assert.Equal(fahrenheit.ModelType, celsius.ModelType);
        Approx.Relative((fahrenheit.HeatingBalancePoint!.Value - 32) * 5 / 9, celsius.HeatingBalancePoint!.Value, 1e-12);
        Approx.Relative((fahrenheit.CoolingBalancePoint!.Value - 32) * 5 / 9, celsius.CoolingBalancePoint!.Value, 1e-12);
        Approx.Relative(fahrenheit.BetaHdd * 9 / 5, celsius.BetaHdd, 1e-9);
        Approx.Relative(fahrenheit.RSquaredAdj, celsius.RSquaredAdj, 1e-9);
        Approx.Relative(fahrenheit.Savings(data.Reporting).Savings, celsius.Savings(ToCelsius(data.Reporting)).Savings, 1e-9);
    }

    [Fact]
    public void All_zero_degree_day_columns_leave_the_intercept_only_model()
    {
        var hot = Days(60, i => 5 + (i % 3), _ => 95.0);
        var model = CalTrackDailyModel.Fit(hot, CalTrackOptions.Default with { FitCooling = false });

        Assert.Equal(CalTrackModelType.InterceptOnly, model.ModelType);
        Assert.Equal(62, model.NCandidates);
        Assert.Equal(1, model.NQualified);
        Assert.Equal(0.0, model.RSquaredAdj);
        Approx.Relative(hot.Average(d => d.Usage), model.Intercept, 1e-12);
        Assert.Null(model.HeatingBalancePoint);
    }

    [Fact]
    public void Too_few_days_qualify_no_degree_day_term()
    {
        var week = Days(8, i => 10 + i, i => 20 + i);
        var model = CalTrackDailyModel.Fit(week);

        Assert.Equal(CalTrackModelType.InterceptOnly, model.ModelType);
        Assert.Equal(1, model.NQualified);
        Assert.Throws<ArgumentException>(() => CalTrackDailyModel.Fit(week.Take(2).ToArray()));
    }

    [Fact]
    public void Negative_intercept_candidates_are_disqualified()
    {
        // usage = −3 + 0.5·HDD(65): the true model has a negative intercept, so every candidate near it is out.
        var days = Days(200, _ => 0, i => 10 + (i % 50));
        days = [.. days.Select((d, i) => d with { Usage = -3 + (0.5 * Math.Max(65 - d.Temperature, 0)) + Math.Sin(i) })];
        var model = CalTrackDailyModel.Fit(days, CalTrackOptions.Default with { FitCooling = false });
        var reference = ReferenceCalTrack.Fit(days, fitCooling: false);

        Assert.True(model.Intercept >= 0);
        Assert.NotEqual(65.0, model.HeatingBalancePoint);
        Assert.True(model.NQualified < model.NCandidates - 1);
        Assert.Equal(reference.Qualified, model.NQualified);
        Assert.Equal(reference.Best.HeatingBalancePoint, model.HeatingBalancePoint);
    }

    [Fact]
    public void Equal_candidates_keep_the_first()
    {
        // Every day is colder than 30 °F, so HDD(bp) = bp − T for every balance point: the 61 heating candidates are
        // the same fit with a shifted intercept and R²adj equal up to rounding. The first (30 °F) must be kept.
        var days = Days(90, _ => 0, i => 5 + (i % 20));
        days = [.. days.Select((d, i) => d with { Usage = 40 + (0.5 * (30 - d.Temperature)) + Math.Sin(i) })];
        var model = CalTrackDailyModel.Fit(days, CalTrackOptions.Default with { FitCooling = false });

        Assert.Equal(CalTrackModelType.HddOnly, model.ModelType);
        Assert.Equal(30.0, model.HeatingBalancePoint);
        Assert.Equal(62, model.NQualified);
    }

    [Fact]
    public void Unordered_or_non_finite_days_are_rejected()
    {
        var days = Days(30, i => i, i => 50);
        Assert.Throws<ArgumentException>(() => CalTrackDailyModel.Fit([.. days.Reverse()]));
        days[3] = days[3] with { Usage = double.NaN };
        Assert.Throws<ArgumentException>(() => CalTrackDailyModel.Fit(days));
    }

    [Fact]
    public void Summary_serialises_with_eemeter_field_names()
    {
        var data = Load(GasHddOnly);
        var model = CalTrackDailyModel.Fit(data.Baseline, CalTrackOptions.Default with { FitCooling = false });
        var summary = CalTrackSummary.Create(model, model.Savings(data.Reporting));
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(summary, SnakeCase));
        string[] expected = ["model_type", "intercept", "beta_hdd", "beta_cdd", "heating_balance_point", "cooling_balance_point", "r_squared_adj", "cvrmse_adj", "autocorr_resid", "n_candidates", "n_qualified", "reporting_observed", "counterfactual", "savings", "fsu_band", "confidence_level"];
        Assert.Equal(expected, json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("hdd_only", json.RootElement.GetProperty("model_type").GetString());
    }

    private static DailyObservation[] Days(int count, Func<int, double> usage, Func<int, double> temperature) =>
        [.. Enumerable.Range(0, count).Select(i => new DailyObservation(new DateOnly(2024, 1, 1).AddDays(i), usage(i), temperature(i)))];
}
