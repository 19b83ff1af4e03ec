namespace Monitoring.Kpi.Carbon;

/// <summary>A contractual instrument (guarantee of origin, PPA) covering <paramref name="Mwh"/> at its own factor.</summary>
public sealed record ContractualInstrument(double Mwh, EmissionFactor Factor);

/// <summary>Both GHG Protocol scope 2 figures, which must be reported side by side, in tCO2e.</summary>
public sealed record Scope2Emissions(double LocationBasedTonnes, double MarketBasedTonnes, double CoveredMwh, EmissionFactor GridFactor, EmissionFactor ResidualFactor);

/// <summary>Scope 2 electricity emissions, location- and market-based (factors in tCO2e/MWh).</summary>
public static class Scope2
{
    /// <summary>Morocco, IFI harmonised combined margin 2021: for avoided emissions of efficiency projects.</summary>
    public static EmissionFactor MoroccoCombinedMargin { get; } = new(0.547, 2021, "IFI harmonised combined margin");

    /// <summary>Morocco, Ember average generation intensity 2024: for inventories.</summary>
    public static EmissionFactor MoroccoAverageGeneration { get; } = new(0.578, 2024, "Ember average generation intensity");

    /// <summary>Morocco, IFI operating margin.</summary>
    public static EmissionFactor MoroccoOperatingMargin { get; } = new(0.729, 2021, "IFI operating margin");

    /// <summary>
    /// Location-based = MWh × grid factor; market-based = covered MWh × instrument factors + the rest × residual mix
    /// (the grid factor when no residual mix is published, as in Morocco).
    /// </summary>
    public static Scope2Emissions Compute(double consumedMwh, EmissionFactor gridFactor, IReadOnlyCollection<ContractualInstrument>? instruments = null, EmissionFactor? residualMix = null)
    {
        ArgumentNullException.ThrowIfNull(gridFactor);
        ArgumentOutOfRangeException.ThrowIfNegative(consumedMwh);
        instruments ??= [];
        var covered = instruments.Sum(i => i.Mwh);
        if (covered > consumedMwh)
        {
            throw new ArgumentException($"Instruments cover {covered} MWh but only {consumedMwh} MWh were consumed.", nameof(instruments));
        }

        var residual = residualMix ?? gridFactor;
        var market = instruments.Sum(i => i.Mwh * i.Factor.Value) + ((consumedMwh - covered) * residual.Value);
        return new Scope2Emissions(consumedMwh * gridFactor.Value, market, covered, gridFactor, residual);
    }
}
