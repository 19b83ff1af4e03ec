using Monitoring.Simulators.Devices;

namespace Monitoring.Server.Demo;

/// <summary>
/// The plants' virtual clock for the edge agents: "now" is virtual and timers run <see cref="VirtualClock.Speed"/>
/// times faster, so a poll interval, a batch age or a back-off written in plant time takes that much plant time.
/// (<see cref="VirtualClock"/> alone keeps timers in real time, which suits the devices but not a scheduler.)
/// </summary>
internal sealed class AcceleratedClock(VirtualClock clock) : TimeProvider
{
    public VirtualClock Clock { get; } = clock;

    public override DateTimeOffset GetUtcNow() => Clock.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, Real(dueTime), Real(period));

    /// <summary>The real duration of a span of plant time (infinite stays infinite, so a disabled period stays disabled).</summary>
    public TimeSpan Real(TimeSpan plantTime) =>
        plantTime == Timeout.InfiniteTimeSpan || plantTime <= TimeSpan.Zero ? plantTime : TimeSpan.FromTicks(Math.Max(1, (long)(plantTime.Ticks / Clock.Speed)));
}
