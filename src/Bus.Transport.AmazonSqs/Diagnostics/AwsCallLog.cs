using System.Text.Json;
using Amazon.Runtime.Internal;

namespace Bus.Transport.AmazonSqs.Diagnostics;

/// <summary>
/// Writes every AWS call to a JSON-lines file, one <see cref="AwsCall"/> a line: the SDK's SQS and S3 clients through a
/// pipeline handler (<see cref="AwsCallHandler"/>, in every SDK client created after the first log is opened), the SNS
/// client itself. Meant for checking a role's IAM policy against what it really does (<c>bus iam-policy --check</c>).
/// A host or CLI process records everything with <see cref="Start"/> (<c>Bus:Aws:CallLog</c>); a test records one role's
/// calls with <see cref="Scope"/>, which holds for the code (and the tasks it starts) within it.
/// </summary>
public sealed class AwsCallLog : IDisposable
{
    static readonly object Gate = new();
    static readonly AsyncLocal<AwsCallLog?> Scoped = new();
    static AwsCallLog? _process;
    static bool _registered;
    readonly FileStream _file;

    AwsCallLog(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        lock (Gate)
        {
            if (!_registered)
                RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer());
            _registered = true;
        }
    }

    /// <summary>Where the calls of the code now running go: its scope's log, else the process's, else nowhere.</summary>
    public static AwsCallLog? Current => Scoped.Value ?? _process;

    /// <summary>Records every call of this process to <paramref name="path"/> (appending); a second start keeps the first log.</summary>
    public static AwsCallLog Start(string path)
    {
        lock (Gate)
            return _process ??= new AwsCallLog(path);
    }

    /// <summary>Records the calls made within this scope (this async flow) to <paramref name="path"/>, until disposed.</summary>
    public static AwsCallLog Scope(string path)
    {
        var log = new AwsCallLog(path) { _previous = Scoped.Value };
        Scoped.Value = log;
        return log;
    }

    AwsCallLog? _previous;

    public void Dispose()
    {
        if (Scoped.Value == this)
            Scoped.Value = _previous;
        lock (_file)
            _file.Dispose();
    }

    /// <summary>Reads a log written by <see cref="Start"/>.</summary>
    public static IReadOnlyList<AwsCall> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<AwsCall>(l, Json)
            ?? throw new InvalidDataException($"{path}: an empty line record")).ToList();

    public void Record(AwsCall call)
    {
        // One write per line: several processes may append to one file, and O_APPEND keeps whole writes whole.
        var line = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(call, Json) + "\n");
        lock (_file)
        {
            if (!_file.CanWrite)
                return;
            _file.Write(line);
            _file.Flush();
        }
    }

    /// <summary>The SNS topic named by an ARN (the topic's or one of its subscriptions'), or the name itself.</summary>
    public static string TopicOf(string arnOrName)
    {
        var parts = arnOrName.Split(':');
        return parts.Length >= 6 && parts[0] == "arn" ? parts[5] : arnOrName;
    }

    /// <summary>The queue named by a queue URL (its last path segment), or the name itself.</summary>
    public static string QueueOf(string urlOrName) =>
        urlOrName.Contains('/', StringComparison.Ordinal) ? urlOrName.TrimEnd('/')[(urlOrName.TrimEnd('/').LastIndexOf('/') + 1)..] : urlOrName;

    sealed class Customizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "bus-aws-call-log";

        public void Customize(Type type, RuntimePipeline pipeline) => pipeline.AddHandler(new AwsCallHandler(ServiceOf(type)));
    }

    static string ServiceOf(Type clientType) => clientType.Name switch
    {
        "AmazonSQSClient" => "sqs",
        "AmazonS3Client" => "s3",
        var other => other.Replace("Amazon", "", StringComparison.Ordinal).Replace("Client", "", StringComparison.Ordinal).ToLowerInvariant(),
    };

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
