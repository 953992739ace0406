namespace Bus.Host;

public sealed class ApiKeyOptions
{
    public string Sha256 { get; set; } = string.Empty;
    public string[] Roles { get; set; } = [];
}
