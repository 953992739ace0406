namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>A message attribute as SNS carries it.</summary>
public sealed record SnsAttribute(string DataType, string StringValue);
