using Bus.Tooling;

namespace Bus.Testing;

/// <summary>One PostgreSQL cluster for the collection that uses it.</summary>
public sealed class PostgresFixture : Xunit.IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
