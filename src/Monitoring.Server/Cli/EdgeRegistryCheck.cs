using Monitoring.Domain.Configuration;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;

namespace Monitoring.Server.Cli;

/// <summary>One disagreement between the registry and the edge configurations.</summary>
/// <param name="IsError">Errors make a roll-up INCOMPLETE or readings refused; warnings cost only polling.</param>
internal sealed record EdgeFinding(SourceLocation Location, bool IsError, string Message)
{
    public override string ToString() => $"{Location}: {(IsError ? "error" : "warning")}: {Message}";
}

/// <summary>
/// <c>config check --edge</c>: do the edge agents of each site read what the registry declares? A declared field that
/// nothing serves makes the meter's intervals, and every roll-up above it, INCOMPLETE every day (error); a field a
/// device reads that the registry does not declare is quarantined by the server, so it only wastes polling (warning).
/// </summary>
internal static class EdgeRegistryCheck
{
    /// <param name="edges">Valid edge configurations and the file each came from.</param>
    public static List<EdgeFinding> Check(RegistryLoadResult registry, IReadOnlyList<(string File, EdgeConfiguration Configuration)> edges)
    {
        var findings = new List<EdgeFinding>();
        foreach (var site in edges.GroupBy(e => e.Configuration.Site, StringComparer.Ordinal))
        {
            var files = string.Join(", ", site.Select(e => e.File));
            if (registry.Registry!.FindSite(site.Key) is not { } registered)
            {
                findings.AddRange(site.Select(e => new EdgeFinding(new SourceLocation(e.File, 0, 0), true,
                    $"site '{site.Key}' is not in the registry: the server refuses every reading of agent '{e.Configuration.Agent}'")));
                continue;
            }

            var devices = site.SelectMany(e => e.Configuration.Devices).ToList();
            var subscriptions = site.SelectMany(e => e.Configuration.MqttInputs ?? []).SelectMany(i => i.Subscriptions).ToList();
            foreach (var device in devices)
            {
                CheckDevice(registry, registered, device, findings);
            }

            foreach (var meter in registered.Meters.Where(m => !m.IsVirtual))
            {
                CheckMeter(registry.Locations, registered.Id, meter, devices, subscriptions, files, findings);
            }
        }

        return [.. findings
            .OrderBy(f => f.Location.File, StringComparer.Ordinal)
            .ThenBy(f => f.Location.Line)
            .ThenBy(f => f.Location.Column)];
    }

    private static void CheckDevice(RegistryLoadResult registry, Site site, DeviceConfiguration device, List<EdgeFinding> findings)
    {
        if (site.FindMeter(device.Id) is not { IsVirtual: false } meter)
        {
            findings.Add(new EdgeFinding(device.Location, true,
                $"device '{device.Id}' is not a meter of site '{site.Id}' in the registry: the server quarantines all its readings"));
            return;
        }

        foreach (var point in device.Points.Where(p => meter.FindField(p.Field) is null))
        {
            findings.Add(new EdgeFinding(device.Location, false,
                $"device '{device.Id}' reads '{point.Field}', which meter '{meter.Id}' of site '{site.Id}' does not declare "
                + $"({registry.Locations.Meter(site.Id, meter.Id)}): the server quarantines it; declare it or leave it out of the device's fields"));
        }
    }

    private static void CheckMeter(
        RegistryLocations locations, string siteId, Meter meter, List<DeviceConfiguration> devices, List<MqttSubscriptionSettings> subscriptions,
        string files, List<EdgeFinding> findings)
    {
        var own = devices.Where(d => d.Id == meter.Id).ToList();
        var feeds = subscriptions.Where(s => MayCarry(s, meter.Id)).ToList();
        if (own.Count == 0 && feeds.Count == 0)
        {
            findings.Add(new EdgeFinding(locations.Meter(siteId, meter.Id), true,
                $"meter '{meter.Id}' of site '{siteId}': no device or MQTT input of {files} serves it: its intervals will be INCOMPLETE every day"));
            return;
        }

        var served = own.SelectMany(d => d.Points.Select(p => p.Field)).ToHashSet(StringComparer.Ordinal);
        foreach (var field in meter.Fields.Select(f => f.Name).Where(f => !served.Contains(f) && !feeds.Any(s => Carries(s, f))))
        {
            var read = own.Count == 0 ? "no device reads it" : $"device '{meter.Id}' reads {string.Join(", ", own.SelectMany(d => d.Points).Select(p => p.Field))}";
            var hint = own.FirstOrDefault(d => d.Profile.Points.Any(p => p.Field == field)) is { } device
                ? $"; profile '{device.Profile.Id}' has it: add it to the device's fields ({device.Location})"
                : string.Empty;
            findings.Add(new EdgeFinding(locations.Field(siteId, meter.Id, field), true,
                $"meter '{meter.Id}' of site '{siteId}' declares '{field}', which no device or MQTT input of {files} serves ({read}): "
                + $"its intervals will be INCOMPLETE every day{hint}"));
        }
    }

    /// <summary>Whether messages on the subscription may be readings of the meter: a fixed meter, or one taken from each message.</summary>
    private static bool MayCarry(MqttSubscriptionSettings subscription, string meter) =>
        subscription.Meter is { } fixedMeter ? fixedMeter == meter : subscription.Topic.HasMeter || subscription.Format is MqttPayloadFormat.LineProtocol or MqttPayloadFormat.SparkplugB;

    /// <summary>Line protocol carries any field; the other formats carry the fields they map.</summary>
    private static bool Carries(MqttSubscriptionSettings subscription, string field) =>
        subscription.Format == MqttPayloadFormat.LineProtocol || subscription.Fields.Any(f => f.Field == field);
}
