namespace Bus.Contracts;

/// <summary>
/// What a <see cref="TrainingCompleted"/> must satisfy before the lifecycle takes it: the lifecycle saga refuses an
/// announcement that breaks one (the version becomes Rejected with the reason) and <c>bus publish</c> refuses it before
/// sending, with the same words. A producer may check its own announcement with it too.
/// </summary>
public static class AnnouncementRules
{
    /// <summary>Every rule the announcement breaks, in a sentence each; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> Problems(TrainingCompleted message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var problems = new List<string>();
        if (ModelVersionKey.Problem(message.ModelName, message.ModelVersion) is { } names)
            problems.Add(names);
        if (!S3Uri.IsValid(message.ArtifactUri))
            problems.Add($"artifactUri must be s3://bucket/key (got '{message.ArtifactUri}')");
        if (!ArtifactFormats.All.Contains(message.ArtifactFormat, StringComparer.Ordinal))
            problems.Add($"artifactFormat must be one of {string.Join(", ", ArtifactFormats.All.Select(f => $"'{f}'"))} (got '{message.ArtifactFormat}')");
        if (message.Task is not null && !EvaluationTasks.All.Contains(message.Task, StringComparer.Ordinal))
            problems.Add($"task must be one of {string.Join(", ", EvaluationTasks.All.Select(t => $"'{t}'"))} when given (got '{message.Task}')");
        if (!IsSha256(message.ArtifactSha256))
            problems.Add("artifactSha256 must be 64 hex digits");
        if (message.ValidationSetUri is not null && !S3Uri.IsValid(message.ValidationSetUri))
            problems.Add($"validationSetUri must be s3://bucket/key when given (got '{message.ValidationSetUri}')");
        if (message.DatasetUri is not null && !S3Uri.IsValid(message.DatasetUri))
            problems.Add($"datasetUri must be s3://bucket/key when given (got '{message.DatasetUri}')");
        return problems;
    }

    /// <summary>The problems in one line, or null when there are none.</summary>
    public static string? Validate(TrainingCompleted message) => Problems(message) is { Count: > 0 } problems ? string.Join("; ", problems) : null;

    /// <summary>A sha256 as 64 hex digits (either case).</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);
}
