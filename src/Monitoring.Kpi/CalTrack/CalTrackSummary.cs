namespace Monitoring.Kpi.CalTrack;

/// <summary>
/// Flat result of a CalTRACK baseline fit and its reporting period, one field per figure a report or the
/// <c>monitoring baseline fit</c> command prints. Serialised with <c>JsonNamingPolicy.SnakeCaseLower</c> (and a
/// snake-case enum converter) the names are eemeter's: model_type, r_squared_adj, cvrmse_adj, autocorr_resid, …
/// </summary>
public sealed record CalTrackSummary(
    CalTrackModelType ModelType,
    double Intercept,
    double BetaHdd,
    double BetaCdd,
    double? HeatingBalancePoint,
    double? CoolingBalancePoint,
    double RSquaredAdj,
    double CvrmseAdj,
    double AutocorrResid,
    int NCandidates,
    int NQualified,
    double ReportingObserved,
    double Counterfactual,
    double Savings,
    double FsuBand,
    double ConfidenceLevel)
{
    public static CalTrackSummary Create(CalTrackDailyModel model, CalTrackSavings savings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(savings);
        return new CalTrackSummary(
            model.ModelType,
            model.Intercept,
            model.BetaHdd,
            model.BetaCdd,
            model.HeatingBalancePoint,
            model.CoolingBalancePoint,
            model.RSquaredAdj,
            model.CvrmseAdj,
            model.AutocorrResid,
            model.NCandidates,
            model.NQualified,
            savings.ReportingObserved,
            savings.Counterfactual,
            savings.Savings,
            savings.FsuBand,
            savings.ConfidenceLevel);
    }
}
