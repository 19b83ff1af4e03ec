namespace Monitoring.Domain.Registry;

public enum FieldKind
{
    /// <summary>A cumulative register; the core turns it into interval consumption.</summary>
    Counter,
    /// <summary>An instantaneous value; averaged and maxed per interval.</summary>
    Gauge,
}

/// <summary>A field of the line-protocol vocabulary (DESIGN.md §4).</summary>
/// <param name="Scales">Whether the meter's multiplier (CT/VT ratio, pulse weight) applies to it.</param>
/// <param name="Carriers">The carriers whose meters may report it; empty for production counters.</param>
public sealed record VocabularyField(string Name, FieldKind Kind, string Unit, bool Scales, IReadOnlyList<Carrier> Carriers);

/// <summary>The core field names, their kind, unit and the carriers they belong to.</summary>
public static class FieldVocabulary
{
    private static readonly Carrier[] Electrical = [Carrier.Electricity];
    private static readonly Carrier[] Liquids = [Carrier.Water, Carrier.Gasoil, Carrier.FuelOil, Carrier.Lpg];
    private static readonly Carrier[] Fuels = [Carrier.NaturalGas, Carrier.Gasoil, Carrier.FuelOil, Carrier.Lpg];

    private static readonly Dictionary<string, VocabularyField> Fields = new VocabularyField[]
    {
        new("energy_import_kwh", FieldKind.Counter, "kWh", true, Electrical),
        new("energy_export_kwh", FieldKind.Counter, "kWh", true, Electrical),
        new("reactive_energy_kvarh", FieldKind.Counter, "kvarh", true, Electrical),
        new("power_kw", FieldKind.Gauge, "kW", true, Electrical),
        new("reactive_power_kvar", FieldKind.Gauge, "kvar", true, Electrical),
        new("pf", FieldKind.Gauge, "1", false, Electrical),
        new("voltage_v", FieldKind.Gauge, "V", false, Electrical),
        new("current_a", FieldKind.Gauge, "A", true, Electrical),
        new("frequency_hz", FieldKind.Gauge, "Hz", false, Electrical),

        // Per phase (L1, L2, L3), where the meter has the registers: the unbalance or overload of one phase shows here
        // and not in the totals. Optional points of the built-in profiles (docs/edge.md).
        new("voltage_l1_v", FieldKind.Gauge, "V", false, Electrical),
        new("voltage_l2_v", FieldKind.Gauge, "V", false, Electrical),
        new("voltage_l3_v", FieldKind.Gauge, "V", false, Electrical),
        new("current_l1_a", FieldKind.Gauge, "A", true, Electrical),
        new("current_l2_a", FieldKind.Gauge, "A", true, Electrical),
        new("current_l3_a", FieldKind.Gauge, "A", true, Electrical),
        new("power_l1_kw", FieldKind.Gauge, "kW", true, Electrical),
        new("power_l2_kw", FieldKind.Gauge, "kW", true, Electrical),
        new("power_l3_kw", FieldKind.Gauge, "kW", true, Electrical),
        new("volume_m3", FieldKind.Counter, "m3", true, Liquids),
        new("flow_m3h", FieldKind.Gauge, "m3/h", true, Liquids),
        new("gas_volume_nm3", FieldKind.Counter, "Nm3", true, [Carrier.NaturalGas]),
        new("fuel_volume_l", FieldKind.Counter, "L", true, [Carrier.Gasoil, Carrier.FuelOil, Carrier.Lpg]),
        new("fuel_mass_kg", FieldKind.Counter, "kg", true, Fuels),
        new("temperature_c", FieldKind.Gauge, "degC", false, [Carrier.Weather]),
        new("units", FieldKind.Counter, "units", true, []),
        new("mass_t", FieldKind.Counter, "t", true, []),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>The production counter fields (DESIGN.md §4): they belong to lines, not to carriers.</summary>
    public static IReadOnlyList<string> ProductionFields { get; } = ["units", "mass_t"];

    public static bool TryGet(string name, out VocabularyField field) => Fields.TryGetValue(name, out field!);

    /// <summary>Spellings users type for the same unit; the registry stores the canonical one.</summary>
    public static string CanonicalUnit(string unit) => unit switch
    {
        "m³" => "m3",
        "m³/h" => "m3/h",
        "Nm³" => "Nm3",
        "°C" => "degC",
        "l" => "L",
        _ => unit,
    };
}
