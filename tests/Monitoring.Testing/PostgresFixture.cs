using System.Text.RegularExpressions;
using Npgsql;

namespace Monitoring.Testing;

/// <summary>
/// The PostgreSQL server ./test.sh starts (<c>MONITORING_TEST_POSTGRES</c>, an Npgsql connection string to the
/// <c>postgres</c> database as the <c>postgres</c> superuser, trust authentication).
/// </summary>
public sealed partial class PostgresFixture
{
    public PostgresFixture()
    {
        ConnectionString = ServiceEnvironment.Require(ServiceEnvironment.PostgresVariable, "PostgreSQL");
        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(
                $"{ServiceEnvironment.PostgresVariable} is not an Npgsql connection string ({e.Message}): run the tests with ./test.sh, which exports it.",
                e);
        }
    }

    /// <summary>The administrative connection string (database <c>postgres</c>).</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Creates a fresh, empty database named <c>prefix_</c> + 12 hex digits and returns its connection string.
    /// <paramref name="prefix"/> is lower-case letters, digits and underscores, starting with a letter.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (!PrefixPattern().IsMatch(prefix))
        {
            throw new ArgumentException($"Database prefix '{prefix}' must match {PrefixPattern()}.", nameof(prefix));
        }

        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        using var budget = TestTimeouts.Link(cancellationToken);
        var connection = new NpgsqlConnection(ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(budget.Token).ConfigureAwait(false);
            // CREATE DATABASE takes no parameters; the name is checked above and quoted.
            var command = new NpgsqlCommand("CREATE DATABASE \"" + name + "\"", connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(budget.Token).ConfigureAwait(false);
            }
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixPattern();
}
