namespace Monitoring.Edge.Profiles;

/// <summary>Converts the unit a device reports in to the unit of the vocabulary field (W → kW, Wh → kWh).</summary>
internal static class UnitConversion
{
    private static readonly Dictionary<string, (string Target, double Factor)> Units = new(StringComparer.Ordinal)
    {
        ["W"] = ("kW", 0.001),
        ["kW"] = ("kW", 1),
        ["MW"] = ("kW", 1000),
        ["Wh"] = ("kWh", 0.001),
        ["kWh"] = ("kWh", 1),
        ["MWh"] = ("kWh", 1000),
        ["var"] = ("kvar", 0.001),
        ["kvar"] = ("kvar", 1),
        ["varh"] = ("kvarh", 0.001),
        ["kvarh"] = ("kvarh", 1),
        ["V"] = ("V", 1),
        ["kV"] = ("V", 1000),
        ["mA"] = ("A", 0.001),
        ["A"] = ("A", 1),
        ["Hz"] = ("Hz", 1),
        ["1"] = ("1", 1),
        ["%"] = ("1", 0.01),
        ["m3"] = ("m3", 1),
        ["L"] = ("L", 1),
        ["m3/h"] = ("m3/h", 1),
        ["L/s"] = ("m3/h", 3.6),
        ["Nm3"] = ("Nm3", 1),
        ["kg"] = ("kg", 1),
        ["t"] = ("t", 1),
        ["degC"] = ("degC", 1),
    };

    /// <summary>The factor from <paramref name="deviceUnit"/> to <paramref name="fieldUnit"/>, or null when they do not convert.</summary>
    public static double? Factor(string deviceUnit, string fieldUnit) =>
        Units.TryGetValue(deviceUnit, out var conversion) && conversion.Target == fieldUnit ? conversion.Factor
        : deviceUnit == fieldUnit ? 1
        : null;
}
