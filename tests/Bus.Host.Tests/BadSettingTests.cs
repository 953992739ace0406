using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Bus.Host.Tests;

/// <summary>Every options section is checked at start: a host with a bad setting refuses to start and names the setting.</summary>
public class A_host_with_a_bad_setting
{
    public static TheoryData<string, string, string> Settings() => new()
    {
        { "Bus:Host:Stages:0", "nosuch", "Bus:Host:Stages" },
        { "Bus:Aws:ServiceUrl", "not a url", "Bus:Aws:ServiceUrl" },
        { "Bus:Aws:QueueDepthInterval", "-00:00:01", "Bus:Aws:QueueDepthInterval" },
        { "Bus:Security:Predict:MaxConcurrency", "0", "Bus:Security:Predict" },
        { "Bus:Security:ApiKeys:ops:Sha256", "abc", "Bus:Security:ApiKeys:ops:Sha256" },
        { "Bus:Security:Jwt:SigningKey", "not base64!", "Bus:Security:Jwt:SigningKey" },
        { "Bus:Lifecycle:MaxEvaluationAttempts", "0", "Bus:Lifecycle:MaxEvaluationAttempts" },
        { "Bus:Evaluation:Default:Threshold", "2", "Bus:Evaluation:Default:Threshold" },
        { "Bus:Evaluation:Models:digits:Task", "ranking", "Bus:Evaluation:Models:digits:Task" },
        { "Bus:Serving:ReconcileInterval", "-00:00:01", "Bus:Serving:ReconcileInterval" },
        { "Bus:Tagging:Datasets:digits", "http://example/data.json", "Bus:Tagging:Datasets:digits" },
        { "Bus:Observability:VersionCountInterval", "00:00:00", "Bus:Observability:VersionCountInterval" },
        { "Bus:Observability:TraceUrl", "http://viewer/trace", "Bus:Observability:TraceUrl" },
        { "Bus:Outbox:BatchSize", "0", "Bus:Outbox:BatchSize" },
        { "Bus:Evaluation:Limits:MaxActivationBytes", "0", "Bus:Evaluation:Limits:MaxActivationBytes" },
        { "Bus:Security:Predict:MaxActivationBytes", "-1", "Bus:Security:Predict:MaxActivationBytes" },
        { "Bus:Lifecycle:Rollout:Default:Mode", "Sideways", "Bus:Lifecycle:Rollout:Default:Mode" },
        { "Bus:Lifecycle:Rollout:Models:digits:Steps:0", "100", "Bus:Lifecycle:Rollout:Models:digits:Steps" },
        { "Bus:Lifecycle:Rollout:Models:digits:JudgmentInterval", "00:30:00", "Bus:Lifecycle:Rollout:Models:digits:JudgmentInterval" },
        { "Bus:Lifecycle:Rollout:Default:Guardrails:MinAgreement", "1.5", "Bus:Lifecycle:Rollout:Default:Guardrails:MinAgreement" },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task Should_refuse_to_start_and_name_it(string key, string value, string named)
    {
        // Hosts resolve their services (the S3 client among them) before checking options, as any host has credentials.
        foreach (var variable in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" })
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
                Environment.SetEnvironmentVariable(variable, "test");
        }

        var data = Directory.CreateTempSubdirectory("bus-bad-setting-").FullName;
        try
        {
            var start = async () =>
            {
                var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Bus:Host:DataDirectory"] = data,
                    // Nothing may be reached: the refusal must come before the bus or any stage starts.
                    ["Bus:Aws:ServiceUrl"] = "http://127.0.0.1:9",
                    ["urls"] = "http://127.0.0.1:0",
                    [key] = value,
                });
                builder.AddBusHost();
                builder.AddBusSecurity();
                await using var app = builder.Build();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await app.StartAsync(timeout.Token);
                await app.StopAsync(timeout.Token);
            };

            (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(named);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
