namespace Monitoring.Kpi.Baselines;

/// <summary>
/// One period of a regression baseline: the response (energy, water) and the driver values in the order of the
/// model's variable names. <paramref name="Weight"/> is the period length for billing-like data (weighted fits only).
/// </summary>
public sealed record BaselinePeriod(double Response, IReadOnlyList<double> Variables, double Weight = 1.0);
