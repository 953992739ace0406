using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Ml;
using Bus.Stages;
using Bus.Stages.Lifecycle;
using Bus.Testing;
using Bus.Tooling;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Diagnostics;
using Bus.Transport.AmazonSqs.Sns;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// Every role in a process (or scope) of its own, each writing every AWS call it makes to its own log, through a whole
/// pipeline run: a deployment approved by an operator, a gate rejection, a failed evaluation, a human rejection, a second
/// deployment, a rollback, tagging, the operator's topology, audit anchor and verify. Then each role's recorded calls are
/// judged against its generated policy: every call allowed, and every grant marked as always needed used. Run twice: hosts
/// that create what they need (then the exported template must list all of it), and hosts with
/// <c>Bus:Aws:CreateEntities=false</c> on what `bus topology export` made (then the provisioned policies must suffice).
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_each_role_runs_under_its_generated_policy(EmulatorFixture emulator, ITestOutputHelper output)
{
    const string Account = "000000000000"; // the emulator's account
    const string Region = "us-east-1";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_make_only_calls_the_policy_allows_and_need_every_grant_it_always_gives(bool provisioned)
    {
        using var pipeline = new HostedPipeline(emulator, provisioned ? "iac" : "iam", output);
        var logs = Directory.CreateTempSubdirectory("bus-iam-calls-").FullName;
        string Log(string role) => Path.Combine(logs, role + ".jsonl");
        var trained = await pipeline.TrainAsync("trained");
        var weak = await pipeline.TrainAsync("weak", weak: true, epochs: "1");
        var datasets = $"{pipeline.Scope}-bus-datasets";
        var anchors = $"{pipeline.Scope}-bus-audit";
        using var s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, Region, emulator.ServiceUrl);
        foreach (var bucket in new[] { datasets, anchors })
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        var (evaluationBucket, evaluationKey) = Split(pipeline.EvaluationSetUri);
        using (var set = await s3.GetObjectAsync(evaluationBucket, evaluationKey))
        {
            using var copy = new MemoryStream();
            await set.ResponseStream.CopyToAsync(copy);
            copy.Position = 0;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = datasets, Key = "digits/tagged.json", InputStream = copy });
        }

        // Each host its own pipeline database (an outbox delivers only what its own role may publish); one shared registry.
        var registry = $"Data Source={Path.Combine(pipeline.Data, "registry.db")}";
        Dictionary<string, string> Settings(string role)
        {
            var settings = pipeline.Settings(Path.Combine(pipeline.Data, role));
            settings["Bus:Registry:ConnectionString"] = registry;
            settings["Bus:Aws:CallLog"] = Log(role);
            settings["Bus:Lifecycle:Promotion:Models:digits:Metrics:accuracy:Min"] = "0.5";
            settings["Bus:Lifecycle:Promotion:Models:digits:RequireApproval"] = "true";
            settings["Bus:Tagging:Datasets:digits"] = $"s3://{datasets}/digits/tagged.json";
            if (provisioned)
            {
                settings["Bus:Aws:CreateEntities"] = "false";
                settings["Bus:Aws:AccountId"] = Account;
            }

            return settings;
        }

        // One host per stage of the list, each named for its stage; the stages that serve (their own or an included stage's
        // queue is named for the host) are the ones whose host names shape the topology.
        var names = PipelineStages.All.ToDictionary(s => s.Name, s => s.Name + "-host");
        string[] perHost =
        [
            .. PipelineStages.All.Where(s => new[] { s }.Concat(s.Includes).SelectMany(t => t.Topology.Endpoints).Any(e => e.QueueFor("a") != e.QueueFor("b")))
                .SelectMany(s => new[] { "--host-name", names[s.Name] }),
        ];
        // The template, from the hosts' settings (as Bus__… variables) and their names; applied first when hosts create nothing.
        var exported = await HostedPipeline.Cli(Settings("tagging").ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value),
            ["topology", "export", "--format", "cloudformation", "--account", Account, "--scope", pipeline.Scope, .. perHost]);
        exported.ExitCode.Should().Be(0, exported.Error);
        var template = exported.Output;
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        using var sns = new SnsClient(EmulatorClients.Credentials, Region, emulator.ServiceUrl);
        if (provisioned)
            await new CloudFormationApplier(sqs, sns).ApplyAsync(template);

        var hosts = new List<HostProcess>();
        foreach (var (role, name) in names)
            hosts.Add(await HostProcess.StartAsync(name, [role], Settings(role), default));
        var lifecycleHost = hosts[names.Keys.ToList().IndexOf(LifecycleStage.StageName)];
        string AllLogs() => string.Join("\n", hosts.Select(h => $"--- {h.Name}\n{h.Log}"));
        var db = $"Data Source={Path.Combine(pipeline.Data, "lifecycle", "bus.db")}";
        var operatorEnvironment = new Dictionary<string, string> { ["Bus__Aws__CallLog"] = Log("operator") };
        if (provisioned)
        {
            operatorEnvironment["Bus__Aws__CreateEntities"] = "false";
            operatorEnvironment["Bus__Aws__AccountId"] = Account;
        }

        string[] cli = ["--db", db, "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope, "--wait", "90"];

        async Task Reach(string version, string state) => await pipeline.WaitFor(async () => await When_an_operator_uses_the_cli.State(db, version) == state,
            $"digits {version} {state}", TimeSpan.FromMinutes(2), AllLogs);
        async Task Operator(params string[] arguments)
        {
            var run = await HostedPipeline.Cli(operatorEnvironment, [.. arguments, .. cli]);
            run.ExitCode.Should().Be(0, $"bus {string.Join(' ', arguments)}: {run.Output}\n{run.Error}\n{AllLogs()}");
        }

        await Produce("1", trained);
        await Reach("1", "AwaitingApproval");
        await Operator("approve", "digits", "1", "--reason", "reviewed", "--by", "oncall@test");
        await Reach("1", "Deployed");
        using (var http = new HttpClient { BaseAddress = lifecycleHost.Url })
        {
            // A status asked of the lifecycle API goes over the bus: the host's temporary queue, and the saga's answer to it.
            http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
            var status = await http.GetAsync("/lifecycle/digits/1");
            status.IsSuccessStatusCode.Should().BeTrue(await status.Content.ReadAsStringAsync());
            // The dashboard looks up every stage's queue and failure queues (WatchPipelineQueues).
            var snapshot = await http.GetAsync("/dashboard/api/snapshot");
            snapshot.IsSuccessStatusCode.Should().BeTrue(await snapshot.Content.ReadAsStringAsync());
        }

        await Produce("2", weak);
        await Reach("2", "Rejected");
        await Produce("3", trained, sha256: new string('0', 64));
        await Reach("3", "Failed");
        await Produce("4", trained);
        await Reach("4", "AwaitingApproval");
        await Operator("reject", "digits", "4", "--reason", "bias on class 7", "--by", "oncall@test");
        await Produce("5", trained);
        await Reach("5", "AwaitingApproval");
        await Operator("approve", "digits", "5", "--reason", "reviewed", "--by", "oncall@test");
        await Reach("5", "Deployed");
        await Operator("rollback", "digits", "5", "--reason", "latency regression", "--by", "oncall@test");
        await Reach("1", "Deployed");
        foreach (var tag in new[] { "1", "5" })
        {
            await pipeline.WaitFor(async () => await Exists(s3, datasets, $"tags/digits/{tag}.json"), $"the tags of digits {tag}", TimeSpan.FromMinutes(2),
                AllLogs);
        }

        var topology = await HostedPipeline.Cli(operatorEnvironment, "topology", "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope);
        topology.ExitCode.Should().Be(0, topology.Error);
        var anchor = $"s3://{anchors}/anchors/head-1.json";
        (await HostedPipeline.Cli(operatorEnvironment, "audit", "anchor", "--out", anchor, "--db", db, "--service-url", emulator.ServiceUrl.ToString()))
            .ExitCode.Should().Be(0);
        (await HostedPipeline.Cli(operatorEnvironment, "audit", "verify", "--anchor", anchor, "--db", db, "--service-url", emulator.ServiceUrl.ToString()))
            .ExitCode.Should().Be(0);

        // The serving replica and the tagger may still be catching up; a clean stop deletes each host's temporary queue.
        await Task.Delay(TimeSpan.FromSeconds(3));
        foreach (var host in hosts)
            await host.DisposeAsync();

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings("tagging")!).Build();
        var failures = new List<string>();
        foreach (var role in RolePolicies.Roles)
        {
            var settings = IamSettings.From(configuration, Account, Region, pipeline.Scope) with
            {
                Provisioned = provisioned,
                HostNames = [names.GetValueOrDefault(role, "none")],
                AnchorLocation = $"s3://{anchors}/anchors/",
            };
            var policy = RolePolicies.For(role, settings);
            if (role != RolePolicies.Operator)
                policy.ToJson().Should().NotContain("\"*\"", $"no role but the operator's two account-wide lists gets a `*` resource ({role})");
            else
                policy.Statements.Where(s => s.Resources.Contains("*")).SelectMany(s => s.Actions).Should()
                    .BeEquivalentTo(["sqs:ListQueues", "sns:ListTopics"]);

            File.Exists(Log(role)).Should().BeTrue($"the {role} made AWS calls");
            var calls = AwsCallLog.Read(Log(role));
            var check = PolicyCheck.Run(policy, calls, Account, Region);
            var optional = string.Join(", ", check.UsedOptional.Select(u => $"{u.Action} {u.Resource}"));
            output.WriteLine($"{role}: {calls.Count} calls; optional grants used: {optional}");
            failures.AddRange(check.Denied.Select(d => $"{role} denied {d.Action} on {d.Resource}"));
            failures.AddRange(check.Unused.Select(u => $"{role} never used {u.Action} on {u.Resource} ({u.Sid})"));
        }

        failures.Should().BeEmpty(string.Join("\n", failures));
        if (!provisioned)
            await TemplateListsWhatTheHostsMade(sqs, sns, pipeline.Scope, template);

        async Task Produce(string version, JsonNode artifact, string? sha256 = null)
        {
            // The producer's own identity: it uploads its artifact and announces it; its calls go to its own log.
            var (bucket, key) = Split(artifact["artifactUri"]!.ToString());
            var from = key[..(key.LastIndexOf('/') + 1)];
            var to = $"digits/produced-{version}/";
            var objects = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = from })).S3Objects;
            var bytes = new Dictionary<string, byte[]>();
            foreach (var o in objects)
            {
                using var read = await s3.GetObjectAsync(bucket, o.Key);
                using var copy = new MemoryStream();
                await read.ResponseStream.CopyToAsync(copy);
                bytes[o.Key[from.Length..]] = copy.ToArray();
            }

            using (AwsCallLog.Scope(Log(RolePolicies.Producer)))
            {
                using var producerS3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, Region, emulator.ServiceUrl);
                foreach (var (name, content) in bytes)
                    await producerS3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = to + name, InputStream = new MemoryStream(content) });
                using var producerSns = new SnsClient(EmulatorClients.Credentials, Region, emulator.ServiceUrl);
                var topic = provisioned
                    ? AwsArns.Topic(Region, Account, $"{pipeline.Scope}-training-complete")
                    : await producerSns.CreateTopicAsync($"{pipeline.Scope}-training-complete");
                await producerSns.PublishAsync(topic, JsonSerializer.Serialize(new
                {
                    modelName = "digits",
                    modelVersion = version,
                    artifactUri = $"s3://{bucket}/{to}model.json",
                    artifactFormat = "tfjs-layers",
                    artifactSha256 = sha256 ?? artifact["artifactSha256"]!.ToString(),
                    producer = "trainer@test",
                }));
            }
        }
    }

    /// <summary>
    /// Every queue (but temporary ones), topic and subscription the hosts made is in the template, and every queue and
    /// subscription it lists was made.
    /// </summary>
    static async Task TemplateListsWhatTheHostsMade(IAmazonSQS sqs, SnsClient sns, string scope, string template)
    {
        var resources = JsonNode.Parse(template)!["Resources"]!.AsObject().ToDictionary(r => r.Key, r => r.Value!);
        IEnumerable<(string Id, JsonNode Properties)> OfType(string type) =>
            resources.Where(r => r.Value["Type"]!.GetValue<string>() == type).Select(r => (r.Key, r.Value["Properties"]!));
        var queues = OfType("AWS::SQS::Queue").ToDictionary(q => q.Id, q => q.Properties["QueueName"]!.GetValue<string>());
        var topics = OfType("AWS::SNS::Topic").ToDictionary(t => t.Id, t => t.Properties["TopicName"]!.GetValue<string>());
        var subscriptions = OfType("AWS::SNS::Subscription").Select(s =>
            (Topic: topics[s.Properties["TopicArn"]!["Ref"]!.GetValue<string>()],
                Queue: queues[s.Properties["Endpoint"]!["Fn::GetAtt"]![0]!.GetValue<string>()]))
            .ToHashSet();
        var mainQueues = OfType("AWS::SQS::Queue").Where(q => q.Properties["RedrivePolicy"] is not null).Select(q => queues[q.Id]).ToHashSet();

        var made = (await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = scope + "-", MaxResults = 1000 })).QueueUrls
            .Select(u => u[(u.LastIndexOf('/') + 1)..]).Where(n => !n.StartsWith($"{scope}-{EntityNames.TemporaryQueuePrefix}", StringComparison.Ordinal))
            .ToHashSet();
        made.Should().BeSubsetOf(queues.Values, "the template lists every queue the hosts create");
        mainQueues.Should().BeSubsetOf(made, "hosts receive from every queue the template lists");

        var madeTopics = (await sns.ListTopicsAsync()).Select(a => a[(a.LastIndexOf(':') + 1)..])
            .Where(n => n.StartsWith(scope + "-", StringComparison.Ordinal))
            .ToList();
        madeTopics.Should().BeSubsetOf(topics.Values, "the template lists every topic the hosts create");
        var madeSubscriptions = new HashSet<(string Topic, string Queue)>();
        foreach (var topic in madeTopics)
        {
            foreach (var subscription in await sns.ListSubscriptionsByTopicAsync(AwsArns.Topic(Region, Account, topic)))
                madeSubscriptions.Add((topic, subscription.Endpoint[(subscription.Endpoint.LastIndexOf(':') + 1)..]));
        }

        madeSubscriptions.Should().BeEquivalentTo(subscriptions, "the template subscribes exactly the queues the hosts subscribe");
        OfType("AWS::SQS::QueuePolicy").Select(p => p.Properties["Queues"]![0]!["Ref"]!.GetValue<string>()).Should()
            .BeEquivalentTo(OfType("AWS::SNS::Subscription").Select(s => s.Properties["Endpoint"]!["Fn::GetAtt"]![0]!.GetValue<string>()).Distinct(),
                "each subscribed queue has a policy letting its topics deliver");
        OfType("AWS::IAM::ManagedPolicy").Select(p => p.Properties["ManagedPolicyName"]!.GetValue<string>()).Should()
            .BeEquivalentTo(RolePolicies.Roles.Select(r => $"{scope}-bus-{r}"));
    }

    static (string Bucket, string Key) Split(string uri) =>
        Contracts.S3Uri.TryParse(uri, out var bucket, out var key) ? (bucket, key) : throw new ArgumentException(uri);

    static async Task<bool> Exists(IAmazonS3 s3, string bucket, string key)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, key);
            return true;
        }
        catch (AmazonS3Exception)
        {
            return false;
        }
    }
}
