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

    public string FormatEntityName<T>()
    {
        var type = typeof(T);
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
