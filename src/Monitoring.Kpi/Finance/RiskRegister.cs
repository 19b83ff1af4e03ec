namespace Monitoring.Kpi.Finance;

/// <summary>A named project risk: probability in [0, 1] and impact on the project's own scale (money, 1–5, …).</summary>
public sealed record ProjectRisk(string Name, double Probability, double Impact);

/// <summary>Scores a project's risk register.</summary>
public static class RiskRegister
{
    /// <summary>Σ probability × impact, the expected impact of the registered risks.</summary>
    public static double Score(IEnumerable<ProjectRisk> risks)
    {
        ArgumentNullException.ThrowIfNull(risks);
        var score = 0.0;
        foreach (var risk in risks)
        {
            if (risk.Probability is < 0.0 or > 1.0 || double.IsNaN(risk.Probability))
            {
                throw new ArgumentException($"Risk '{risk.Name}' has probability {risk.Probability.ToString(System.Globalization.CultureInfo.InvariantCulture)}; it must be in [0, 1].", nameof(risks));
            }

            score += risk.Probability * risk.Impact;
        }

        return score;
    }
}
