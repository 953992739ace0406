using MassTransit;

namespace Bus.Host;

/// <summary>One row of the <see cref="StageCatalog"/>: the name a host's <c>Bus:Host:Stages</c> uses, what it does, and its registration.</summary>
public sealed record StageEntry(string Name, string Summary, Action<IBusRegistrationConfigurator, HostStageSettings> Register);
