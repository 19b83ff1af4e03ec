namespace Monitoring.Kpi.Carbon;

/// <summary>IPCC 2006 Tier 1 stationary-combustion defaults of a fuel: NCV and emission factors per TJ.</summary>
public sealed record Fuel(string Name, double NcvGjPerTonne, double Co2KgPerTj, double Ch4KgPerTj, double N2OKgPerTj)
{
    public static Fuel NaturalGas { get; } = new("natural gas", 48.0, 56_100, 1, 0.1);

    public static Fuel Gasoil { get; } = new("gasoil / diesel", 43.0, 74_100, 3, 0.6);

    public static Fuel ResidualFuelOil { get; } = new("residual fuel oil", 40.4, 77_400, 3, 0.6);

    public static Fuel Lpg { get; } = new("LPG", 47.3, 63_100, 1, 0.1);
}

/// <summary>100-year global warming potentials of one IPCC assessment report; its name is stored with results.</summary>
public sealed record GwpSet(string Name, double Ch4, double N2O)
{
    /// <summary>AR5 without climate-carbon feedback: CH4 28, N2O 265.</summary>
    public static GwpSet Ar5 { get; } = new("AR5", 28, 265);

    /// <summary>AR5 with the fossil-methane value 30.</summary>
    public static GwpSet Ar5FossilMethane { get; } = new("AR5 (fossil CH4)", 30, 265);

    /// <summary>AR6: fossil CH4 29.8, N2O 273.</summary>
    public static GwpSet Ar6 { get; } = new("AR6", 29.8, 273);
}

/// <summary>An emission factor with the year and source it applies to, as reports must cite them.</summary>
public sealed record EmissionFactor(double Value, int Year, string Source);
