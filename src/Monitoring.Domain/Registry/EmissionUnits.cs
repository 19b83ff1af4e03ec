namespace Monitoring.Domain.Registry;

/// <summary>Parses factor units such as <c>tCO2e/MWh</c> into a multiplier to kg per canonical unit (kWh, m³).</summary>
internal static class EmissionUnits
{
    public static bool TryParse(string unit, Carrier carrier, out double toKgPerCanonicalUnit, out string gas)
    {
        toKgPerCanonicalUnit = 0;
        gas = string.Empty;
        var parts = unit.Split('/');
        if (parts.Length != 2)
        {
            return false;
        }

        var (mass, rest) = parts[0] switch
        {
            var p when p.StartsWith("kg", StringComparison.Ordinal) => (1.0, p[2..]),
            var p when p.StartsWith('g') => (0.001, p[1..]),
            var p when p.StartsWith('t') => (1000.0, p[1..]),
            _ => (0.0, string.Empty),
        };
        if (mass == 0 || rest is not ("CO2" or "CO2e"))
        {
            return false;
        }

        double? per = (carrier, FieldVocabulary.CanonicalUnit(parts[1])) switch
        {
            (Carrier.Electricity, "kWh") => 1.0,
            (Carrier.Electricity, "MWh") => 1000.0,
            (Carrier.Water, "m3") => 1.0,
            _ => null,
        };
        if (per is null)
        {
            return false;
        }

        toKgPerCanonicalUnit = mass / per.Value;
        gas = rest;
        return true;
    }
}
