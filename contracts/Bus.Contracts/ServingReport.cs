namespace Bus.Contracts;

/// <summary>
/// One serving replica's measurements of a model under rollout over one window: the candidate's and the champion's,
/// as counts and histograms that add up across replicas (the lifecycle saga sums them and judges the candidate).
/// </summary>
[Stage("serving.report")]
public sealed record ServingReport
{
    /// <summary>The candidate under rollout: the saga the report is for.</summary>
    public required Guid CandidateVersionId { get; init; }
    public required string ModelName { get; init; }

    /// <summary>The reporting replica (its host name); with <see cref="WindowStart"/>, a report is counted once.</summary>
    public required string Replica { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    public required DateTimeOffset WindowEnd { get; init; }
    public required VersionWindow Candidate { get; init; }
    public required VersionWindow Champion { get; init; }
}
