using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Bus.Transport.AmazonSqs.Diagnostics;

/// <summary>
/// The outermost handler of an SDK client's pipeline: it records each call once (before retries) with what it acts on,
/// read from the request's <c>QueueUrl</c>/<c>QueueName</c> or <c>BucketName</c>/<c>Key</c>.
/// </summary>
sealed class AwsCallHandler(string service) : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        Record(executionContext);
        base.InvokeSync(executionContext);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        Record(executionContext);
        return base.InvokeAsync<T>(executionContext);
    }

    void Record(IExecutionContext executionContext)
    {
        if (AwsCallLog.Current is not { } log)
            return;
        var request = executionContext.RequestContext.OriginalRequest;
        var type = request.GetType();
        var action = type.Name.EndsWith("Request", StringComparison.Ordinal) ? type.Name[..^"Request".Length] : type.Name;
        string? Text(string property) => type.GetProperty(property)?.GetValue(request) as string;

        var queue = Text("QueueUrl") is { Length: > 0 } url ? AwsCallLog.QueueOf(url) : Text("QueueName");
        var bucket = Text("BucketName");
        var resource = queue ?? (bucket is null ? null : Text("Key") is { Length: > 0 } key ? $"{bucket}/{key}" : bucket);
        log.Record(new AwsCall(service, action, resource));

        // An object written with a retention period also needs the right to set retention.
        if (type.GetProperty("ObjectLockRetainUntilDate")?.GetValue(request) is DateTime { } until && until != default)
            log.Record(new AwsCall(service, "PutObjectRetention", resource));
    }
}
