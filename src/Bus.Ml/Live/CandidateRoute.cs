namespace Bus.Ml.Live;

/// <summary>
/// A candidate under rollout beside a model's champion: its share of callers and of mirrored comparisons; in a shadow
/// rollout, the share of requests copied to it instead (the champion answers every caller).
/// </summary>
public sealed record CandidateRoute(ServedModel Candidate, int TrafficPercent, double AgreementSample, TimeSpan ReportInterval, bool Shadow = false)
{
    /// <summary>Whether this request is copied to a shadow candidate.</summary>
    public bool Copies() => Shadow && Random.Shared.Next(100) < TrafficPercent;

    /// <summary>
    /// Whether a caller goes to the candidate: by a stable hash of its route key and the candidate, so one caller sees one
    /// version for the whole step (and keeps it as the share grows).
    /// </summary>
    public bool Takes(string routeKey) => !Shadow && Bucket(routeKey, Candidate.VersionId) < TrafficPercent;

    /// <summary>0-99 from FNV-1a over the key and the version: the same for a caller on every replica.</summary>
    public static int Bucket(string routeKey, Guid versionId)
    {
        var hash = 2166136261u;
        foreach (var c in $"{versionId:N}/{routeKey}")
            hash = (hash ^ c) * 16777619u;
        return (int)(hash % 100);
    }
}
