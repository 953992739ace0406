using Amazon.Runtime;
using Amazon.S3;
using Bus.Ml;
using Bus.Registry;
using Bus.Stages;
using Bus.Stages.Serving;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bus.Host.Tests;

/// <summary>A serving replica is not ready before it has read the registry: it would answer 404 for a champion it is about to load.</summary>
public class A_serving_replica_that_has_not_read_the_registry
{
    [Fact]
    public async Task Should_not_be_ready_until_it_has()
    {
        var data = Directory.CreateTempSubdirectory("bus-serving-ready-").FullName;
        try
        {
            using var s3 = new AmazonS3Client(new BasicAWSCredentials("test", "test"),
                new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true });
            using var server = new ModelServer();
            var follower = new ChampionFollower(new ModelRegistry(Path.Combine(data, "registry.db")), new S3ArtifactStore(s3), server,
                NullLogger<ChampionFollower>.Instance);
            var check = new ServingHealthCheck(follower, server);

            var before = await check.CheckHealthAsync(new HealthCheckContext());
            before.Status.Should().Be(HealthStatus.Unhealthy);
            before.Description.Should().Contain("has not read the model registry");

            (await follower.CatchUpAllAsync(default)).Should().BeEmpty("the registry is empty");
            var after = await check.CheckHealthAsync(new HealthCheckContext());
            after.Status.Should().Be(HealthStatus.Healthy, after.Description);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
