using System.Diagnostics;

namespace Monitoring.Simulators.Devices;

/// <summary>
/// Virtual time for the live devices: starts at <see cref="Start"/> and runs <see cref="Speed"/> times faster than
/// real time (×3600: an hour per second). Timers and delays stay in real time; only "now" is virtual.
/// </summary>
public sealed class VirtualClock(DateTimeOffset start, double speed) : TimeProvider
{
    private long _origin = Stopwatch.GetTimestamp();

    public DateTimeOffset Start { get; } = start;

    public double Speed { get; } = speed > 0 ? speed : throw new ArgumentOutOfRangeException(nameof(speed), speed, "The speed must be positive.");

    public override DateTimeOffset GetUtcNow()
    {
        var real = Stopwatch.GetElapsedTime(Interlocked.Read(ref _origin));
        return Start + TimeSpan.FromTicks((long)(real.Ticks * Speed));
    }

    /// <summary>Starts again from <see cref="Start"/> (after a long set-up, so that it does not eat virtual time).</summary>
    public void Restart() => Interlocked.Exchange(ref _origin, Stopwatch.GetTimestamp());

    /// <summary>The real time until virtual instant <paramref name="t"/>.</summary>
    public TimeSpan RealDelayUntil(DateTimeOffset t)
    {
        var virtualDelay = t - GetUtcNow();
        return virtualDelay <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(virtualDelay.Ticks / Speed));
    }
}
