namespace Bus.Contracts;

/// <summary>
/// Names the pipeline stage a message belongs to (for example <c>training.complete</c>). The transport
/// derives the SNS topic from it (<c>training-complete</c>), so topic names follow pipeline stages and
/// never CLR type names. Contracts carry no package references, hence our own attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StageAttribute(string stage) : Attribute
{
    public string Stage { get; } = stage;

    /// <summary>The SNS-safe topic name for the stage: dots become dashes.</summary>
    public string TopicName => Stage.Replace('.', '-');

    /// <summary>The topic of a message type that names its stage; null for one that does not.</summary>
    public static string? TopicNameOf(Type messageType) =>
        ((StageAttribute?)GetCustomAttribute(messageType, typeof(StageAttribute), inherit: false))?.TopicName;
}
