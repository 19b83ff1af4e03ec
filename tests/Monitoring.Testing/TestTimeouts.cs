namespace Monitoring.Testing;

/// <summary>Bounded waits, so that a hung service fails a test instead of hanging CI.</summary>
public static class TestTimeouts
{
    /// <summary>Default budget for one test's whole conversation with a service.</summary>
    public static readonly TimeSpan Test = TimeSpan.FromSeconds(60);

    /// <summary>Default budget for a single request, connection or child process.</summary>
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(15);

    /// <summary>A token source that cancels after <paramref name="timeout"/> (default <see cref="Test"/>).</summary>
    public static CancellationTokenSource Start(TimeSpan? timeout = null) => new(timeout ?? Test);

    /// <summary>A token source linked to <paramref name="outer"/> that also cancels after <paramref name="timeout"/>.</summary>
    public static CancellationTokenSource Link(CancellationToken outer, TimeSpan? timeout = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        source.CancelAfter(timeout ?? Operation);
        return source;
    }
}
