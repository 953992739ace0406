namespace Bus.Transport.AmazonSqs.Sns;

public sealed record SnsBatchResult(IReadOnlyList<string> SuccessfulIds, IReadOnlyList<(string Id, string Code, string Message, bool SenderFault)> Failed);
