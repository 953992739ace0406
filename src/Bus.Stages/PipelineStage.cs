using MassTransit;

namespace Bus.Stages;

/// <summary>
/// One stage of the pipeline, all in one place: the name <c>Bus:Host:Stages</c> picks it by, what it does, its registration
/// (its consumer or saga, its options and their validation, its dependencies and health checks), its AWS footprint (the
/// queues it receives from, the types it publishes, the queues it sends to, what it reads in S3: the IAM policies and the
/// CloudFormation export are made from it) and its meters. The host, the topology and the tests learn every stage from
/// <see cref="PipelineStages.All"/>; adding one is its own folder and one line there (docs/adding-a-stage.md).
/// </summary>
public abstract class PipelineStage(string name, string summary)
{
    public string Name { get; } = name;

    /// <summary>What the stage does, in a few words (the host's catalog, the docs).</summary>
    public string Summary { get; } = summary;

    /// <summary>Its AWS footprint, what least privilege and infrastructure as code are made from.</summary>
    public abstract StageTopology Topology { get; }

    /// <summary>The stages this one brings with it (deployment serves as well): registered with it, and in its IAM policy.</summary>
    public virtual IReadOnlyList<PipelineStage> Includes => [];

    /// <summary>The meters its instruments are on, which a host running it exports.</summary>
    public virtual IReadOnlyList<string> Meters => [];

    /// <summary>Registers the stage and the stages it includes on a host's bus.</summary>
    public void AddTo(IBusRegistrationConfigurator x, StageSettings settings)
    {
        Register(x, settings);
        foreach (var included in Includes)
            included.AddTo(x, settings);
    }

    /// <summary>
    /// Its consumer (or saga) with its definition, its options bound to its own section and validated at start, its
    /// dependencies (with <c>TryAdd</c>: the first stage to need a shared one adds it) and its health checks.
    /// </summary>
    protected abstract void Register(IBusRegistrationConfigurator x, StageSettings settings);

    public override string ToString() => Name;
}
