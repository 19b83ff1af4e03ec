namespace Monitoring.Kpi.Baselines;

/// <summary>One driver subset tried by <see cref="CandidateSelection"/>: its model (null if it could not be fitted) and checks.</summary>
public sealed record RegressionCandidate(IReadOnlyList<string> Variables, RegressionModel? Model, IReadOnlyList<ValidityCheck> Checks, string? FailureReason)
{
    public bool IsValid => Model is not null && Checks.All(c => c.Passed);
}

/// <summary>All candidates tried and the selected one: the valid model with the highest R²adj (null if none is valid).</summary>
public sealed record RegressionSelection(RegressionCandidate? Best, IReadOnlyList<RegressionCandidate> Candidates);

/// <summary>
/// Chooses the drivers of a baseline by trying every non-empty subset (ISO 50006 asks to keep only relevant
/// variables); subsets are enumerated in a fixed order and ties keep the first, so the choice is reproducible.
/// </summary>
public static class CandidateSelection
{
    /// <summary>Subsets grow as 2^k; beyond this many drivers the search is a modelling error, not a computation.</summary>
    public const int MaximumVariables = 12;

    public static RegressionSelection SelectBest(IReadOnlyList<string> variableNames, IReadOnlyList<BaselinePeriod> periods, ValidityCriteria criteria, bool weighted = false)
    {
        ArgumentNullException.ThrowIfNull(variableNames);
        ArgumentNullException.ThrowIfNull(periods);
        ArgumentNullException.ThrowIfNull(criteria);
        if (variableNames.Count is 0 or > MaximumVariables)
        {
            throw new ArgumentException($"Candidate selection takes 1 to {MaximumVariables} variables; got {variableNames.Count}.", nameof(variableNames));
        }

        var candidates = new List<RegressionCandidate>();
        RegressionCandidate? best = null;
        for (var mask = 1; mask < 1 << variableNames.Count; mask++)
        {
            var columns = Enumerable.Range(0, variableNames.Count).Where(j => (mask & (1 << j)) != 0).ToArray();
            var names = columns.Select(j => variableNames[j]).ToArray();
            var subset = periods.Select(p => p with { Variables = columns.Select(j => p.Variables[j]).ToArray() }).ToArray();
            RegressionCandidate candidate;
            try
            {
                var model = LinearRegression.Fit(names, subset, weighted);
                candidate = new RegressionCandidate(names, model, BaselineValidity.Check(model, criteria), null);
            }
            catch (ArgumentException e)
            {
                candidate = new RegressionCandidate(names, null, [], e.Message);
            }

            candidates.Add(candidate);
            if (candidate.IsValid && (best is null || candidate.Model!.Statistics.AdjustedRSquared > best.Model!.Statistics.AdjustedRSquared))
            {
                best = candidate;
            }
        }

        return new RegressionSelection(best, candidates);
    }
}
