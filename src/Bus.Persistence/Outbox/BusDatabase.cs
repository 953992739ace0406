namespace Bus.Persistence.Outbox;

/// <summary>
/// The database one pipeline shares: SQLite (a file, one host) or PostgreSQL (several hosts), chosen by the
/// connection string. Holds the inbox and outbox tables; saga stores on the same connection string join its
/// transactions.
/// </summary>
public sealed class BusDatabase(string connectionString)
{
    public const string Component = "outbox";
    public const int SchemaVersion = 1;
    readonly SchemaGate _schema = new();

    public SqlDialect Dialect { get; } = SqlDialect.For(connectionString);

    public static IReadOnlyList<SchemaStep> Steps { get; } =
    [
        new(1, _ =>
        [
            // One row per (consumer, message id): the inbox. A delivery claims the row (claim_token, renewed locked_until)
            // before running the consumer; consumed_at is set in the transaction that commits the consumer's work.
            "CREATE TABLE IF NOT EXISTS bus_inbox (consumer_id TEXT NOT NULL, message_id TEXT NOT NULL, consumer_type TEXT, received_at BIGINT NOT NULL, consumed_at BIGINT, receive_count INTEGER NOT NULL, outbox_id TEXT, claim_token TEXT, locked_until BIGINT, PRIMARY KEY (consumer_id, message_id))",
            "CREATE INDEX IF NOT EXISTS ix_bus_inbox_consumed ON bus_inbox (consumed_at)",
            // One row per transaction that sent anything: the unit of ordered delivery, claimed with a lease.
            "CREATE TABLE IF NOT EXISTS bus_outbox (outbox_id TEXT PRIMARY KEY, inbox_message_id TEXT, consumer_id TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT, last_sequence BIGINT NOT NULL DEFAULT 0, locked_by TEXT, locked_until BIGINT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL DEFAULT 0, last_error TEXT)",
            "CREATE INDEX IF NOT EXISTS ix_bus_outbox_pending ON bus_outbox (delivered_at, next_attempt_at, created_at)",
            "CREATE TABLE IF NOT EXISTS bus_outbox_message (outbox_id TEXT NOT NULL, sequence_number BIGINT NOT NULL, message_id TEXT NOT NULL, destination TEXT NOT NULL, content_type TEXT, message_type TEXT, body TEXT NOT NULL, headers TEXT, properties TEXT, conversation_id TEXT, correlation_id TEXT, initiator_id TEXT, request_id TEXT, source_address TEXT, response_address TEXT, fault_address TEXT, sent_time BIGINT NOT NULL, enqueue_time BIGINT, expiration_time BIGINT, PRIMARY KEY (outbox_id, sequence_number))",
        ]),
    ];

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        _schema.EnsureAsync(ct => SchemaMigrator.MigrateAsync(Dialect, Component, Steps, ct), cancellationToken);

    public bool IsSameDatabase(SqlDialect other) => other.Name == Dialect.Name && other.ConnectionString == Dialect.ConnectionString;
}
