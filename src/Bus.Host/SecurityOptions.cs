namespace Bus.Host;

/// <summary>
/// Configuration section <c>Bus:Security</c>: who may call the hosts' HTTP APIs. Management (rollback, approvals) always
/// needs an authenticated principal with the operator role; with nothing configured it is refused to everyone.
/// Secrets (a JWT signing key) come only from the environment (<c>Bus__Security__Jwt__SigningKey</c>), never a file.
/// </summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Bus:Security";

    public string OperatorRole { get; set; } = "operator";

    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Named API keys for small installations, each stored as the lower-case hex sha256 of the key (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    public PredictOptions Predict { get; set; } = new();
}
