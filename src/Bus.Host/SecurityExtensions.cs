using System.Security.Claims;
using System.Threading.RateLimiting;
using Bus.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Bus.Host;

/// <summary>Authentication (JWT bearer, hashed API keys), the operator policy, and the inference endpoint's rate limit.</summary>
public static class SecurityExtensions
{
    public const string OperatorPolicy = "operator";
    public const string PredictPolicy = "predict";
    public const string DashboardPolicy = "dashboard";
    public const string PredictRateLimit = "predict";
    const string Scheme = "bus";

    public static WebApplicationBuilder AddBusSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Read while services are registered (the schemes and policies depend on it): read once, checked at once.
        var security = services.ReadValidated<SecurityOptions, SecurityOptionsValidator>(builder.Configuration, SecurityOptions.SectionName);

        // One scheme name for endpoints: a bearer token goes to JwtBearer, anything else to the API key handler.
        var authentication = services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bus", o => o.ForwardDefaultSelector = context =>
                security.Jwt.Enabled && context.Request.Headers.Authorization.FirstOrDefault()?.StartsWith("Bearer ",
                    StringComparison.OrdinalIgnoreCase) == true
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (security.Jwt.Enabled)
        {
            authentication.AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.Authority = string.IsNullOrEmpty(security.Jwt.Authority) ? null : security.Jwt.Authority;
                o.Audience = security.Jwt.Audience;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateAudience = !string.IsNullOrEmpty(security.Jwt.Audience),
                    ValidAudience = security.Jwt.Audience,
                    ValidateIssuer = !string.IsNullOrEmpty(security.Jwt.Issuer) || !string.IsNullOrEmpty(security.Jwt.Authority),
                    ValidIssuer = security.Jwt.Issuer,
                    RoleClaimType = security.Jwt.RoleClaim,
                    NameClaimType = "sub",
                    IssuerSigningKey = string.IsNullOrEmpty(security.Jwt.SigningKey)
                        ? null : new SymmetricSecurityKey(Convert.FromBase64String(security.Jwt.SigningKey)),
                };
            });
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole(security.OperatorRole))
            // The dashboard: operators, where authentication is configured; with none configured, only callers on this machine.
            .AddPolicy(DashboardPolicy, p =>
            {
                p.AddAuthenticationSchemes(Scheme);
                if (security.Jwt.Enabled || security.ApiKeys.Count > 0)
                    p.RequireAuthenticatedUser().RequireRole(security.OperatorRole);
                else
                    p.RequireAssertion(c => c.Resource is HttpContext { Connection.RemoteIpAddress: { } ip } && System.Net.IPAddress.IsLoopback(ip));
            })
            .AddPolicy(PredictPolicy, p =>
            {
                p.AddAuthenticationSchemes(Scheme);
                if (security.Predict.RequireAuthentication)
                    p.RequireAuthenticatedUser();
                else
                    p.RequireAssertion(_ => true);
            });

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PredictRateLimit, context => security.Predict.RequestsPerSecond <= 0
                ? RateLimitPartition.GetNoLimiter("all")
                : RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = security.Predict.RequestsPerSecond,
                    TokensPerPeriod = security.Predict.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                }));
        });
        services.AddSingleton(new InferenceGate(security.Predict.MaxConcurrency, security.Predict.QueueTimeout));
        // A body that cannot be read is said in the problem (the parameter and why), as the caller's fault: a 400, logged at
        // debug like any refusal, not as a server error.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<ExceptionHandlerOptions>(o =>
        {
            o.StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            o.SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException;
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            if (c.Exception is BadHttpRequestException bad)
            {
                c.ProblemDetails.Status = bad.StatusCode;
                c.ProblemDetails.Detail = bad.Message;
            }
        });
        return builder;
    }

    public static WebApplication UseBusSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Whether the caller is an authenticated operator (health details, management).</summary>
    public static bool IsOperator(this ClaimsPrincipal user, SecurityOptions options) =>
        user.Identity?.IsAuthenticated == true && user.IsInRole(options.OperatorRole);

    /// <summary>The name the audit records for the caller: the token's subject or the API key's name.</summary>
    public static string PrincipalName(this ClaimsPrincipal user) =>
        user.Identity?.Name ?? user.FindFirst("preferred_username")?.Value ?? user.FindFirst("sub")?.Value ?? "unknown principal";
}
