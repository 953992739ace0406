using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Diagnostics;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>The AWS call log (what `bus iam-policy --check` judges) and the provisioned mode, with nothing listening: no call may be needed to pass.</summary>
public class The_AWS_call_log
{
    static readonly Uri Nowhere = new("http://127.0.0.1:9/");
    static readonly AWSCredentials Credentials = new BasicAWSCredentials("test", "test");

    [Fact]
    public async Task Should_record_each_SDK_and_SNS_call_once_with_what_it_acts_on_within_its_scope_only()
    {
        var path = Path.Combine(Path.GetTempPath(), $"calls-{Guid.NewGuid():N}.jsonl");
        using (AwsCallLog.Scope(path))
        {
            using var sqs = new AmazonSQSClient(Credentials, new AmazonSQSConfig { ServiceURL = Nowhere.ToString(), MaxErrorRetry = 2 });
            await FluentActions.Awaiting(() => sqs.SendMessageAsync(new SendMessageRequest("http://127.0.0.1:9/000000000000/prod-evaluate-model", "{}")))
                .Should().ThrowAsync<Exception>();
            await FluentActions.Awaiting(() => sqs.GetQueueUrlAsync("prod-deploy-model")).Should().ThrowAsync<Exception>();
            using var sns = new SnsClient(Credentials, "us-east-1", Nowhere) { MaxAttempts = 1 };
            await FluentActions.Awaiting(() => sns.PublishAsync("arn:aws:sns:us-east-1:000000000000:prod-model-evaluated", "{}"))
                .Should().ThrowAsync<SnsException>();
        }

        using (var outside = new AmazonSQSClient(Credentials, new AmazonSQSConfig { ServiceURL = Nowhere.ToString(), MaxErrorRetry = 0 }))
            await FluentActions.Awaiting(() => outside.GetQueueUrlAsync("not-recorded")).Should().ThrowAsync<Exception>();

        AwsCallLog.Read(path).Should().Equal(
            new AwsCall("sqs", "SendMessage", "prod-evaluate-model"),
            new AwsCall("sqs", "GetQueueUrl", "prod-deploy-model"),
            new AwsCall("sns", "Publish", "prod-model-evaluated"));
        File.Delete(path);
    }

    [Fact]
    public async Task Should_build_topic_ARNs_and_subscribe_nothing_where_infrastructure_as_code_made_the_entities()
    {
        await using var client = new SqsEntityClient(new AmazonSqsHostSettings
        {
            ServiceUrl = Nowhere,
            Credentials = Credentials,
            Region = "eu-west-1",
            CreateEntities = false,
            AccountId = "123456789012",
        });
        (await client.GetTopicArnAsync("prod-model-evaluated")).Should().Be("arn:aws:sns:eu-west-1:123456789012:prod-model-evaluated");
        await client.SubscribeAsync("prod-model-evaluated", "prod-model-lifecycle", rawMessageDelivery: true, filterPolicy: null);
    }
}
