using Bus.Contracts;
using Bus.Pipeline;
using Bus.Stages;
using Bus.Stages.Deployment;
using Bus.Stages.Evaluation;
using Bus.Stages.Lifecycle;
using Bus.Topology;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs.Diagnostics;

namespace Bus.Host.Tests.Iam;

public class The_generated_role_policies
{
    static readonly IamSettings Prod = new("123456789012", "eu-west-1", "prod") { HostNames = ["replica-a"] };

    public static TheoryData<string> Roles() => [.. RolePolicies.Roles];

    [Fact]
    public void Should_cover_every_stage_a_host_can_run() =>
        RolePolicies.Roles.Should().Contain(PipelineStages.All.Select(s => s.Name), "each stage of the list has its role");

    [Theory]
    [MemberData(nameof(Roles))]
    public void Should_name_exact_resources_of_the_scope(string role)
    {
        foreach (var provisioned in new[] { false, true })
        {
            var policy = RolePolicies.For(role, Prod with { Provisioned = provisioned });
            policy.Statements.Should().NotBeEmpty();
            foreach (var statement in policy.Statements)
            {
                statement.Actions.Should().OnlyContain(a => !a.Contains('*'), "actions are named, never wildcards");
                if (statement.Resources.Contains("*"))
                {
                    role.Should().Be(RolePolicies.Operator, "only the operator's two account-wide lists, which AWS authorises per account, get `*`");
                    statement.Actions.Should().Equal("sqs:ListQueues", "sns:ListTopics");
                    statement.Resources.Should().Equal("*");
                    continue;
                }

                statement.Resources.Should().OnlyContain(r => r.StartsWith("arn:aws:sqs:eu-west-1:123456789012:prod-", StringComparison.Ordinal)
                    || r.StartsWith("arn:aws:sns:eu-west-1:123456789012:prod-", StringComparison.Ordinal)
                    || r.StartsWith("arn:aws:s3:::prod-", StringComparison.Ordinal), $"{role}: {statement.Sid}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void Should_create_nothing_where_infrastructure_as_code_made_the_entities(string role)
    {
        var actions = RolePolicies.For(role, Prod with { Provisioned = true }).Statements.SelectMany(s => s.Actions).ToList();
        actions.Should().NotContain(["sns:CreateTopic", "sns:Subscribe", "sqs:SetQueueAttributes"]);
        if (role != LifecycleStage.StageName)
            actions.Should().NotContain("sqs:CreateQueue", "only the lifecycle makes a temporary queue (for its API's status requests)");
    }

    [Fact]
    public void Should_subscribe_the_lifecycle_queue_to_every_event_and_schedule_of_the_saga()
    {
        var subscribed = RolePolicies.For(LifecycleStage.StageName, Prod).Statements.Single(s => s.Sid == "SubscribeOwnQueues").Resources;
        var expected = typeof(ModelLifecycleStateMachine).GetProperties()
            .Where(p => p.PropertyType.IsGenericType && (p.PropertyType.GetGenericTypeDefinition() == typeof(MassTransit.Event<>)
                || p.PropertyType.GetGenericTypeDefinition() == typeof(MassTransit.Schedule<,>)))
            .Select(p => p.PropertyType.GetGenericArguments()[^1])
            .Select(t => "arn:aws:sns:eu-west-1:123456789012:prod-" + RolePolicies.TopicOf(t));
        subscribed.Should().BeEquivalentTo(expected);
        subscribed.Should().Contain("arn:aws:sns:eu-west-1:123456789012:prod-training-complete");
    }

    [Fact]
    public void Should_give_each_stage_only_its_own_queues_and_topics()
    {
        string Json(string role) => RolePolicies.For(role, Prod).ToJson();
        Json(EvaluationStage.StageName).Should().Contain("prod-evaluate-model\"").And.NotContain("prod-deploy-model\"")
            .And.NotContain("prod-model-lifecycle\"").And.Contain("prod-model-evaluated\"").And.NotContain("prod-model-deployed\"");
        Json(DeploymentStage.StageName).Should().Contain("prod-serve-models-replica-a\"", "deployment serves too, on its host's own queue")
            .And.NotContain("prod-evaluate-model\"");
        Json(RolePolicies.Producer).Should().Contain("prod-training-complete\"").And.Contain("arn:aws:s3:::prod-bus-models/*/*")
            .And.NotContain("sqs:").And.NotContain("prod-model-evaluated");
        Json(EvaluationStage.StageName).Should().Contain("arn:aws:s3:::prod-bus-evaluation/*/validation.json").And.NotContain("s3:PutObject");
    }

    [Fact]
    public void Should_deny_a_call_outside_the_policy_and_report_a_grant_no_call_used()
    {
        var policy = RolePolicies.For(EvaluationStage.StageName, Prod);
        var calls = policy.Statements.Where(s => s.Required).SelectMany(s => s.Actions.SelectMany(a => s.Resources.Select(r => Call(a, r)))).ToList();
        PolicyCheck.Run(policy, calls, Prod.Account, Prod.Region).Passed.Should().BeTrue("every required grant used once, nothing else");

        var outside = PolicyCheck.Run(policy, [.. calls, new AwsCall("sqs", "SendMessageBatch", "prod-deploy-model")], Prod.Account, Prod.Region);
        outside.Denied.Should().ContainSingle().Which.Should().Be(("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:prod-deploy-model"));
        var fewer = PolicyCheck.Run(policy, calls.Where(c => c.Action != "Publish").ToList(), Prod.Account, Prod.Region);
        fewer.Unused.Should().ContainSingle().Which.Action.Should().Be("sns:Publish");
    }

    /// <summary>A call that needs exactly this grant (wildcards in the grant's ARN filled in).</summary>
    static AwsCall Call(string action, string arn)
    {
        var (service, name) = (action.Split(':')[0], action.Split(':')[1]);
        var resource = arn.Replace("*", "x", StringComparison.Ordinal);
        resource = service == "s3" ? resource["arn:aws:s3:::".Length..] : resource.Split(':')[5];
        return new AwsCall(service, name, resource);
    }
}
