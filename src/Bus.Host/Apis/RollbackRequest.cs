namespace Bus.Host.Apis;

/// <summary>POST /lifecycle/{name}/{version}/rollback: why, and on whose behalf (the actor is the authenticated principal).</summary>
public sealed record RollbackRequest(string? Reason, string? RequestedBy);
