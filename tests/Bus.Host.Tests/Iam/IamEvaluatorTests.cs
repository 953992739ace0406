using Bus.Topology.Iam;

namespace Bus.Host.Tests.Iam;

public class The_IAM_evaluator
{
    const string Policy = """
        {"Version":"2012-10-17","Statement":[
          {"Sid":"A","Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:Get*"],"Resource":"arn:aws:sqs:us-east-1:123456789012:prod-*"},
          {"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::models/digits/?/model.json"]}]}
        """;

    [Theory]
    [InlineData("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:prod-evaluate-model", true)]
    [InlineData("SQS:receivemessage", "arn:aws:sqs:us-east-1:123456789012:prod-evaluate-model", true)]
    [InlineData("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:123456789012:prod-x", true)]
    [InlineData("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:prod-evaluate-model", false)]
    [InlineData("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:Prod-evaluate-model", false)]
    [InlineData("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:999999999999:prod-evaluate-model", false)]
    [InlineData("s3:GetObject", "arn:aws:s3:::models/digits/1/model.json", true)]
    [InlineData("s3:GetObject", "arn:aws:s3:::models/digits/12/model.json", false)]
    public void Should_allow_what_an_Allow_statement_matches_with_IAM_wildcards(string action, string resource, bool allowed) =>
        IamEvaluator.Parse(Policy).Allows(action, resource).Should().Be(allowed);

    [Theory]
    [InlineData("""{"Statement":[{"Effect":"Deny","Action":"sqs:*","Resource":"*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","NotAction":"sqs:*","Resource":"*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}""")]
    public void Should_refuse_what_it_cannot_judge_rather_than_ignore_it(string policy) =>
        FluentActions.Invoking(() => IamEvaluator.Parse(policy)).Should().Throw<NotSupportedException>();
}
