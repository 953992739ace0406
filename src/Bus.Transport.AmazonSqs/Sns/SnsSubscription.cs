namespace Bus.Transport.AmazonSqs.Sns;

public sealed record SnsSubscription(string SubscriptionArn, string Protocol, string Endpoint, string TopicArn);
