using Monitoring.Aggregation.Rollups;
using Monitoring.Domain.Registry;

namespace Monitoring.Aggregation.Tests;

/// <summary>The roll-up rule (docs/data-model.md, "Roll-ups") on the example registry.</summary>
public sealed class RollupTopologyTests
{
    private static readonly RollupTopology Topology = RollupTopology.Create(SeriesCatalog.Create(RollupHarness.Example()));

    private static string[] Inputs(RollupLevel level, string id, Carrier? carrier, string? site = "casa-aero") =>
        [.. (Topology.Find(level, id, carrier, site) ?? throw new InvalidOperationException($"no node {level} {id} {carrier}")).Inputs.Select(n => n.Id)];

    [Fact]
    public void The_site_total_is_its_top_meter_and_never_its_sub_meters()
    {
        Assert.Equal(["main-incomer"], Inputs(RollupLevel.Site, "casa-aero", Carrier.Electricity));
        Assert.Equal(["gas-main"], Inputs(RollupLevel.Site, "casa-aero", Carrier.NaturalGas));
        Assert.Equal(["water-main"], Inputs(RollupLevel.Site, "casa-aero", Carrier.Water));
        // Tanger: the rooftop PV has no parent but is generation, not consumption.
        Assert.Equal(["main-incomer"], Inputs(RollupLevel.Site, "tanger-mach", Carrier.Electricity, "tanger-mach"));
        Assert.Equal(["genset-fuel"], Inputs(RollupLevel.Site, "tanger-mach", Carrier.Gasoil, "tanger-mach"));
        Assert.Equal(["paint-oven-gas"], Inputs(RollupLevel.Site, "tanger-mach", Carrier.NaturalGas, "tanger-mach"));
    }

    [Fact]
    public void Lines_and_assets_sum_the_leaves_of_the_metering_tree()
    {
        Assert.Equal(["cnc-line-1", "cnc-line-2"], Inputs(RollupLevel.Line, "machining", Carrier.Electricity));
        Assert.Equal(["furnace-aux"], Inputs(RollupLevel.Line, "surface-treatment", Carrier.Electricity));
        // Gas: the delivery station has a sub-meter, so only the furnace meter (a leaf) reaches the line.
        Assert.Equal(["furnace-gas"], Inputs(RollupLevel.Line, "surface-treatment", Carrier.NaturalGas));
        Assert.Equal(["water-process"], Inputs(RollupLevel.Line, "surface-treatment", Carrier.Water));
        // Leaves on no line, unmetered remainders included, go to the pseudo line.
        Assert.Equal(["compressors", "chillers", "lighting-hvac", "elec-unmetered"], Inputs(RollupLevel.Line, RollupNode.CommonLineId, Carrier.Electricity));
        Assert.Equal(["water-cooling-tower", "water-sanitary", "water-unaccounted"], Inputs(RollupLevel.Line, RollupNode.CommonLineId, Carrier.Water));
        Assert.Null(Topology.Find(RollupLevel.Line, "assembly", Carrier.Electricity, "casa-aero"));
        Assert.Null(Topology.Find(RollupLevel.Line, RollupNode.CommonLineId, Carrier.NaturalGas, "casa-aero"));   // gas-main is not a leaf

        Assert.Equal(["furnace-aux"], Inputs(RollupLevel.Asset, "heat-treat-furnace", Carrier.Electricity));
        Assert.Equal(["furnace-gas"], Inputs(RollupLevel.Asset, "heat-treat-furnace", Carrier.NaturalGas));
        Assert.Equal(["water-cooling-tower"], Inputs(RollupLevel.Asset, "process-chiller", Carrier.Water));
        Assert.Equal(["chillers"], Inputs(RollupLevel.Asset, "process-chiller", Carrier.Electricity));

        // Every leaf is counted in exactly one line node of its carrier.
        foreach (var carrier in new[] { Carrier.Electricity, Carrier.Water, Carrier.NaturalGas })
        {
            var inLines = Topology.Nodes.Where(n => n.Level == RollupLevel.Line && n.Carrier == carrier && n.SiteId == "casa-aero").SelectMany(n => n.Inputs).ToList();
            Assert.Equal(inLines.Count, inLines.Distinct().Count());
        }
    }

    [Fact]
    public void Virtual_meters_expand_their_formula_and_sites_feed_ecosystems_and_programmes()
    {
        var unmetered = Topology.Find(RollupLevel.Meter, "elec-unmetered", Carrier.Electricity, "casa-aero")!;
        Assert.True(unmetered.IsVirtual);
        Assert.Equal(["main-incomer", "compressors", "cnc-line-1", "cnc-line-2", "furnace-aux", "chillers", "lighting-hvac"], unmetered.Inputs.Select(n => n.Id));

        Assert.Equal(["casa-aero"], Inputs(RollupLevel.Ecosystem, "aeronautics", Carrier.Electricity, null));
        Assert.Equal(["casa-aero", "tanger-mach"], Inputs(RollupLevel.Programme, "ma-industry-2030", Carrier.Electricity, null));
        Assert.Equal(["tanger-mach"], Inputs(RollupLevel.Programme, "ma-industry-2030", Carrier.Gasoil, null));

        var all = Topology.Find(RollupLevel.Site, "casa-aero", null, "casa-aero")!;
        Assert.Equal("kWh", all.Unit);
        Assert.Equal([Carrier.Electricity, Carrier.NaturalGas, Carrier.Water], all.Inputs.Select(n => n.Carrier!.Value));
    }

    [Fact]
    public void Units_power_factor_availability_and_intensities_follow_the_registry()
    {
        Assert.Equal("Nm3", Topology.Find(RollupLevel.Site, "casa-aero", Carrier.NaturalGas, "casa-aero")!.Unit);
        Assert.Equal("L", Topology.Find(RollupLevel.Site, "tanger-mach", Carrier.Gasoil, "tanger-mach")!.Unit);
        Assert.Equal("m3", Topology.Find(RollupLevel.Site, "casa-aero", Carrier.Water, "casa-aero")!.Unit);
        Assert.True(Topology.Find(RollupLevel.Site, "casa-aero", Carrier.Electricity, "casa-aero")!.HasReactiveEnergy);
        Assert.False(Topology.Find(RollupLevel.Line, "machining", Carrier.Electricity, "casa-aero")!.HasReactiveEnergy);

        var machining = Topology.Intensities.Where(i => i.Counter.Id == "machining-parts").Select(i => i.Node.ToString()).ToList();
        Assert.Equal(
            ["line:casa-aero/machining/electricity", "site:casa-aero/casa-aero/electricity", "site:casa-aero/casa-aero/natural_gas",
             "site:casa-aero/casa-aero/water", "line:casa-aero/machining/all", "site:casa-aero/casa-aero/all"],
            machining);
    }
}
