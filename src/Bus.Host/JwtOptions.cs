namespace Bus.Host;

/// <summary>JWT bearer tokens from an OIDC provider (<see cref="Authority"/>) or, for tests and closed setups, a symmetric key.</summary>
public sealed class JwtOptions
{
    /// <summary>The OIDC issuer URL (its discovery document gives the signing keys).</summary>
    public string? Authority { get; set; }

    public string? Audience { get; set; }
    public string? Issuer { get; set; }

    /// <summary>Base64 HMAC-SHA256 key; from the environment only.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The claim that carries roles (Entra ID and Keycloak: <c>roles</c>).</summary>
    public string RoleClaim { get; set; } = "roles";

    public bool Enabled => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey);
}
