namespace Monitoring.Simulators.Model;

/// <summary>
/// Counter-based pseudo-random numbers: a value is a pure function of (seed, stream, index), so any instant of
/// the model can be computed in any order and two runs with the same seed agree exactly.
/// </summary>
public static class Noise
{
    /// <summary>A stable 64-bit id for a name (FNV-1a; string.GetHashCode is randomised per process).</summary>
    public static ulong StreamOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var hash = 14695981039346656037UL;
        foreach (var c in name)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    public static ulong Hash(ulong seed, ulong stream, long index)
    {
        var x = seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public static double Uniform(ulong seed, ulong stream, long index) => (Hash(seed, stream, index) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Approximately standard normal (sum of four uniforms from one hash, unit variance, within ±3.46).</summary>
    public static double Gaussian(ulong seed, ulong stream, long index)
    {
        var h = Hash(seed, stream, index);
        var sum = (h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48);
        return ((sum / 65536.0) - 2.0) * 1.7320508075688772;
    }

    /// <summary>Smooth noise: Gaussian knots every <paramref name="period"/> units, cosine-interpolated between them.</summary>
    public static double Smooth(ulong seed, ulong stream, double position, double period)
    {
        var x = position / period;
        var knot = (long)Math.Floor(x);
        var f = x - knot;
        var w = (1 - Math.Cos(f * Math.PI)) * 0.5;
        return (Gaussian(seed, stream, knot) * (1 - w)) + (Gaussian(seed, stream, knot + 1) * w);
    }
}
