using System.Net.Http.Json;
using Bus.Persistence.Audit;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// One model version is one trace: the TF.js job starts it and announces the version with its context, and the lifecycle,
/// evaluation and deployment hosts, three processes exporting OTLP to a collector inside the test, continue it through
/// SNS, SQS and their outboxes to ModelDeployed. Every span's parent is a span of the same trace, and every audit record
/// of the version carries the trace id. The same processes export their metrics: the pipeline's latency to each state,
/// the evaluation's duration and throughput, inference requests by outcome, per-queue processing, lag and depth, the outbox backlog.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_a_model_version_goes_through_the_pipeline(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_be_one_trace_across_the_job_and_every_host_and_export_the_metrics_operators_page_on()
    {
        using var collector = new OtlpCollector();
        using var pipeline = new HostedPipeline(emulator, "trace", output);
        var registry = $"Data Source={Path.Combine(pipeline.Data, "registry.db")}";
        var names = new Dictionary<string, string> { ["lifecycle"] = "lifecycle-host", ["evaluation"] = "evaluator", ["deployment"] = "deployer" };
        var hosts = new List<HostProcess>();
        try
        {
            foreach (var (role, name) in names)
            {
                var settings = pipeline.Settings(Path.Combine(pipeline.Data, role));
                settings["Bus:Registry:ConnectionString"] = registry;
                settings["Bus:Lifecycle:Promotion:Models:digits:Metrics:accuracy:Min"] = "0.5";
                settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString();
                settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                settings["OTEL_BSP_SCHEDULE_DELAY"] = "250";
                settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
                settings["Bus:Aws:QueueDepthInterval"] = "00:00:01";
                settings["Bus:Observability:VersionCountInterval"] = "00:00:01";
                hosts.Add(await HostProcess.StartAsync(name, [role], settings, default));
            }

            string Logs() => string.Join("\n", hosts.Select(h => $"--- {h.Name}\n{h.Log}")) + "\n" + string.Join("\n", collector.Problems);
            var db = $"Data Source={Path.Combine(pipeline.Data, "lifecycle", "bus.db")}";
            var trained = await pipeline.TrainAsync("1", announce: true, environment: new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
                ["TRACESTATE"] = "bus=ci",
            });
            var traceId = trained["traceId"]!.GetValue<string>();
            traceId.Should().MatchRegex("^[0-9a-f]{32}$");
            await pipeline.WaitFor(async () => await When_an_operator_uses_the_cli.State(db, "1") == "Deployed", "digits 1 deployed",
                TimeSpan.FromMinutes(2), Logs);

            // Inference on the deployed version: one good request, one of the wrong shape.
            using (var http = new HttpClient { BaseAddress = hosts[2].Url })
            {
                var good = await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } });
                good.IsSuccessStatusCode.Should().BeTrue(await good.Content.ReadAsStringAsync());
                (await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[3] } })).StatusCode
                    .Should().Be(System.Net.HttpStatusCode.BadRequest);
            }

            // The versions gauge counts the database every second here (30 s by default): wait for the count after the deployment.
            await pipeline.WaitFor(() => Task.FromResult(collector.Points.Any(p => p.Service == "lifecycle-host" && p.Metric == "bus.pipeline.versions"
                && p.Attributes.GetValueOrDefault("bus.state") == "Deployed")), "the deployed version counted", TimeSpan.FromSeconds(30), Logs);

            // Stopped with SIGTERM, each host flushes what it has not exported yet.
            foreach (var host in hosts)
                (await host.TerminateAsync()).Should().Be(0, Logs());
            collector.Problems.Should().BeEmpty();

            var spans = collector.Spans.Where(s => s.TraceId == traceId).ToList();
            string Describe(CollectedSpan s) => $"{s.Service}/{s.Scope}: {s.Name} ({s.SpanId} <- {s.ParentSpanId ?? "root"})";
            var listing = string.Join("\n", spans.Select(Describe));
            spans.Select(s => s.Service).Distinct().Should().BeEquivalentTo(["training-job", .. names.Values], listing);

            var byId = spans.ToDictionary(s => s.SpanId);
            spans.Where(s => s.ParentSpanId is null).Select(s => s.Name).Should().Equal(["train digits 1"], "the job's span is the one root: " + listing);
            spans.Where(s => s.ParentSpanId is not null && !byId.ContainsKey(s.ParentSpanId)).Select(Describe)
                .Should().BeEmpty("every span's parent is a span of this trace, exported by the process that made it");

            string? ParentService(CollectedSpan s) => s.ParentSpanId is { } p ? byId[p].Service : null;
            bool Edge(string from, string to, string? name = null) =>
                spans.Any(s => s.Service == to && ParentService(s) == from && (name is null || s.Name.StartsWith(name, StringComparison.Ordinal)));
            Edge("training-job", "lifecycle-host", "process ").Should().BeTrue("the lifecycle processes the announcement as the job's child: " + listing);
            Edge("lifecycle-host", "evaluator").Should().BeTrue("the lifecycle asked for the evaluation: " + listing);
            Edge("lifecycle-host", "deployer").Should().BeTrue("the lifecycle asked for the deployment: " + listing);
            Edge("deployer", "lifecycle-host").Should().BeTrue("the deployment's event reached the saga: " + listing);
            spans.Where(s => s.Scope == TransportTracing.SourceName).Should().OnlyContain(s => s.TraceState == "bus=ci", "tracestate rides along");

            // The work itself: S3 reads, conversion, the evaluation with its samples, the canary and the registry's move.
            bool Has(string service, string name) => spans.Any(s => s.Service == service && s.Name == name);
            Has("evaluator", "S3.GetObject").Should().BeTrue(listing);
            Has("evaluator", "artifact.convert").Should().BeTrue(listing);
            var evaluation = spans.Single(s => s.Service == "evaluator" && s.Name == "evaluate digits 1");
            (evaluation.Attributes["bus.role"], evaluation.Attributes["bus.model.name"]).Should().Be(("candidate", "digits"));
            int.Parse(evaluation.Attributes["bus.samples"], System.Globalization.CultureInfo.InvariantCulture).Should().BePositive();
            Has("deployer", "canary digits 1").Should().BeTrue(listing);
            spans.Single(s => s.Service == "deployer" && s.Name == "registry.promote digits 1").Attributes["bus.alias.revision"].Should().Be("1");

            var records = await new AuditLog(db).ReadAsync("digits").Where(r => r.Entry.ModelVersion == "1").ToListAsync();
            records.Select(r => r.Entry.ToState).Should().Contain(["Evaluating", "Approved", "Deployed"]);
            records.Should().OnlyContain(r => r.Entry.TraceId == traceId, "every audit record of the version names its trace");

            // The metrics, as the collector received them from each process.
            IEnumerable<CollectedPoint> Points(string service, string metric, params (string Key, string Value)[] tags) =>
                collector.Points.Where(p => p.Service == service && p.Metric == metric && tags.All(t => p.Attributes.GetValueOrDefault(t.Key) == t.Value));
            var metrics = string.Join("\n", collector.Points.Select(p => $"{p.Service} {p.Metric} {string.Join(",", p.Attributes)}").Distinct());
            Points("lifecycle-host", "bus.pipeline.time_to_state", ("bus.model.name", "digits"), ("bus.state", "Deployed"))
                .Should().Contain(p => p.Count >= 1 && p.Unit == "s", metrics);
            Points("evaluator", "bus.evaluation.duration", ("bus.model.name", "digits"), ("bus.role", "candidate"))
                .Should().Contain(p => p.Count >= 1, metrics);
            Points("evaluator", "bus.evaluation.throughput", ("bus.model.name", "digits")).Should().Contain(p => p.Count >= 1 && p.Value > 0, metrics);
            Points("deployer", "bus.inference.requests", ("bus.model.name", "digits"), ("bus.model.version", "1"), ("bus.outcome", "ok"))
                .Should().Contain(p => p.Value >= 1, metrics);
            Points("deployer", "bus.inference.requests", ("bus.outcome", "bad_request")).Should().Contain(p => p.Value >= 1, metrics);
            Points("deployer", "bus.inference.duration", ("bus.outcome", "ok")).Should().Contain(p => p.Count >= 1, metrics);
            var evaluateQueue = $"{pipeline.Scope}-evaluate-model";
            Points("evaluator", "bus.sqs.process.duration", (TransportMetrics.QueueTag, evaluateQueue), ("bus.outcome", "processed"))
                .Should().Contain(p => p.Count >= 1, metrics);
            Points("evaluator", "bus.sqs.message.lag", (TransportMetrics.QueueTag, evaluateQueue)).Should().Contain(p => p.Count >= 1, metrics);
            Points("evaluator", "bus.sqs.queue.depth", (TransportMetrics.QueueTag, evaluateQueue)).Should().NotBeEmpty(metrics);
            Points("lifecycle-host", "bus.outbox.backlog").Should().NotBeEmpty(metrics);
            Points("lifecycle-host", "bus.pipeline.versions", ("bus.model.name", "digits"), ("bus.state", "Deployed"))
                .Should().Contain(p => p.Value == 1, "one version of digits is deployed: " + metrics);
        }
        finally
        {
            foreach (var host in hosts)
                await host.DisposeAsync();
        }
    }
}
