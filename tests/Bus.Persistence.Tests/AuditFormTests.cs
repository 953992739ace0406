using System.Security.Cryptography;
using System.Text;
using Bus.Persistence.Audit;

namespace Bus.Persistence.Tests;

/// <summary>The canonical form as docs/governance.md writes it out for an auditor, checked against the hash the log computes.</summary>
public class When_an_auditor_hashes_a_row_by_the_documented_form
{
    [Fact]
    public void Should_get_the_hash_the_log_stored()
    {
        var entry = new AuditEntry
        {
            ModelName = "digits",
            ModelVersion = "7",
            ModelVersionId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            FromState = "Approved",
            ToState = "Deployed",
            Event = "ModelDeployed",
            ActorKind = "message",
            ActorName = "deployer",
            Channel = "topic=model-deployed",
            Host = "host-a:42",
            ArtifactUri = "s3://bus-models/digits/7/model.json",
            ArtifactSha256 = new string('a', 64),
            Metrics = "{\"accuracy\":0.97}",
            Decision = "promote",
            Reasons = "passed",
            Detail = "serving at alias revision 3",
            AliasRevision = 3,
            ServedFrom = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
            ServedUntil = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_100_456),
            MessageId = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            TraceId = "0af7651916cd43dd8448eb211c80319c",
        };
        var previous = new string('0', 64);
        var documented = "{\"v\":1,\"prev\":\"" + previous + "\",\"at\":1700000200789,\"model\":\"digits\",\"version\":\"7\"," +
            "\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"from\":\"Approved\",\"to\":\"Deployed\",\"event\":\"ModelDeployed\"," +
            "\"actorKind\":\"message\",\"actor\":\"deployer\",\"channel\":\"topic=model-deployed\",\"host\":\"host-a:42\"," +
            "\"artifact\":\"s3://bus-models/digits/7/model.json\",\"sha256\":\"" + new string('a', 64) + "\"," +
            "\"metrics\":\"{\\u0022accuracy\\u0022:0.97}\",\"decision\":\"promote\",\"reasons\":\"passed\",\"detail\":\"serving at alias revision 3\"," +
            "\"aliasRevision\":\"3\",\"servedFrom\":\"1700000000123\",\"servedUntil\":\"1700000100456\"," +
            "\"messageId\":\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"," +
            "\"traceId\":\"0af7651916cd43dd8448eb211c80319c\"}";

        AuditChain.Hash(previous, 1_700_000_200_789, entry).Should().Be(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(documented))));
    }

    [Fact]
    public void Should_write_absent_fields_as_null()
    {
        var entry = new AuditEntry
        {
            ModelName = "digits",
            ModelVersion = "7",
            ModelVersionId = Guid.Empty,
            ToState = "Failed",
            Event = "TrainingCompleted",
            ActorKind = "message",
        };
        var documented = "{\"v\":1,\"prev\":\"p\",\"at\":5,\"model\":\"digits\",\"version\":\"7\",\"id\":\"00000000-0000-0000-0000-000000000000\"," +
            "\"from\":null,\"to\":\"Failed\",\"event\":\"TrainingCompleted\",\"actorKind\":\"message\",\"actor\":null,\"channel\":null,\"host\":null," +
            "\"artifact\":null,\"sha256\":null,\"metrics\":null,\"decision\":null,\"reasons\":null,\"detail\":null,\"aliasRevision\":null," +
            "\"servedFrom\":null,\"servedUntil\":null,\"messageId\":null,\"traceId\":null}";

        AuditChain.Hash("p", 5, entry).Should().Be(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(documented))));
    }
}
