using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Sns;
using Npgsql;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// What the tests that run Bus.Host processes share: one scope on the emulator, a trained artifact to announce under
/// any version, host settings, announcements on `training-complete` the way a training job sends them, and waits
/// that print the host's log when they give up.
/// </summary>
sealed class HostedPipeline : IDisposable
{
    readonly EmulatorFixture _emulator;
    readonly ITestOutputHelper _output;
    readonly SnsClient _sns;
    readonly Lazy<Task<string>> _topic;
    readonly Lazy<Task> _evaluationSet;

    public HostedPipeline(EmulatorFixture emulator, string prefix, ITestOutputHelper output)
    {
        _emulator = emulator;
        _output = output;
        Scope = Emulated.Scope(prefix);
        Data = Directory.CreateTempSubdirectory($"bus-{prefix}-").FullName;
        _sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        _topic = new Lazy<Task<string>>(() => _sns.CreateTopicAsync($"{Scope}-training-complete"));
        _evaluationSet = new Lazy<Task>(() => NodeScript.RunAsync("train.mjs", "--endpoint", emulator.ServiceUrl.ToString().TrimEnd('/'), "--quiet",
            "--evaluation-set", EvaluationSetUri));
    }

    /// <summary>Where the operator keeps digits' governed evaluation set (the hosts' default location for the scope).</summary>
    public string EvaluationSetUri => $"s3://{Scope}-bus-evaluation/digits/validation.json";

    public string Scope { get; }
    public string Data { get; }

    /// <summary>
    /// Trains a model with the TF.js job (uploaded to the emulator's S3; announced on training-complete by the job itself
    /// only with <paramref name="announce"/>); its announcement fields and its trace id.
    /// </summary>
    public async Task<JsonNode> TrainAsync(string version, bool weak = false, string epochs = "3", bool announce = false,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        await _evaluationSet.Value;
        string[] arguments = ["--endpoint", _emulator.ServiceUrl.ToString().TrimEnd('/'), "--scope", Scope, "--model", "digits", "--version", version,
            "--epochs", epochs, "--quiet", .. announce ? Array.Empty<string>() : ["--no-announce"], .. weak ? new[] { "--weak" } : []];
        return JsonNode.Parse((await NodeScript.RunAsync("train.mjs", environment, arguments)).Trim().Split('\n')[^1])!;
    }

    /// <summary>The operator API key every test host accepts (its sha256 is in the hosts' settings).</summary>
    public const string OperatorApiKey = "ci-operator-key-for-tests-only";

    public Dictionary<string, string> Settings(string dataDirectory, string? connectionString = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Bus:Security:ApiKeys:ci-operator:Sha256"] =
                Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(OperatorApiKey))),
            ["Bus:Security:ApiKeys:ci-operator:Roles:0"] = "operator",
            ["Bus:Aws:ServiceUrl"] = _emulator.ServiceUrl.ToString(),
            ["Bus:Aws:Scope"] = Scope,
            ["Bus:Host:DataDirectory"] = dataDirectory,
            ["Bus:Lifecycle:EvaluationTimeout"] = "00:05:00",
            // As an operator whose model names (digits-0, digits-1, …) share one artifact prefix and one governed set.
            ["Bus:Evaluation:Default:ValidationSetUri"] = EvaluationSetUri,
            ["Bus:Evaluation:Default:ArtifactLocations:0"] = $"s3://{Scope}-bus-models/digits/",
        };
        if (connectionString is not null)
            settings["Bus:Persistence:ConnectionString"] = connectionString;
        return settings;
    }

    /// <summary>Runs the built `bus` command to its end (the emulator's throwaway credentials in its environment).</summary>
    public static Task<ProcessResult> Cli(params string[] arguments) => Cli(new Dictionary<string, string>(), arguments);

    /// <summary>Runs the built `bus` command with more environment (<c>Bus__Aws__CallLog</c>, say).</summary>
    public static Task<ProcessResult> Cli(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Processes.RunAsync("dotnet", [Processes.BuiltAssembly(Path.Combine("src", "Bus.Cli"), "bus.dll"), .. arguments], TimeSpan.FromMinutes(3),
            RepositoryPaths.Root,
            new Dictionary<string, string>(environment) { ["AWS_ACCESS_KEY_ID"] = "test", ["AWS_SECRET_ACCESS_KEY"] = "test" });

    /// <summary>Messages waiting (visible) or being handled (in flight) in each of this scope's queues; delayed ones are not counted.</summary>
    public async Task<Dictionary<string, long>> QueueBacklogAsync()
    {
        using var sqs = EmulatorClients.Sqs(_emulator.ServiceUrl);
        var backlog = new Dictionary<string, long>(StringComparer.Ordinal);
        var queues = await sqs.ListQueuesAsync(new Amazon.SQS.Model.ListQueuesRequest { QueueNamePrefix = Scope + "-", MaxResults = 1000 });
        foreach (var url in queues.QueueUrls ?? [])
        {
            var attributes = await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            backlog[url[(url.LastIndexOf('/') + 1)..][(Scope.Length + 1)..]] =
                (long)attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
        }

        return backlog;
    }

    /// <summary>Publishes <paramref name="body"/> as it is on `training-complete` (a malformed announcement, say).</summary>
    public async Task PublishRawAsync(string body) => await _sns.PublishAsync(await _topic.Value, body);

    /// <summary>Publishes `training-complete` for <paramref name="model"/> <paramref name="version"/> with a trained artifact, as plain JSON on SNS.</summary>
    public async Task AnnounceAsync(string model, string version, JsonNode trained, string producer = "trainer@test")
    {
        await _sns.PublishAsync(await _topic.Value, JsonSerializer.Serialize(new
        {
            modelName = model,
            modelVersion = version,
            artifactUri = trained["artifactUri"]!.ToString(),
            artifactFormat = "tfjs-layers",
            artifactSha256 = trained["artifactSha256"]!.ToString(),
            validationSetUri = trained["validationSetUri"]!.ToString(),
            producer,
        }));
    }

    public async Task WaitFor(Func<Task<bool>> condition, string what, TimeSpan timeout, Func<string>? log = null)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(300);
        }

        if (log is not null)
            _output.WriteLine(log());
        (await condition()).Should().BeTrue($"{what} within {timeout}");
    }

    public static async Task<string> CreateDatabase(PostgresCluster cluster, string name)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return cluster.ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _sns.Dispose();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
