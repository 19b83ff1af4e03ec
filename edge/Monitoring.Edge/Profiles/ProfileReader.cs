using System.Globalization;
using Monitoring.Domain.Configuration;
using Monitoring.Domain.Registry;
using Monitoring.Modbus;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Edge.Profiles;

/// <summary>How a profile numbers its registers (meters.md trap 1).</summary>
internal enum Addressing
{
    /// <summary>0-based PDU addresses, as on the wire.</summary>
    Pdu,
    /// <summary>The vendor's 1-based register numbers: PDU = register − 1.</summary>
    Register,
    /// <summary>3xxxx / 4xxxx numbers: 30001 is input register 0, 40001 holding register 0.</summary>
    Modicon,
}

/// <summary>What a point inherits from its profile when it does not say.</summary>
internal sealed record PointDefaults(ModbusFunction Table, ModbusDataType Type, RegisterOrder Order, Addressing Addressing, string Group);

/// <summary>Reads meter profiles and point overrides from YAML, reporting errors with their position.</summary>
internal static class ProfileReader
{
    public const string DefaultGroup = "fast";

    private static readonly Dictionary<string, ModbusFunction> Tables = new(StringComparer.Ordinal)
    {
        ["holding"] = ModbusFunction.ReadHoldingRegisters,
        ["input"] = ModbusFunction.ReadInputRegisters,
    };

    private static readonly Dictionary<string, ModbusDataType> Types = new(StringComparer.Ordinal)
    {
        ["int16"] = ModbusDataType.Int16,
        ["uint16"] = ModbusDataType.UInt16,
        ["int32"] = ModbusDataType.Int32,
        ["uint32"] = ModbusDataType.UInt32,
        ["int64"] = ModbusDataType.Int64,
        ["uint64"] = ModbusDataType.UInt64,
        ["float32"] = ModbusDataType.Float32,
        ["float64"] = ModbusDataType.Float64,
    };

    private static readonly Dictionary<string, RegisterOrder> Orders = new(StringComparer.Ordinal)
    {
        ["ABCD"] = RegisterOrder.ABCD,
        ["CDAB"] = RegisterOrder.CDAB,
        ["BADC"] = RegisterOrder.BADC,
        ["DCBA"] = RegisterOrder.DCBA,
    };

    private static readonly Dictionary<string, Addressing> AddressingModes = new(StringComparer.Ordinal)
    {
        ["pdu"] = Addressing.Pdu,
        ["register"] = Addressing.Register,
        ["modicon"] = Addressing.Modicon,
    };

    private static readonly Dictionary<string, PointEncoding> Encodings = new(StringComparer.Ordinal)
    {
        ["plain"] = PointEncoding.Plain,
        ["schneider_pf"] = PointEncoding.SchneiderPowerFactor,
        ["int_plus_fraction"] = PointEncoding.IntegerPlusFraction,
    };

    /// <summary>Reads a whole profile mapping (built-in file or an entry of the edge config's <c>profiles</c>).</summary>
    public static MeterProfile? ReadProfile(YamlSource source, YamlNode node)
    {
        var r = YamlMapReader.For(source, node, "profile");
        var id = r.Id("id", required: true);
        if (id is not null)
        {
            r.What = $"profile '{id}'";
        }

        var version = r.WholeNumber("version", min: 1) ?? 1;
        var name = r.Scalar("name") ?? id;
        var maxRegisters = r.WholeNumber("max_registers_per_read", min: 1, max: ModbusLimits.MaxReadRegisters) ?? ModbusLimits.MaxReadRegisters;
        var defaults = ReadDefaults(r, new PointDefaults(ModbusFunction.ReadHoldingRegisters, ModbusDataType.Float32, RegisterOrder.ABCD, Addressing.Pdu, DefaultGroup));
        var points = new List<ProfilePoint>();
        foreach (var pointNode in r.Sequence("points", required: true))
        {
            var point = ReadPoint(YamlMapReader.For(source, pointNode, $"{r.What} point"), defaults, basePoint: null);
            if (point is null)
            {
                continue;
            }

            if (points.Any(p => p.Field == point.Field))
            {
                source.Report(pointNode, $"{r.What}: field '{point.Field}' is mapped twice");
                continue;
            }

            points.Add(point);
        }

        r.ReportUnknownKeys();
        return id is null || name is null ? null : new MeterProfile(id, version, name, maxRegisters, points);
    }

    /// <summary>Reads the profile-wide defaults (<c>table</c>, <c>type</c>, <c>order</c>, <c>addressing</c>, <c>group</c>).</summary>
    public static PointDefaults ReadDefaults(YamlMapReader r, PointDefaults inherited) => new(
        r.Choice("table", Tables) ?? inherited.Table,
        r.Choice("type", Types) ?? inherited.Type,
        r.Choice("order", Orders) ?? inherited.Order,
        r.Choice("addressing", AddressingModes) ?? inherited.Addressing,
        r.Id("group") ?? inherited.Group);

    /// <summary>
    /// Reads one point. With <paramref name="basePoint"/> (a device override) every key is optional and
    /// replaces only what it names.
    /// </summary>
    public static ProfilePoint? ReadPoint(YamlMapReader r, PointDefaults defaults, ProfilePoint? basePoint)
    {
        var isOverride = basePoint is not null;
        var field = r.Scalar("field", required: true);
        if (field is not null)
        {
            r.What = $"{r.What} '{field}'";
        }

        var table = r.Choice("table", Tables);
        var addressNode = r.Get("address");
        var address = addressNode is null ? null : ReadAddress(r, addressNode);
        if (addressNode is null && !isOverride)
        {
            r.Source.Report(r.Node, $"{r.What}: missing required key 'address'");
        }

        var type = r.Choice("type", Types);
        var order = r.Choice("order", Orders);
        var scale = r.Number("scale");
        var offset = r.Number("offset");
        var unit = r.Scalar("unit");
        var encoding = r.Choice("encoding", Encodings);
        var group = r.Id("group");
        var sentinels = r.Boolean("sentinels");
        // Only a profile says what is optional; a device asks for a point by naming it (an override names it).
        var optional = !isOverride && (r.Boolean("optional") ?? false);
        r.ReportUnknownKeys();
        if (field is null || (address is null && (addressNode is not null || !isOverride)))
        {
            return null;
        }

        if (!FieldVocabulary.TryGet(field, out var vocabulary) || vocabulary.Carriers.Count == 0)
        {
            r.Source.Report(r.Get("field")!, $"{r.What}: '{field}' is not a meter field of the vocabulary");
            return null;
        }

        ModbusFunction resolvedTable;
        ushort pdu;
        if (address is { } a)
        {
            if (!TryResolveAddress(a, defaults.Addressing, table ?? basePoint?.Table ?? defaults.Table, out resolvedTable, out pdu, out var problem))
            {
                r.Source.Report(addressNode!, $"{r.What}: {problem}");
                return null;
            }
        }
        else
        {
            resolvedTable = table ?? basePoint!.Table;
            pdu = basePoint!.Address;
        }

        var deviceUnit = unit ?? basePoint?.DeviceUnit ?? vocabulary.Unit;
        if (UnitConversion.Factor(deviceUnit, vocabulary.Unit) is not { } factor)
        {
            r.Source.Report(r.Get("unit") ?? r.Node, $"{r.What}: unit '{deviceUnit}' does not convert to {vocabulary.Unit}");
            return null;
        }

        var point = new ProfilePoint(
            field,
            resolvedTable,
            pdu,
            type ?? basePoint?.Type ?? defaults.Type,
            order ?? basePoint?.Order ?? defaults.Order,
            scale ?? basePoint?.Scale ?? 1,
            offset ?? basePoint?.Offset ?? 0,
            deviceUnit,
            factor,
            encoding ?? basePoint?.Encoding ?? PointEncoding.Plain,
            group ?? basePoint?.Group ?? defaults.Group,
            sentinels ?? basePoint?.RejectSentinels ?? true)
        {
            Optional = optional,
        };
        if (point.Address + point.RegisterCount > ushort.MaxValue + 1)
        {
            r.Source.Report(addressNode ?? r.Node, $"{r.What}: registers run past address 65535");
            return null;
        }

        return point;
    }

    /// <summary>Addresses are decimal or 0x-prefixed hexadecimal.</summary>
    private static int? ReadAddress(YamlMapReader r, YamlNode node)
    {
        var text = (node as YamlScalarNode)?.Value ?? string.Empty;
        var isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (int.TryParse(isHex ? text.AsSpan(2) : text, isHex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        r.Source.Report(node, $"{r.What}: 'address' must be a decimal or 0x-hexadecimal number, got '{text}'");
        return null;
    }

    private static bool TryResolveAddress(int address, Addressing addressing, ModbusFunction table, out ModbusFunction resolvedTable, out ushort pdu, out string? problem)
    {
        resolvedTable = table;
        problem = null;
        var value = addressing switch
        {
            Addressing.Register => address - 1,
            Addressing.Modicon when address is >= 30001 and <= 39999 => address - 30001,
            Addressing.Modicon when address is >= 40001 and <= 49999 => address - 40001,
            Addressing.Modicon => -1,
            _ => address,
        };
        if (addressing == Addressing.Modicon)
        {
            resolvedTable = address >= 40001 ? ModbusFunction.ReadHoldingRegisters : ModbusFunction.ReadInputRegisters;
        }

        if (value is < 0 or > ushort.MaxValue)
        {
            problem = addressing switch
            {
                Addressing.Register => $"register {address} is out of range 1..65536",
                Addressing.Modicon => $"register {address} is not a 3xxxx (input) or 4xxxx (holding) number",
                _ => $"address {address} is out of range 0..65535",
            };
            pdu = 0;
            return false;
        }

        pdu = (ushort)value;
        return true;
    }
}
