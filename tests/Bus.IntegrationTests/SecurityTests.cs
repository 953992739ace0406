using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>A host's HTTP doors, tried as a stranger, a viewer and an operator would; then stopped as a supervisor does.</summary>
[Collection(EmulatorCollection.Name)]
public class When_callers_knock_on_a_hosts_http_doors(EmulatorFixture emulator, ITestOutputHelper output)
{
    const string OperatorKey = "operator-key-for-tests-only";
    const string ViewerKey = "viewer-key-for-tests-only";

    static string Sha(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    static HttpRequestMessage Rollback(string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/lifecycle/digits/1/rollback")
        {
            Content = JsonContent.Create(new { reason = "latency regression", requestedBy = "someone-else@forged" }),
        };
        if (key is not null)
            request.Headers.Add("Authorization", $"ApiKey {key}");
        return request;
    }

    [Fact]
    public async Task Should_let_only_operators_manage_limit_predictions_and_stop_cleanly()
    {
        using var pipeline = new HostedPipeline(emulator, "sec", output);
        var settings = pipeline.Settings(Path.Combine(pipeline.Data, "host"));
        settings["Bus:Security:ApiKeys:oncall:Sha256"] = Sha(OperatorKey);
        settings["Bus:Security:ApiKeys:oncall:Roles:0"] = "operator";
        settings["Bus:Security:ApiKeys:dashboard:Sha256"] = Sha(ViewerKey);
        settings["Bus:Security:ApiKeys:dashboard:Roles:0"] = "viewer";
        settings["Bus:Security:Predict:MaxBodyBytes"] = "8192";
        settings["Bus:Security:Predict:MaxInstances"] = "4";
        var host = await HostProcess.StartAsync("secured", ["lifecycle", "deployment"], settings, default);
        try
        {
            using var http = new HttpClient { BaseAddress = host.Url };

            (await http.SendAsync(Rollback(null))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await http.SendAsync(Rollback("not-a-key"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await http.SendAsync(Rollback(ViewerKey))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
            var accepted = await http.SendAsync(Rollback(OperatorKey));
            accepted.StatusCode.Should().Be(HttpStatusCode.Accepted);
            (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["requestedBy"]!.ToString().Should().Be("apikey:oncall", "the actor is the principal, not the body's claim");

            var big = new { instances = Enumerable.Range(0, 40).Select(_ => new float[64]).ToArray() };
            (await http.PostAsJsonAsync("/models/digits/predict", big)).StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, "the body is over 8 KiB");
            var many = new { instances = Enumerable.Range(0, 5).Select(_ => new float[1]).ToArray() };
            (await http.PostAsJsonAsync("/models/digits/predict", many)).StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, "5 instances, the cap is 4");
            (await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } })).StatusCode.Should().Be(HttpStatusCode.NotFound);

            var anonymous = JsonNode.Parse(await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative)))!.AsObject();
            anonymous.Select(p => p.Key).Should().Equal("status");
            using var asOperator = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
            asOperator.Headers.Add("X-Api-Key", OperatorKey);
            var detailed = JsonNode.Parse(await (await http.SendAsync(asOperator)).Content.ReadAsStringAsync())!;
            detailed["checks"]!["pipeline-database"]!["status"]!.ToString().Should().Be("Healthy");
        }
        finally
        {
            var exitCode = await host.TerminateAsync();
            await host.DisposeAsync();
            exitCode.Should().Be(0, $"SIGTERM is a clean stop, not a crash:\n{host.Log}");
        }
    }
}
