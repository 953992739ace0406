using System.Net.Http.Json;
using Bus.Persistence.Audit;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>A promotion policy with RequireApproval, end to end over the emulator: the hosts, the CLI and the operator API.</summary>
[Collection(EmulatorCollection.Name)]
public class When_the_policy_wants_a_human_to_approve(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_deploy_only_what_an_operator_other_than_the_producer_approves()
    {
        using var pipeline = new HostedPipeline(emulator, "approval", output);
        var db = $"Data Source={Path.Combine(pipeline.Data, "bus.db")}";
        var trained = await pipeline.TrainAsync("trained");
        var settings = pipeline.Settings(pipeline.Data);
        settings["Bus:Lifecycle:Promotion:Models:digits:Metrics:accuracy:Min"] = "0.5";
        settings["Bus:Lifecycle:Promotion:Models:digits:RequireApproval"] = "true";
        settings["Bus:Lifecycle:ApprovalTimeout"] = "00:00:45";
        await using var host = await HostProcess.StartAsync("approval-host", ["lifecycle", "evaluation", "deployment"], settings, default);
        string[] cli = ["--db", db, "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope, "--wait", "60"];

        foreach (var version in new[] { "1", "2", "3" })
            await pipeline.AnnounceAsync("digits", version, trained, producer: "trainer@test");
        foreach (var version in new[] { "1", "2", "3" })
        {
            await pipeline.WaitFor(async () => await When_an_operator_uses_the_cli.State(db, version) == "AwaitingApproval",
                $"digits {version} awaiting approval", TimeSpan.FromMinutes(2), () => host.Log);
        }

        var status = await HostedPipeline.Cli("status", "digits", "1", "--db", db);
        status.Output.Should().Contain("AwaitingApproval").And.Contain("accuracy", "the operator sees what they approve");

        // Four-eyes: the producer may not approve its own version; the refusal is the saga's, and recorded.
        var own = await HostedPipeline.Cli(["approve", "digits", "1", "--reason", "mine looks good", "--by", "trainer@test", .. cli]);
        own.ExitCode.Should().Be(1, own.Output + own.Error);
        own.Output.Should().Contain("approval refused: trainer@test produced this version (four-eyes)");

        // An operator approves through the API: the actor is the authenticated principal.
        using var http = new HttpClient { BaseAddress = host.Url };
        (await http.PostAsJsonAsync("/lifecycle/digits/1/approve", new { reason = "x" })).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
        (await http.PostAsJsonAsync("/lifecycle/digits/1/approve", new { reason = "" })).StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        (await http.PostAsJsonAsync("/lifecycle/digits/1/approve", new { reason = "reviewed the confusion matrix" })).StatusCode
            .Should().Be(System.Net.HttpStatusCode.Accepted);
        await pipeline.WaitFor(async () => await When_an_operator_uses_the_cli.State(db, "1") == "Deployed", "digits 1 deployed after its approval",
            TimeSpan.FromMinutes(2), () => host.Log);

        var rejected = await HostedPipeline.Cli(["reject", "digits", "2", "--reason", "bias on class 7", "--by", "oncall@test", .. cli]);
        rejected.ExitCode.Should().Be(0, rejected.Output + rejected.Error);
        rejected.Output.Should().Contain("rejected: rejected by oncall@test: bias on class 7");
        (await HostedPipeline.Cli(["approve", "digits", "2", "--reason", "changed my mind", "--by", "oncall@test", .. cli])).Error
            .Should().Contain("digits 2 is Rejected, not awaiting approval", "refused at once, before anything is sent");

        // Nobody decides on version 3: it expires.
        await pipeline.WaitFor(async () => await When_an_operator_uses_the_cli.State(db, "3") == "Rejected", "digits 3 rejected when its approval expired",
            TimeSpan.FromMinutes(2), () => host.Log);

        var records = await new AuditLog(db).ReadAsync("digits").ToListAsync();
        records.Should().ContainSingle(r => r.Entry.Event == "ApproveModel" && r.Entry.ToState == "Approved").Which.Entry
            .Should().BeEquivalentTo(new { ActorKind = "http", ActorName = "apikey:ci-operator", FromState = "AwaitingApproval" });
        records.Should().ContainSingle(r => r.Entry.Event == "ApproveModel" && r.Entry.ToState == "AwaitingApproval").Which.Entry
            .Should().BeEquivalentTo(new
            {
                ActorKind = "cli",
                ActorName = "trainer@test",
                Detail = "approval refused: trainer@test produced this version (four-eyes)",
            });
        records.Should().ContainSingle(r => r.Entry.Event == "RejectModel").Which.Entry
            .Should().BeEquivalentTo(new { ActorKind = "cli", ToState = "Rejected" });
        records.Single(r => r.Entry.ModelVersion == "3" && r.Entry.ToState == "Rejected").Entry
            .Should().BeEquivalentTo(new { ActorKind = "system", Reasons = (string?)null });
        records.Single(r => r.Entry.ModelVersion == "3" && r.Entry.ToState == "Rejected").Entry.Detail.Should().StartWith("approval expired");
        records.Where(r => r.Entry.ToState == "AwaitingApproval" && r.Entry.Event == "ModelEvaluated").Should().HaveCount(3)
            .And.OnlyContain(r => r.Entry.Decision == "promote" && r.Entry.Metrics!.Contains("accuracy"));
        (await new AuditLog(db).VerifyAsync()).Valid.Should().BeTrue();
    }
}
