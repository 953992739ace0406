using Bus.Persistence;
using Bus.Pipeline;
using MassTransit;

namespace Bus.Host;

public static class LifecycleStage
{
    /// <summary>Rewrites of stored lifecycle instances, in order: the history's events renamed after their messages.</summary>
    public static IReadOnlyList<SagaDataMigration> DataMigrations { get; } =
        [new(AuditEventNames.MigrationVersion, "history events named after their messages", AuditEventNames.Rename)];

    /// <summary>
    /// The lifecycle saga on the pipeline database (the durable repository, its model-name column indexed, every record it makes appended to
    /// the audit log in the same transaction), its options bound.
    /// </summary>
    public static IBusRegistrationConfigurator AddLifecycleStage(this IBusRegistrationConfigurator x, string pipelineConnectionString)
    {
        x.AddModelLifecycleSaga().BusRepository(pipelineConnectionString, ModelLifecycleStateDefinition.TableName, s => s.CurrentState, DataMigrations,
            LifecycleAudit.Take, new IndexedColumn<ModelLifecycleState>(ModelLifecycleStateDefinition.ModelNameColumn, s => s.ModelName));
        OptionsServiceCollectionExtensions.AddOptions<ModelLifecycleOptions>(x).BindConfiguration(ModelLifecycleOptions.SectionName).ValidateOnStart();
        ServiceCollectionHostedServiceExtensions.AddHostedService<VersionGauges>(x);
        return x;
    }
}
