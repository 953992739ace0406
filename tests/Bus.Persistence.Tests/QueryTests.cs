using Bus.Contracts;
using Bus.Pipeline;
using Bus.Testing;

namespace Bus.Persistence.Tests;

[Collection(PostgresCollection.Name)]
public class When_sagas_are_queried(PostgresFixture postgres)
{
    static readonly Dictionary<string, string> Columns = new() { ["ModelName"] = "model_name", ["CurrentState"] = "current_state" };

    [Fact]
    public void Should_turn_indexed_equalities_into_SQL_and_leave_the_rest_to_the_filter()
    {
        var name = "digits";
        var (where, parameters) = SagaQueryTranslator.Translate<ModelLifecycleState>(
            s => s.ModelName == name && "Deployed" == s.CurrentState && s.ModelVersion == "3" && s.Metrics.Count > 0, Columns);

        where.Should().Be("model_name = @q0 AND current_state = @q1");
        parameters.Should().Equal(("q0", (object?)"digits"), ("q1", (object?)"Deployed"));
        SagaQueryTranslator.Translate<ModelLifecycleState>(s => s.ModelName == "a" || s.CurrentState == "b", Columns).Where.Should()
            .BeEmpty("an OR is left to the filter");
        SagaQueryTranslator.Translate<ModelLifecycleState>(s => s.ModelName == s.ModelVersion, Columns).Where.Should()
            .BeEmpty("a comparison between properties is not a value");
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_return_what_the_whole_predicate_selects(string kind)
    {
        var store = Stores.Lifecycle(await Stores.Fresh(kind, postgres));
        await store.EnsureSchemaAsync();
        await using var c = await store.Options.Dialect.OpenAsync(default);
        await using var t = await store.Options.Dialect.BeginWriteAsync(c, default);
        foreach (var (model, version, state) in new[] { ("digits", "1", "Superseded"), ("digits", "2", "Deployed"), ("iris", "1", "Deployed"), ("digits", "3",
            "Rejected") })
        {
            await store.InsertAsync(c, t, new ModelLifecycleState
            {
                CorrelationId = ModelVersionKey.For(model, version),
                ModelName = model,
                ModelVersion = version,
                CurrentState = state,
            }, default);
        }

        var champion = await store.QueryAsync(c, t, s => s.ModelName == "digits" && s.CurrentState == "Deployed", default);
        champion.Should().ContainSingle().Which.ModelVersion.Should().Be("2");
        var notRejected = await store.QueryAsync(c, t, s => s.ModelName == "digits" && s.CurrentState != "Rejected", default);
        notRejected.Select(s => s.ModelVersion).Should().BeEquivalentTo(["1", "2"]);
        (await store.FindAsync(c, t, "current_state", "Deployed", default)).Select(s => s.ModelName).Should().BeEquivalentTo(["digits", "iris"]);
    }
}
