using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Stages;
using Bus.Tooling;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Bus.Host.Tests;

/// <summary>
/// compose/docker-compose.yml, checked without Docker: every host setting names an option the hosts bind, every port a
/// service talks to is one another service listens on (and it depends on that service), no two listen on one port, and
/// every file it builds or mounts exists.
/// </summary>
public partial class The_compose_file
{
    static readonly string ComposeDirectory = Path.Combine(RepositoryPaths.Root, "compose");

    /// <summary>Environment a host takes besides Bus__ options: ASP.NET Core's, OpenTelemetry's and the AWS SDK's own variables.</summary>
    static readonly HashSet<string> PlatformVariables = new(StringComparer.Ordinal)
    {
        "ASPNETCORE_URLS", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    };

    /// <summary>Settings read by key rather than bound to an options class.</summary>
    static readonly HashSet<string> KeyedSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        PipelineDatabases.PipelineKey, PipelineDatabases.RegistryKey,
    };

    static Dictionary<string, Dictionary<object, object>> Services()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(ComposeDirectory, "docker-compose.yml")));
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
        return ((Dictionary<object, object>)document["services"]).ToDictionary(s => (string)s.Key, s => (Dictionary<object, object>)s.Value);
    }

    /// <summary>A value as compose interpolates it with nothing in the environment: <c>${X:-d}</c> and <c>${X-d}</c> give d.</summary>
    static string Interpolate(string value) => Variable().Replace(value, m => m.Groups["default"].Value);

    static Dictionary<string, string> Environment(Dictionary<object, object> service) =>
        service.TryGetValue("environment", out var environment)
            ? ((Dictionary<object, object>)environment).ToDictionary(e => (string)e.Key, e => Interpolate(e.Value?.ToString() ?? ""), StringComparer.Ordinal)
            : [];

    static bool IsHost(Dictionary<object, object> service) =>
        service.TryGetValue("build", out var build) && ((Dictionary<object, object>)build)["dockerfile"].ToString()!.EndsWith("host.Dockerfile",
            StringComparison.Ordinal);

    [Fact]
    public void Should_give_hosts_only_settings_they_bind_and_stages_they_have()
    {
        var hosts = Services().Where(s => IsHost(s.Value)).ToList();
        hosts.Select(h => h.Key).Should().BeEquivalentTo(["pipeline", "deployment", "serving"]);
        foreach (var (name, service) in hosts)
        {
            var environment = Environment(service);
            foreach (var key in environment.Keys.Where(k => !PlatformVariables.Contains(k)))
                Binds(key.Replace("__", ":", StringComparison.Ordinal)).Should().BeTrue($"{name}: {key} names an option a host binds");
            environment.Where(e => e.Key.StartsWith("Bus__Host__Stages__", StringComparison.Ordinal)).Select(e => e.Value)
                .Should().NotBeEmpty().And.OnlyContain(stage => PipelineStages.Names.Contains(stage), name);
        }

        var stages = hosts.SelectMany(h => Environment(h.Value)).Where(e => e.Key.StartsWith("Bus__Host__Stages__", StringComparison.Ordinal))
            .Select(e => e.Value);
        stages.Should().Contain(["lifecycle", "evaluation", "tagging", "deployment", "serving"]);
        Binds("Bus:Aws:Nonsense").Should().BeFalse("the check refuses what no option has");
    }

    [Fact]
    public void Should_have_every_port_a_service_talks_to_served_by_a_service_it_depends_on()
    {
        var services = Services();
        var listeners = new Dictionary<int, string>();
        void Listens(string service, int port)
        {
            listeners.TryAdd(port, service).Should().BeTrue($"{service} and {listeners.GetValueOrDefault(port)} both listen on {port}");
        }

        var references = new List<(string Service, int Port, string Where)>();
        foreach (var (name, service) in services)
        {
            var environment = Environment(service);
            var command = service.TryGetValue("command", out var c) ? string.Join(" ", c is IEnumerable list and not string ? list.Cast<object>() : [c]) : "";
            foreach (Match m in Regex.Matches(command, @"(?:--port |port=)(\d+)"))
                Listens(name, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (key, value) in environment)
            {
                var ports = Regex.Matches(value, @"(?:127\.0\.0\.1:|Port=)(\d+)")
                    .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                foreach (var port in ports)
                {
                    if (key == "ASPNETCORE_URLS" || key.EndsWith("_HOST_PORT", StringComparison.Ordinal))
                        Listens(name, port);
                    else
                        references.Add((name, port, key));
                }
            }

            if (name == "otel-collector")
            {
                // Its config: receivers are where it listens, exporters where it sends.
                var config = File.ReadAllText(Path.Combine(ComposeDirectory, "otel-collector.yaml"));
                var exporters = config.IndexOf("exporters:", StringComparison.Ordinal);
                foreach (Match m in Regex.Matches(config, @"endpoint: 127\.0\.0\.1:(\d+)"))
                {
                    var port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (m.Index < exporters)
                        Listens(name, port);
                    else
                        references.Add((name, port, "otel-collector.yaml exporters"));
                }
            }
        }

        references.Should().NotBeEmpty();
        foreach (var (name, port, where) in references)
        {
            listeners.Should().ContainKey(port, $"{name} talks to port {port} ({where})");
            var target = listeners[port];
            var dependsOn = services[name].TryGetValue("depends_on", out var d) ? ((IEnumerable)d).Cast<object>().Select(x => x.ToString()).ToList() : [];
            dependsOn.Should().Contain(target, $"{name} talks to {target} on {port} ({where}), so it starts after it");
        }

        listeners.Values.Should().Contain(["fauxqs", "postgres", "otel-collector", "jaeger", "pipeline", "deployment", "serving"]);
    }

    [Fact]
    public void Should_build_and_mount_only_files_that_exist()
    {
        foreach (var (name, service) in Services())
        {
            if (service.TryGetValue("build", out var b))
            {
                var build = (Dictionary<object, object>)b;
                var context = Path.GetFullPath(Path.Combine(ComposeDirectory, build["context"].ToString()!));
                Directory.Exists(context).Should().BeTrue($"{name}'s build context {context}");
                var dockerfile = Path.Combine(context, build["dockerfile"].ToString()!);
                File.Exists(dockerfile).Should().BeTrue($"{name}'s Dockerfile {dockerfile}");
                foreach (Match m in Regex.Matches(File.ReadAllText(dockerfile), @"dotnet publish (\S+)"))
                    File.Exists(Path.Combine(context, m.Groups[1].Value)).Should().BeTrue($"{dockerfile} publishes {m.Groups[1].Value}");
            }

            foreach (var volume in service.TryGetValue("volumes", out var v) ? ((IEnumerable)v).Cast<object>().Select(x => x.ToString()!) : [])
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.'))
                    Path.Exists(Path.Combine(ComposeDirectory, source)).Should().BeTrue($"{name} mounts {source}");
            }
        }

        File.Exists(Path.Combine(ComposeDirectory, ".env.example")).Should().BeTrue();
        File.Exists(Path.Combine(ComposeDirectory, "cli.Dockerfile")).Should().BeTrue();
    }

    [Fact]
    public void Should_point_the_example_environment_at_aws_without_the_emulator_or_a_default_key()
    {
        var example = File.ReadAllLines(Path.Combine(ComposeDirectory, ".env.example")).Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        example["BUS_AWS_SERVICE_URL"].Should().BeEmpty("real AWS: no emulator URL");
        example["BUS_OPERATOR_KEY_SHA256"].Should().BeEmpty("no well-known operator key on AWS");
        example["AWS_ACCESS_KEY_ID"].Should().BeEmpty("credentials come from the SDK's chain");
        var compose = File.ReadAllText(Path.Combine(ComposeDirectory, "docker-compose.yml"));
        foreach (var variable in example.Keys)
            compose.Should().Contain("${" + variable, $".env.example sets {variable}, which the compose file reads");
        // An empty value must win over the local default for these (`${X-d}`, not `${X:-d}`).
        foreach (var variable in new[] { "BUS_AWS_SERVICE_URL", "BUS_OPERATOR_KEY_SHA256", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" })
            compose.Should().Contain("${" + variable + "-").And.NotContain("${" + variable + ":-");
    }

    /// <summary>Whether a configuration key (<c>Bus:Aws:Region</c>) reaches a property of an options class the hosts bind.</summary>
    static bool Binds(string key)
    {
        if (KeyedSettings.Contains(key))
            return true;
        var section = Sections().Where(s => key.StartsWith(s.Key + ":", StringComparison.OrdinalIgnoreCase)).MaxBy(s => s.Key.Length);
        return section.Value is not null && Walk(section.Value, key[(section.Key.Length + 1)..].Split(':'));
    }

    static Dictionary<string, Type> Sections() =>
        new[] { typeof(AwsOptions), typeof(Bus.Stages.Evaluation.EvaluationOptions), typeof(Bus.Pipeline.ModelLifecycleOptions), typeof(BusOutboxOptions) }
            .Select(t => t.Assembly).Distinct().SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true })
            .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    static bool Walk(Type type, ReadOnlySpan<string> path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (path.Length == 0)
            return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(Uri) || type == typeof(decimal);
        if (type.IsArray)
            return int.TryParse(path[0], out _) && Walk(type.GetElementType()!, path[1..]);
        if (type.IsGenericType && type.GetGenericArguments() is { Length: 1 } item && typeof(IEnumerable).IsAssignableFrom(type))
            return int.TryParse(path[0], out _) && Walk(item[0], path[1..]);
        if (type.IsGenericType && type.GetGenericArguments() is { Length: 2 } pair && typeof(IDictionary).IsAssignableFrom(type))
            return Walk(pair[1], path[1..]);
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is not null && Walk(property.PropertyType, path[1..]);
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();
}
