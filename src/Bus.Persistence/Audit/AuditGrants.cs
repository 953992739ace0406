namespace Bus.Persistence.Audit;

/// <summary>
/// The PostgreSQL grants under which the hosts' role may append to the audit log and read it, but never change or
/// remove a row: the schema (tables, triggers) belongs to another role that only migrations use. docs/governance.md
/// explains them; a test runs them and proves that the role's UPDATE and DELETE fail.
/// </summary>
public static class AuditGrants
{
    /// <summary>Creates <paramref name="role"/> (run as the owner) with what a host needs on the audit log and nothing more there.</summary>
    public static IReadOnlyList<string> HostRole(string role, string password) =>
    [
        $"CREATE ROLE {Identifier(role)} LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'",
        $"GRANT USAGE ON SCHEMA public TO {Identifier(role)}",
        $"GRANT SELECT, INSERT ON {AuditLog.Table} TO {Identifier(role)}",
        $"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AuditLog.Table} FROM {Identifier(role)}",
        // The schema's version, so that the host sees the log is migrated and needs no DDL (it has no right to any).
        $"GRANT SELECT ON bus_schema TO {Identifier(role)}",
    ];

    static string Identifier(string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && name.Length is > 0 and <= 63
            ? name : throw new ArgumentException($"'{name}' is not a plain role name (letters, digits, _)", nameof(name));
}
