using Bus.Stages;

namespace Bus.Host;

/// <summary>What a host hands each stage's registration: the stages' own settings and the pipeline database.</summary>
public sealed record HostStageSettings(StageSettings Stage, string PipelineConnectionString);
