namespace Bus.Host.Apis;

/// <summary>POST /lifecycle/{name}/{version}/rollback, /approve or /reject: why, and on whose behalf (the actor is the authenticated principal).</summary>
public sealed record DecisionRequest(string? Reason, string? RequestedBy);
