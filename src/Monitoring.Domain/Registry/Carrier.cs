namespace Monitoring.Domain.Registry;

/// <summary>What a meter measures the flow of; decides canonical units and which emission factors apply.</summary>
public enum Carrier
{
    Electricity,
    NaturalGas,
    Gasoil,
    FuelOil,
    Lpg,
    Water,
    /// <summary>Outdoor temperature and other weather readings (degree days); no consumption, no emissions.</summary>
    Weather,
}

public static class CarrierNames
{
    private static readonly Dictionary<string, Carrier> ByName = new(StringComparer.Ordinal)
    {
        ["electricity"] = Carrier.Electricity,
        ["natural_gas"] = Carrier.NaturalGas,
        ["gasoil"] = Carrier.Gasoil,
        ["fuel_oil"] = Carrier.FuelOil,
        ["lpg"] = Carrier.Lpg,
        ["water"] = Carrier.Water,
        ["weather"] = Carrier.Weather,
    };

    /// <summary>The names used in YAML, in declaration order.</summary>
    public static IReadOnlyCollection<string> All => ByName.Keys;

    public static bool TryParse(string name, out Carrier carrier) => ByName.TryGetValue(name, out carrier);

    public static string ToName(this Carrier carrier) => carrier switch
    {
        Carrier.Electricity => "electricity",
        Carrier.NaturalGas => "natural_gas",
        Carrier.Gasoil => "gasoil",
        Carrier.FuelOil => "fuel_oil",
        Carrier.Lpg => "lpg",
        Carrier.Water => "water",
        Carrier.Weather => "weather",
        _ => throw new ArgumentOutOfRangeException(nameof(carrier), carrier, null),
    };

    /// <summary>Fuels burnt on site: scope 1 emissions computed from their properties.</summary>
    public static bool IsFuel(this Carrier carrier) =>
        carrier is Carrier.NaturalGas or Carrier.Gasoil or Carrier.FuelOil or Carrier.Lpg;
}
