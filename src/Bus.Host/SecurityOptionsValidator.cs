using Bus.Shared;

namespace Bus.Host;

sealed class SecurityOptionsValidator : OptionsValidator<SecurityOptions>
{
    const string Section = SecurityOptions.SectionName;

    protected override IEnumerable<string> Failures(SecurityOptions options)
    {
        foreach (var (name, key) in options.ApiKeys.Where(k => k.Value.Sha256.Length != 64 || !k.Value.Sha256.All(Uri.IsHexDigit)))
            yield return $"{Section}:ApiKeys:{name}:Sha256 must be 64 hex digits (the key's sha256, not the key); got {key.Sha256.Length} characters.";
        if (string.IsNullOrWhiteSpace(options.OperatorRole))
            yield return $"{Section}:OperatorRole must name the role operators hold.";
        if (options.Jwt.SigningKey is { Length: > 0 } signing && !Convert.TryFromBase64String(signing, new byte[signing.Length], out _))
            yield return $"{Section}:Jwt:SigningKey must be base64 (an HMAC-SHA256 key).";
        if (!string.IsNullOrEmpty(options.Jwt.Authority) && !Uri.TryCreate(options.Jwt.Authority, UriKind.Absolute, out _))
            yield return $"{Section}:Jwt:Authority must be the OIDC issuer's absolute URL; got '{options.Jwt.Authority}'.";
        var predict = options.Predict;
        if (predict.MaxBodyBytes <= 0 || predict.MaxInstances <= 0 || predict.MaxConcurrency <= 0)
            yield return $"{Section}:Predict limits must be positive: MaxBodyBytes {predict.MaxBodyBytes}, MaxInstances {predict.MaxInstances}, " +
                $"MaxConcurrency {predict.MaxConcurrency}.";
        if (predict.MaxActivationBytes <= 0)
            yield return $"{Section}:Predict:MaxActivationBytes must be positive; got {predict.MaxActivationBytes}.";
        if (predict.QueueTimeout <= TimeSpan.Zero)
            yield return $"{Section}:Predict:QueueTimeout must be positive; got {predict.QueueTimeout}.";
        if (predict.RequestsPerSecond < 0)
            yield return $"{Section}:Predict:RequestsPerSecond cannot be negative (0 turns the limiter off); got {predict.RequestsPerSecond}.";
    }
}
