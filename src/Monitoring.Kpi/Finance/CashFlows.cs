using MathNet.Numerics.RootFinding;

namespace Monitoring.Kpi.Finance;

/// <summary>Discounted cash-flow arithmetic over yearly flows; flows[0] falls at t = 0 (the investment), flows[t] at year end t.</summary>
public static class CashFlows
{
    /// <summary>Rates scanned for a sign change of NPV before Brent's method refines the root.</summary>
    private static readonly double[] IrrScan = [-0.99, -0.9, -0.7, -0.5, -0.3, -0.1, 0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 100];

    /// <summary>NPV = Σ CF_t / (1 + r)^t.</summary>
    public static double Npv(IReadOnlyList<double> flows, double rate)
    {
        ArgumentNullException.ThrowIfNull(flows);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rate, -1.0);
        var npv = 0.0;
        var discount = 1.0;
        foreach (var flow in flows)
        {
            npv += flow / discount;
            discount *= 1.0 + rate;
        }

        return npv;
    }

    /// <summary>
    /// Internal rate of return: the lowest rate in (−99 %, 10 000 %) where NPV changes sign, refined by Brent's method.
    /// </summary>
    /// <exception cref="InvalidOperationException">The flows never change sign, or NPV has no root in the scanned range.</exception>
    public static double Irr(IReadOnlyList<double> flows) =>
        TryIrr(flows) ?? throw new InvalidOperationException(
            HasSignChange(flows)
                ? "IRR not found: NPV does not change sign for rates between -99 % and 10 000 %."
                : "IRR is undefined: the cash flows never change sign (an investment needs a negative and a positive flow).");

    /// <summary>As <see cref="Irr"/>, or null when no IRR exists.</summary>
    public static double? TryIrr(IReadOnlyList<double> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (!HasSignChange(flows))
        {
            return null;
        }

        var previous = Npv(flows, IrrScan[0]);
        for (var i = 1; i < IrrScan.Length; i++)
        {
            var current = Npv(flows, IrrScan[i]);
            if (current == 0.0)
            {
                return IrrScan[i];
            }

            if (Math.Sign(current) != Math.Sign(previous))
            {
                return Brent.FindRoot(r => Npv(flows, r), IrrScan[i - 1], IrrScan[i], 1e-12, 200);
            }

            previous = current;
        }

        return null;
    }

    /// <summary>
    /// Years until the cumulative discounted flow turns non-negative, interpolated linearly within the year it does;
    /// null when it never does within the flows given.
    /// </summary>
    public static double? DiscountedPayback(IReadOnlyList<double> flows, double rate)
    {
        ArgumentNullException.ThrowIfNull(flows);
        var cumulative = 0.0;
        var discount = 1.0;
        for (var t = 0; t < flows.Count; t++)
        {
            var present = flows[t] / discount;
            if (cumulative < 0.0 && cumulative + present >= 0.0)
            {
                return t - 1 + (-cumulative / present);
            }

            cumulative += present;
            discount *= 1.0 + rate;
        }

        return null;
    }

    /// <summary>CRF = r(1 + r)^n / ((1 + r)^n − 1): the annuity repaying one unit of capital over n years (1/n at r = 0).</summary>
    public static double CapitalRecoveryFactor(double rate, int years)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(years, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rate, -1.0);
        if (rate == 0.0)
        {
            return 1.0 / years;
        }

        var growth = Math.Pow(1.0 + rate, years);
        return rate * growth / (growth - 1.0);
    }

    private static bool HasSignChange(IReadOnlyList<double> flows) => flows.Any(f => f < 0.0) && flows.Any(f => f > 0.0);
}
