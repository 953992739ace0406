namespace Bus.Cli.Topology;

/// <summary>A stage topic and the subscriptions that fan it out.</summary>
sealed record TopicView(string Stage, string Name, string Arn, IReadOnlyList<SubscriptionView> Subscriptions);
