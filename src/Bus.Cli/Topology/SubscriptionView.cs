namespace Bus.Cli.Topology;

/// <summary>One subscription of a topic; <see cref="Queue"/> when it delivers to a queue of this pipeline.</summary>
sealed record SubscriptionView(string Protocol, string Endpoint, QueueDepth? Queue);
