namespace Bus.Topology.Iam;

/// <summary>
/// One Allow statement of a generated policy. <see cref="Required"/>: every run of the role uses each of its actions on
/// each of its resources; otherwise <see cref="When"/> says when it is needed (a failure, a long job, a clean stop), and
/// a run may never use it.
/// </summary>
public sealed record IamStatement(string Sid, IReadOnlyList<string> Actions, IReadOnlyList<string> Resources, string? When = null)
{
    public bool Required => When is null;
}
