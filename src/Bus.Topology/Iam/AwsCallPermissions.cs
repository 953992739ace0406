using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Diagnostics;

namespace Bus.Topology.Iam;

/// <summary>
/// The IAM permission an AWS call needs: the action IAM authorises it by (batch calls by their single action, HeadObject
/// by <c>s3:GetObject</c>, ...) and the ARN it acts on in the given account and region (<c>*</c> for the account-wide lists).
/// </summary>
public static class AwsCallPermissions
{
    public static (string Action, string Resource) Of(AwsCall call, string account, string region)
    {
        var name = call.Resource ?? "";
        return call.Service switch
        {
            "sqs" => call.Action switch
            {
                "ListQueues" => ("sqs:ListQueues", "*"),
                _ => ("sqs:" + Single(call.Action), AwsArns.Queue(region, account, name)),
            },
            "sns" => call.Action switch
            {
                "ListTopics" => ("sns:ListTopics", "*"),
                _ => ("sns:" + Single(call.Action), AwsArns.Topic(region, account, name)),
            },
            "s3" => call.Action switch
            {
                "GetObject" or "HeadObject" or "GetObjectMetadata" => ("s3:GetObject", AwsArns.S3(region, name)),
                "GetObjectLockConfiguration" => ("s3:GetBucketObjectLockConfiguration", AwsArns.S3(region, name.Split('/')[0])),
                "ListObjects" or "ListObjectsV2" => ("s3:ListBucket", AwsArns.S3(region, name.Split('/')[0])),
                _ => ("s3:" + call.Action, AwsArns.S3(region, name)),
            },
            _ => ($"{call.Service}:{call.Action}", name),
        };
    }

    static string Single(string action) => action.EndsWith("Batch", StringComparison.Ordinal) ? action[..^"Batch".Length] : action;
}
