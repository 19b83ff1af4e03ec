using Monitoring.Domain.Registry;
using Monitoring.Edge.Profiles;

namespace Monitoring.Simulators.Scenarios;

/// <summary>
/// A simulated plant: one site of the registry, its calendar and climate, the consumers behind its meters
/// (calibrated to annual totals), the devices that serve the meters, projects and faults. Immutable.
/// </summary>
public sealed record Scenario(
    string File,
    Site Site,
    SiteRegistry Registry,
    ulong Seed,
    DateOnly Start,
    int CalibrationYear,
    Climate Climate,
    WorkSchedule Schedule,
    IReadOnlyList<SimLine> Lines,
    IReadOnlyList<Consumer> Consumers,
    IReadOnlyList<SimMeter> Meters,
    IReadOnlyList<SimProject> Projects,
    IReadOnlyList<Fault> Faults)
{
    /// <summary>UTC instant of local midnight of <see cref="Start"/>: step 0 of the model.</summary>
    public DateTimeOffset Epoch => LocalMidnight(Start);

    public DateTimeOffset LocalMidnight(DateOnly day) => ToUtc(day.ToDateTime(TimeOnly.MinValue));

    /// <summary>A local wall-clock time of the site as a UTC instant (a time skipped by a clock change moves forward).</summary>
    public DateTimeOffset ToUtc(DateTime local)
    {
        var zone = Site.TimeZone;
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(30);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }

    public DateTime ToLocal(DateTimeOffset utc) => TimeZoneInfo.ConvertTimeFromUtc(utc.UtcDateTime, Site.TimeZone);

    /// <summary>
    /// The annual total the scenario states for <paramref name="meterId"/> in its counter unit (true units, before
    /// the registry multiplier): its own consumers' plus its sub-meters', minus on-site generation netted on it.
    /// Null for meters without consumers (weather).
    /// </summary>
    public double? ConfiguredAnnual(string meterId)
    {
        var meter = Meters.FirstOrDefault(m => m.Id == meterId);
        if (meter is null)
        {
            return null;
        }

        var total = 0.0;
        var any = false;
        foreach (var consumer in Consumers)
        {
            if (consumer.Model == ConsumerModel.Solar && consumer.NetOn == meterId)
            {
                total -= consumer.Annual;
                any = true;
            }
            else if (consumer.Model != ConsumerModel.Leak && IsUnder(consumer.MeterId, meterId))
            {
                total += consumer.Annual;
                any = true;
            }
        }

        return any ? total : null;
    }

    /// <summary>Whether <paramref name="meterId"/> is <paramref name="ancestorId"/> or below it in the registry's metering tree.</summary>
    public bool IsUnder(string meterId, string ancestorId)
    {
        for (var id = meterId; id is not null; id = Site.FindMeter(id)?.ParentId)
        {
            if (id == ancestorId)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Outdoor temperature and sun of a place.</summary>
/// <param name="ColdestDay">Day of the year with the lowest seasonal mean.</param>
/// <param name="NoiseC">Standard deviation of the weather (multi-day) deviation from the seasonal mean.</param>
public sealed record Climate(
    string Name,
    double Latitude,
    double Longitude,
    double MeanC,
    double SeasonalAmplitudeC,
    int ColdestDay,
    double DailyAmplitudeC,
    double NoiseC);

/// <summary>Shifts and working days.</summary>
/// <param name="Shifts">Shifts of 8 hours per working day (1, 2 or 3).</param>
/// <param name="FirstShiftStart">Local start hour of the first shift.</param>
/// <param name="SaturdayShifts">Shifts worked on Saturday (0 = closed).</param>
/// <param name="RamadanHours">Share of each shift worked during Ramadan (the shift ends earlier).</param>
public sealed record WorkSchedule(
    int Shifts,
    double FirstShiftStart,
    IReadOnlySet<DayOfWeek> WorkingDays,
    int SaturdayShifts,
    double RamadanHours,
    IReadOnlySet<DateOnly> ExtraHolidays);

/// <summary>A production line of the registry with its production counter and rate.</summary>
/// <param name="Shifts">Overrides the site's number of shifts for this line.</param>
/// <param name="StoppageProbability">Chance per hour that the line stops for a while.</param>
public sealed record SimLine(
    string Id,
    string? CounterId,
    double Annual,
    int? Shifts,
    double Noise,
    double StoppageProbability,
    double StoppageMinMinutes,
    double StoppageMaxMinutes);

public enum ConsumerModel
{
    Base,
    Production,
    Compressor,
    Furnace,
    Chiller,
    CoolingTower,
    LightingHvac,
    Sanitary,
    Solar,
    GensetTest,
    /// <summary>A fixed flow (a water leak fault): not calibrated, <see cref="Consumer.Annual"/> is the rate per hour.</summary>
    Leak,
}

/// <summary>
/// Something that uses energy or water behind a meter. Its shape s(t) (see docs/simulators.md) is scaled by a
/// calibration factor so that its consumption over the calibration year equals <see cref="Annual"/>.
/// </summary>
/// <param name="Lines">The lines whose production drives it (all lines when the scenario does not say).</param>
/// <param name="NetOn">For on-site generation: the meter whose import it reduces (net metering).</param>
public sealed record Consumer(
    string Id,
    string MeterId,
    ConsumerModel Model,
    double Annual,
    IReadOnlyList<int> Lines,
    IReadOnlyDictionary<string, double> Parameters,
    string? NetOn,
    DateTimeOffset? ActiveFrom = null,
    DateTimeOffset? ActiveTo = null);

/// <summary>How a meter is served live.</summary>
public enum DeviceKind
{
    None,
    Modbus,
    Mqtt,
}

/// <summary>A physical meter (or production counter, or weather station) of the site as the simulator serves it.</summary>
/// <param name="Fields">The fields the device serves (a Modbus device: every point of its profile).</param>
/// <param name="Reported">Per field, whether the registry lists it for the meter: the agent reads only those.</param>
/// <param name="Multipliers">Per field, the registry multiplier: wire value = true value / multiplier.</param>
/// <param name="Rollovers">Per field, the register's rollover modulus (registry), or null.</param>
/// <param name="Initial">Per field, the wire value of the counter at the scenario start.</param>
public sealed record SimMeter(
    string Id,
    MeterKind Kind,
    Carrier? Carrier,
    DeviceKind Device,
    MeterProfile? Profile,
    string? Gateway,
    byte Unit,
    IReadOnlyList<string> Fields,
    IReadOnlyList<bool> Reported,
    IReadOnlyList<double> Multipliers,
    IReadOnlyList<double?> Rollovers,
    IReadOnlyList<double> Initial,
    int LineIndex)
{
    public IEnumerable<string> ReportedFields => Fields.Where((_, i) => Reported[i]);
}

public enum MeterKind
{
    Energy,
    Production,
    Weather,
}

/// <summary>An efficiency project of the registry's bank: from its date, parameters of one consumer change.</summary>
public sealed record SimProject(
    string Id,
    int ConsumerIndex,
    DateTimeOffset From,
    IReadOnlyDictionary<string, double> Set);

public enum FaultType
{
    /// <summary>The device's TCP port closes (no answer at all).</summary>
    Drop,
    /// <summary>Answers arrive after <see cref="Fault.DelayMs"/>.</summary>
    Slow,
    /// <summary>Every read is answered with Modbus exception <see cref="Fault.Code"/>.</summary>
    Exception,
    /// <summary>The counter register is offset so that it wraps past <see cref="Fault.Modulus"/> at <see cref="Fault.From"/>.</summary>
    Rollover,
    /// <summary>The meter is replaced: its counters restart at <see cref="Fault.Value"/>.</summary>
    Replace,
    /// <summary>Every value stays at what it was when the window opened.</summary>
    Freeze,
    /// <summary>Registers hold all-ones (0xFFFF..., NaN): "no value".</summary>
    Sentinel,
    /// <summary><see cref="Fault.Field"/> reads × <see cref="Fault.Factor"/> plus <see cref="Fault.Add"/> during the window.</summary>
    Spike,
    /// <summary>A water leak: <see cref="Fault.Value"/> m3/h more through the meter (physical: in the ground truth).</summary>
    Leak,
    /// <summary>The clock of the agent or device that timestamps the readings is off by <see cref="Fault.Skew"/>.</summary>
    ClockSkew,
}

/// <summary>A fault of the schedule, on one meter (or every meter of a gateway), over [From, To).</summary>
public sealed record Fault(
    FaultType Type,
    IReadOnlyList<int> MeterIndexes,
    DateTimeOffset From,
    DateTimeOffset To,
    string? Field,
    double Value,
    double Factor,
    double Add,
    double Modulus,
    int DelayMs,
    byte Code,
    TimeSpan Skew,
    string Location)
{
    public bool IsActive(DateTimeOffset t) => t >= From && t < To;
}
