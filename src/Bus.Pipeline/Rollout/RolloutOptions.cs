namespace Bus.Pipeline.Rollout;

/// <summary>Configuration section <c>Bus:Lifecycle:Rollout</c>: the default rollout policy and per-model ones.</summary>
public sealed class RolloutOptions
{
    public RolloutPolicy Default { get; set; } = new();

    public Dictionary<string, RolloutPolicy> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The policy of <paramref name="modelName"/>: its own settings, else the default's, else the built-in defaults.</summary>
    public ResolvedRolloutPolicy For(string modelName) =>
        ResolvedRolloutPolicy.From(Models.GetValueOrDefault(modelName), Default);
}
