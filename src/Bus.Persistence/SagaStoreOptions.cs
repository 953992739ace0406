using MassTransit;

namespace Bus.Persistence;

/// <summary>How one saga type is stored.</summary>
public sealed class SagaStoreOptions<TSaga>(string connectionString, string table, IReadOnlyList<IndexedColumn<TSaga>> columns)
    where TSaga : class, ISagaVersion
{
    public SqlDialect Dialect { get; } = SqlDialect.For(connectionString);
    public string Table { get; } = table;
    public IReadOnlyList<IndexedColumn<TSaga>> Columns { get; } = columns;
    public Func<TSaga, string?> State { get; init; } = _ => null;

    /// <summary>The saga property held in current_state (e.g. CurrentState), for translating queries.</summary>
    public string? StateMember { get; init; }

    /// <summary>Rewrites of the stored JSON when the saga's shape changes, numbered from 1 (their own schema component).</summary>
    public IReadOnlyList<SagaDataMigration> DataMigrations { get; init; } = [];

    /// <summary>
    /// The audit records an instance has gathered since it was loaded, taken (and so cleared) when it is written: they go
    /// to the <see cref="Audit.AuditLog"/> in the same transaction as the instance. Null: the saga is not audited.
    /// </summary>
    public Func<TSaga, IReadOnlyList<Audit.AuditEntry>>? TakeAudit { get; init; }
}
