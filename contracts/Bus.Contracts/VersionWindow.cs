namespace Bus.Contracts;

/// <summary>What one version did in one window on one replica.</summary>
public sealed record VersionWindow
{
    public required Guid ModelVersionId { get; init; }
    public long Requests { get; init; }

    /// <summary>Requests that failed on the model's side: a run that threw, an answer that is not a finite number.</summary>
    public long Errors { get; init; }

    /// <summary>Requests by latency, in the buckets of <see cref="LatencyBuckets.UpperBoundsMs"/> (the last one open).</summary>
    public long[] Latency { get; init; } = [];

    /// <summary>Answers by predicted class (argmax), or for one output by tenth of [0, 1]; what the stability index compares.</summary>
    public long[] Outputs { get; init; } = [];

    /// <summary>Requests also run on the other version (the mirrored sample), those whose predicted class agreed, and Σ|difference|.</summary>
    public long Compared { get; init; }
    public long Agreed { get; init; }
    public double AbsoluteDifference { get; init; }

    /// <summary>Predictions a client sent a label for (feedback), those predicted right, and Σ(prediction − label)² for one output.</summary>
    public long Labeled { get; init; }
    public long Correct { get; init; }
    public double SquaredError { get; init; }
}
