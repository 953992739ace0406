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

public sealed class ApiKeyOptions
{
    public string Sha256 { get; set; } = string.Empty;
    public string[] Roles { get; set; } = [];
}

/// <summary>The inference endpoint's limits: no burst of requests may starve the bus of threads or the host of memory.</summary>
public sealed class PredictOptions
{
    public bool RequireAuthentication { get; set; }
    public long MaxBodyBytes { get; set; } = 4L * 1024 * 1024;
    public int MaxInstances { get; set; } = 256;

    /// <summary>Inferences running at once; the rest wait up to <see cref="QueueTimeout"/>, then get 503.</summary>
    public int MaxConcurrency { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests per second per client address (token bucket); 0 turns the limiter off.</summary>
    public int RequestsPerSecond { get; set; } = 200;
}
