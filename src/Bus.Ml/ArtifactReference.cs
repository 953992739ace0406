namespace Bus.Ml;

/// <summary>Where a model's artifact is and how to check it.</summary>
public sealed record ArtifactReference(string Uri, string Format, string Sha256);
