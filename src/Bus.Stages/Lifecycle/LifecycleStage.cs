using Bus.Contracts;
using Bus.Persistence;
using Bus.Pipeline;
using Bus.Shared;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Lifecycle;

/// <summary>
/// The model lifecycle saga on the pipeline database: the durable repository with its model-name column indexed, every
/// record it makes appended to the audit log in the same transaction, its options bound and checked, and the gauges of
/// versions by state. Hosts that run it answer the lifecycle API (status, rollback, approve, reject), whose messages are
/// part of its footprint.
/// </summary>
public sealed class LifecycleStage() : PipelineStage(StageName, "the model lifecycle saga and its durable state")
{
    public const string StageName = "lifecycle";

    static readonly ModelLifecycleOptions Defaults = new();

    /// <summary>Rewrites of stored lifecycle instances, in order: the history's events renamed after their messages.</summary>
    public static IReadOnlyList<SagaDataMigration> DataMigrations { get; } =
        [new(AuditEventNames.MigrationVersion, "history events named after their messages", AuditEventNames.Rename)];

    public override StageTopology Topology { get; } = new(
        [EndpointTopology.OfStateMachine<ModelLifecycleStateMachine>(ModelLifecycleStateDefinition.QueueName)],
        [typeof(ModelApproved), typeof(ModelRejected), typeof(ModelSuperseded), typeof(ModelRolledBack), typeof(RollbackRejected),
            typeof(RestoreChampion), typeof(ApprovalRefused), typeof(RollbackModel), typeof(ApproveModel), typeof(RejectModel),
            typeof(RolloutStepStarted), typeof(RolloutEnded), typeof(RolloutCommand), typeof(RolloutCommandRefused)],
        [Defaults.EvaluationQueue, Defaults.DeploymentQueue, ModelLifecycleStateDefinition.QueueName])
    {
        Responds = true,
        Schedules = true,
        WatchesQueues = true,
    };

    public override IReadOnlyList<string> Meters { get; } = [PipelineMetrics.MeterName, VersionGauges.MeterName];

    protected override void Register(IBusRegistrationConfigurator x, StageSettings settings)
    {
        var database = settings.PipelineConnectionString
            ?? throw new InvalidOperationException(
                "the lifecycle stage keeps its saga in the pipeline database: StageSettings.PipelineConnectionString is unset");
        x.AddModelLifecycleSaga().BusRepository(database, ModelLifecycleStateDefinition.TableName, s => s.CurrentState, DataMigrations,
            LifecycleAudit.Take, new IndexedColumn<ModelLifecycleState>(ModelLifecycleStateDefinition.ModelNameColumn, s => s.ModelName));
        x.AddValidatedOptions<ModelLifecycleOptions, ModelLifecycleOptionsValidator>(ModelLifecycleOptions.SectionName);
        ObservabilityOptions.Register(x);
        x.AddHostedService<VersionGauges>();
        x.AddConfigureEndpointsCallback((context, name, endpoint) =>
        {
            if (name == ModelLifecycleStateDefinition.QueueName)
            {
                endpoint.AddPipeSpecification(new FilterPipeSpecification<ConsumeContext<TrainingCompleted>>(new ReannouncementFilter(
                    context.GetRequiredService<SagaStore<ModelLifecycleState>>(),
                    context.GetRequiredService<ILoggerFactory>().CreateLogger<ReannouncementFilter>())));
            }
        });
    }
}
