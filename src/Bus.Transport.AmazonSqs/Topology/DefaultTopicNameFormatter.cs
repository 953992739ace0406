using System.Reflection;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Topology;

/// <summary>
/// Topic names when nothing more specific is configured: MassTransit's <see cref="EntityNameAttribute"/> when
/// present, otherwise namespace and type name (<c>Contracts-OrderSubmitted</c>), made valid for SNS.
/// </summary>
public sealed class DefaultTopicNameFormatter : IEntityNameFormatter
{
    public static readonly DefaultTopicNameFormatter Instance = new();

    public string FormatEntityName<T>() => NameOf(typeof(T));

    /// <summary>The topic name of <paramref name="type"/> (before any scope).</summary>
    public static string NameOf(Type type)
    {
        if (type.GetCustomAttribute<EntityNameAttribute>() is { } attribute)
            return EntityNames.Topic(attribute.EntityName);
        return EntityNames.Topic(Name(type));
    }

    static string Name(Type type)
    {
        if (!type.IsGenericType)
            return $"{type.Namespace}-{type.Name}";
        var name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{type.Namespace}-{name}--{string.Join("--", type.GetGenericArguments().Select(Name))}";
    }
}
