namespace Bus.Stages.Tagging;

/// <summary>Which data set each model name's new champion tags (configuration section <c>Bus:Tagging</c>).</summary>
public sealed class TaggingOptions
{
    public const string SectionName = "Bus:Tagging";

    /// <summary>Model name → s3:// URI of a data set in Bus's JSON shape.</summary>
    public Dictionary<string, string> Datasets { get; set; } = new(StringComparer.Ordinal);
}
