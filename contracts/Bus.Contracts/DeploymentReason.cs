namespace Bus.Contracts;

/// <summary>Why a version is being put behind the production alias.</summary>
public static class DeploymentReason
{
    public const string Promotion = "promotion";
    public const string Rollback = "rollback";
}
