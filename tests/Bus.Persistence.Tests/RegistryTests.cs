using Bus.Ml;
using Bus.Registry;
using Bus.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bus.Persistence.Tests;

/// <summary>The production alias on both stores: a SQLite file (one machine) and PostgreSQL (deployment hosts on several).</summary>
public class When_the_production_alias_moves(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    static readonly ArtifactReference Artifact = new("s3://models/digits/1/model.json", "tfjs-layers", new string('a', 64));
    static readonly Dictionary<string, double> NoMetrics = [];

    async Task<string> Fresh(string kind)
    {
        if (kind == "sqlite")
            return $"Data Source={Path.Combine(Path.GetTempPath(), $"bus-registry-{Guid.NewGuid():N}", "registry.db")}";
        var name = "r" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(postgres.Cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return postgres.Cluster.ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_count_revisions_report_the_previous_champion_and_survive_a_restart(string kind)
    {
        var connectionString = await Fresh(kind);
        var v1 = Guid.NewGuid();
        var v2 = Guid.NewGuid();

        var registry = ModelRegistry.Connect(connectionString);
        var first = await registry.PromoteAsync("digits", v1, "1", Artifact, new Dictionary<string, double> { ["accuracy"] = 0.95 }, "promotion");
        var second = await registry.PromoteAsync("digits", v2, "2", Artifact with { Uri = "s3://models/digits/2/model.json" }, NoMetrics, "promotion");
        var again = await registry.PromoteAsync("digits", v2, "2", Artifact, NoMetrics, "promotion");

        first.Current.Revision.Should().Be(1);
        first.PreviousId.Should().BeNull();
        second.Current.Revision.Should().Be(2);
        second.PreviousId.Should().Be(v1);
        second.PreviousVersion.Should().Be("1");
        again.AlreadyCurrent.Should().BeTrue("a redelivered deployment changes nothing");
        again.Current.Revision.Should().Be(2);
        again.PreviousId.Should().Be(v1);
        var history = await registry.HistoryAsync("digits");
        first.Current.UpdatedAt.Should().Be(history[0].At, "a deployment is dated by its revision in the registry");
        second.Current.UpdatedAt.Should().Be(history[1].At);
        first.PreviousSince.Should().BeNull();
        second.PreviousSince.Should().Be(history[0].At, "the version it replaced served since its own revision");
        again.PreviousSince.Should().Be(history[0].At);

        var reopened = (await ModelRegistry.Connect(connectionString).ChampionAsync("digits"))!;
        reopened.ModelVersionId.Should().Be(v2);
        reopened.Artifact.Uri.Should().EndWith("/2/model.json");
        (await ModelRegistry.Connect(connectionString).ChampionAsync("iris")).Should().BeNull();
        (await ModelRegistry.Connect(connectionString).AllAsync()).Select(a => a.ModelName).Should().Equal("digits");
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_replay_a_redelivered_request_instead_of_moving_the_alias_again(string kind)
    {
        var registry = ModelRegistry.Connect(await Fresh(kind));
        var (v1, v2) = (Guid.NewGuid(), Guid.NewGuid());
        var request = Guid.NewGuid();
        await registry.PromoteAsync("digits", v1, "1", Artifact, NoMetrics, "promotion", request);
        await registry.PromoteAsync("digits", v2, "2", Artifact, NoMetrics, "promotion", Guid.NewGuid());

        var replay = await registry.PromoteAsync("digits", v1, "1", Artifact, NoMetrics, "promotion", request);

        replay.Replayed.Should().BeTrue();
        replay.Current.Revision.Should().Be(1, "the original outcome");
        replay.Current.UpdatedAt.Should().Be((await registry.HistoryAsync("digits"))[0].At, "dated by the original revision");
        replay.PreviousSince.Should().BeNull();
        (await registry.ChampionAsync("digits"))!.ModelVersionId.Should().Be(v2, "the alias did not move back");
        (await registry.HistoryAsync("digits")).Should().HaveCount(2);
    }

    /// <summary>Two deployment hosts (two registry instances, as two processes would have) promoting at once.</summary>
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_give_concurrent_promotions_from_two_hosts_consecutive_revisions_and_one_alias(string kind)
    {
        var connectionString = await Fresh(kind);
        var hosts = new[] { ModelRegistry.Connect(connectionString), ModelRegistry.Connect(connectionString) };
        var versions = Enumerable.Range(1, 24).Select(i => (Id: Guid.NewGuid(), Version: i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

        var promotions = await Task.WhenAll(versions.Select((v, i) => Task.Run(() => hosts[i % 2].PromoteAsync("digits", v.Id, v.Version, Artifact, NoMetrics,
            "promotion"))));

        promotions.Select(p => p.Current.Revision).Should().BeEquivalentTo(Enumerable.Range(1, 24).Select(r => (long)r), "each promotion got its own revision");
        var history = await hosts[0].HistoryAsync("digits");
        history.Select(h => h.Revision).Should().Equal(Enumerable.Range(1, 24).Select(r => (long)r));
        var last = promotions.Single(p => p.Current.Revision == 24);
        (await hosts[1].ChampionAsync("digits"))!.ModelVersionId.Should().Be(last.Current.ModelVersionId, "the alias is the last promotion");
        foreach (var p in promotions.Where(p => p.Current.Revision > 1))
            p.PreviousVersion.Should().Be(history.Single(h => h.Revision == p.Current.Revision - 1).ModelVersion, "each change names the one it replaced");
    }

    [Fact]
    public async Task Should_open_a_registry_file_written_before_its_schema_was_versioned()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bus-registry-{Guid.NewGuid():N}", "registry.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var old = Guid.NewGuid();
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE aliases (model_name TEXT PRIMARY KEY, model_version_id TEXT NOT NULL, model_version TEXT NOT NULL, revision INTEGER NOT NULL,
                    artifact_uri TEXT NOT NULL, artifact_format TEXT NOT NULL, artifact_sha256 TEXT NOT NULL, metrics TEXT NOT NULL, updated_at TEXT NOT NULL);
                CREATE TABLE alias_history (model_name TEXT NOT NULL, revision INTEGER NOT NULL, model_version_id TEXT NOT NULL, model_version TEXT NOT NULL,
                    reason TEXT NOT NULL, at TEXT NOT NULL, request_id TEXT, PRIMARY KEY (model_name, revision));
                INSERT INTO aliases VALUES ('digits', '{old}', '7', 3, 's3://m/7/model.json', 'tfjs-layers', '{new string('b', 64)}', '{"{}"}',
                    '2026-11-01T00:00:00.0000000+00:00');
                INSERT INTO alias_history VALUES ('digits', 3, '{old}', '7', 'promotion', '2026-11-01T00:00:00.0000000+00:00', NULL);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var registry = new ModelRegistry(path);
        (await registry.ChampionAsync("digits"))!.ModelVersion.Should().Be("7");
        var next = await registry.PromoteAsync("digits", Guid.NewGuid(), "8", Artifact, NoMetrics, "promotion", Guid.NewGuid());
        next.Current.Revision.Should().Be(4);
        next.PreviousVersion.Should().Be("7");
    }
}
