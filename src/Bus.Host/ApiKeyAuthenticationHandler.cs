using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Bus.Host;

/// <summary>
/// <c>Authorization: ApiKey &lt;key&gt;</c> (or <c>X-Api-Key</c>): the key's sha256 is compared, in constant time, with
/// the configured hashes; the principal is <c>apikey:&lt;name&gt;</c> with that key's roles.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<SecurityOptions> security) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers["X-Api-Key"].FirstOrDefault();
        var authorization = Request.Headers.Authorization.FirstOrDefault();
        if (key is null && authorization is not null && authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase))
            key = authorization[(SchemeName.Length + 1)..].Trim();
        if (string.IsNullOrEmpty(key))
            return Task.FromResult(AuthenticateResult.NoResult());

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        foreach (var (name, configured) in security.Value.ApiKeys)
        {
            byte[] expected;
            try
            {
                expected = Convert.FromHexString(configured.Sha256);
            }
            catch (FormatException)
            {
                continue;
            }

            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                var claims = new List<Claim> { new(ClaimTypes.Name, $"apikey:{name}") };
                claims.AddRange(configured.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
                var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
    }
}
