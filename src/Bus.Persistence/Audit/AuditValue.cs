namespace Bus.Persistence.Audit;

/// <summary>How an audit field is stored and written: text as it is, an id as a GUID string, a number, a time in Unix milliseconds.</summary>
public enum AuditValue
{
    Text,
    Id,
    Number,
    Time,
}
