using System.CommandLine;

namespace Bus.Cli.Tests;

/// <summary>Every command's command line: what parses into which typed values, and what is refused before anything runs.</summary>
public class When_a_command_line_is_parsed
{
    const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    static ParseResult Parse(params string[] args) => BusCommandLine.Parse(args);

    static void Valid(ParseResult result) => result.Errors.Select(e => e.Message).Should().BeEmpty();

    static void Refused(ParseResult result, string because) =>
        result.Errors.Select(e => e.Message).Should().Contain(m => m.Contains(because, StringComparison.Ordinal));

    [Fact]
    public void Should_parse_demo_with_its_epochs_and_refuse_anything_else()
    {
        var result = Parse("demo", "--epochs", "3");
        Valid(result);
        result.GetValue<int>("--epochs").Should().Be(3);
        Parse("demo").GetValue<int>("--epochs").Should().Be(15, "the default");
        Refused(Parse("demo", "--epochs", "0"), "--epochs takes a whole number of at least 1");
        Refused(Parse("demo", "--epoch", "3"), "Unrecognized command or argument '--epoch'");
    }

    [Fact]
    public void Should_parse_publish_training_complete()
    {
        var result = Parse("publish", "training-complete", "--model", "digits", "--version", "2", "--artifact", "s3://b/digits/model.json", "--sha256", Sha,
            "--format", "onnx", "--validation", "s3://b/v.json", "--dataset", "s3://b/d", "--run", "r1", "--producer", "ci", "--scope", "s",
            "--service-url", "http://127.0.0.1:4566", "--region", "eu-west-1");
        Valid(result);
        result.CommandResult.Command.Name.Should().Be("training-complete");
        result.GetValue<string>("--version").Should().Be("2", "the model version, not the CLI's --version");
        result.GetValue<Uri>("--service-url").Should().Be(new Uri("http://127.0.0.1:4566"));
        Refused(Parse("publish", "training-complete", "--model", "digits", "--version", "2", "--artifact", "s3://b/k"),
            "--sha256 is required: the evaluator refuses an artifact whose bytes do not match it");
        Refused(Parse("publish", "training-complete", "--model", "d", "--version", "2", "--artifact", "s3://b/k", "--sha256", Sha, "--format", "h5"),
            "Argument 'h5' not recognized");
        var keras = Parse("publish", "training-complete", "--model", "d", "--version", "2", "--artifact", "s3://b/k.keras", "--sha256", Sha, "--format",
            "keras-h5", "--task", "regression");
        Valid(keras);
        keras.GetValue<string>("--task").Should().Be("regression");
        Refused(Parse("publish", "training-complete", "--model", "d", "--version", "2", "--artifact", "s3://b/k", "--sha256", Sha, "--task", "ranking"),
            "Argument 'ranking' not recognized");
        Refused(Parse("publish"), "Required command was not provided");
        Refused(Parse("publish", "model-deployed"), "Unrecognized command or argument 'model-deployed'");
    }

    [Fact]
    public void Should_parse_status_with_one_or_two_words()
    {
        var one = Parse("status", "digits", "--db", "x.db", "--json");
        Valid(one);
        one.GetValue<string>("model").Should().Be("digits");
        one.GetValue<string?>("version").Should().BeNull();
        one.GetValue<bool>("--json").Should().BeTrue();
        Valid(Parse("status", "digits", "7"));
        Refused(Parse("status"), "Required argument 'model' missing");
        Refused(Parse("status", "digits", "7", "8"), "Unrecognized command or argument '8'");
        Refused(Parse("status", "digits", "--format", "csv"), "Unrecognized command or argument '--format'");
    }

    [Fact]
    public void Should_parse_timeline_with_a_model_and_a_version()
    {
        var result = Parse("timeline", "digits", "7", "--json");
        Valid(result);
        result.GetValue<string>("version").Should().Be("7");
        Refused(Parse("timeline", "digits"), "Required argument 'version' missing");
    }

    [Fact]
    public void Should_parse_audit_times_and_formats()
    {
        var result = Parse("audit", "--model", "digits", "--since", "2026-11-24", "--until", "2026-11-25T08:00:00+01:00", "--format", "csv");
        Valid(result);
        result.GetValue<DateTimeOffset?>("--since").Should().Be(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), "a date alone is midnight UTC");
        result.GetValue<DateTimeOffset?>("--until").Should().Be(new DateTimeOffset(2026, 11, 25, 7, 0, 0, TimeSpan.Zero));
        Parse("audit").GetValue<string>("--format").Should().Be("jsonl");
        Refused(Parse("audit", "--since", "yesterday"), "--since takes an ISO 8601 time");
        Refused(Parse("audit", "--since", "2026-11-25", "--until", "2026-11-24"), "--until is before --since");
        Refused(Parse("audit", "--format", "xml"), "Argument 'xml' not recognized");
    }

    [Fact]
    public void Should_parse_audit_verify_and_anchor()
    {
        var verify = Parse("audit", "verify", "--anchor", "head.json", "--json", "--db", "bus.db");
        Valid(verify);
        verify.CommandResult.Command.Name.Should().Be("verify");
        verify.GetValue<string?>("--anchor").Should().Be("head.json");
        Valid(Parse("audit", "verify"));
        Refused(Parse("audit", "verify", "--format", "csv"), "Unrecognized command or argument '--format'");
        Valid(Parse("audit", "anchor", "--out", "head.json"));
        Valid(Parse("audit", "anchor", "--out", "s3://audit-anchors/digits/head.json", "--retain-days", "30", "--service-url", "http://127.0.0.1:4566"));
        Refused(Parse("audit", "anchor", "--out", "head.json", "--retain-days", "0"), "--retain-days takes a whole number of at least 1");
        Refused(Parse("audit", "anchor"), "--out is required: the anchor must be kept apart from the database");
    }

    [Fact]
    public void Should_parse_topology_and_refuse_a_bad_endpoint()
    {
        Valid(Parse("topology", "--json", "--scope", "s"));
        Refused(Parse("topology", "--service-url", "ftp://x"), "--service-url takes an absolute http(s) URL");
        Refused(Parse("topology", "extra"), "Unrecognized command or argument 'extra'");
    }

    [Fact]
    public void Should_parse_errors_with_its_kinds_and_counts()
    {
        var result = Parse("errors", "model-lifecycle", "--kind", "dlq", "--max", "5", "--redrive", "--json");
        Valid(result);
        result.GetValue<string>("queue").Should().Be("model-lifecycle");
        result.GetValue<string>("--kind").Should().Be("dlq");
        result.GetValue<int>("--max").Should().Be(5);
        result.GetValue<bool>("--redrive").Should().BeTrue();
        Parse("errors", "q").GetValue<string>("--kind").Should().Be("error");
        Refused(Parse("errors", "q", "--kind", "nonsense"), "Argument 'nonsense' not recognized");
        Refused(Parse("errors", "q", "--max", "-1"), "--max takes a whole number of at least 1");
        Refused(Parse("errors"), "Required argument 'queue' missing");
    }

    [Fact]
    public void Should_parse_rollback_and_insist_on_who_and_why()
    {
        var result = Parse("rollback", "digits", "2", "--reason", "latency", "--by", "oncall", "--wait", "0");
        Valid(result);
        result.GetValue<int>("--wait").Should().Be(0);
        Parse("rollback", "digits", "2", "--reason", "r", "--by", "b").GetValue<int>("--wait").Should().Be(60, "the default");
        Refused(Parse("rollback", "digits", "2", "--reason", "latency"), "--by is required: every transition is audited with who asked");
        Refused(Parse("rollback", "digits", "2", "--by", "oncall", "--reason", "  "), "--reason is required");
        Refused(Parse("rollback", "digits", "2", "--reason", "r", "--by", "b", "--wait", "soon"), "--wait takes a whole number");
    }

    [Theory]
    [InlineData("approve")]
    [InlineData("reject")]
    public void Should_parse_an_approval_decision_and_insist_on_who_and_why(string decision)
    {
        var result = Parse(decision, "digits", "3", "--reason", "reviewed", "--by", "apikey:alice", "--wait", "5", "--db", "bus.db");
        Valid(result);
        result.GetValue<string>("--by").Should().Be("apikey:alice");
        Refused(Parse(decision, "digits", "3", "--reason", "reviewed"), "--by is required: every transition is audited with who asked");
        Refused(Parse(decision, "digits", "3", "--by", "apikey:alice"), "--reason is required");
        Refused(Parse(decision, "digits", "--reason", "r", "--by", "b"), "Required argument 'version' missing");
    }

    [Theory]
    [InlineData("x.db", "Data Source=x.db")]
    [InlineData("Host=127.0.0.1;Database=bus", "Host=127.0.0.1;Database=bus")]
    public void Should_take_a_file_or_a_connection_string_for_db(string given, string expected)
    {
        var db = new DatabaseOption();
        var command = new Command("probe") { db };
        db.ConnectionString(command.Parse(["--db", given])).Should().Be(expected);
    }
}

/// <summary>Running a command line: help for every command, exit code 2 for a wrong one, and the reason on stderr.</summary>
public class When_a_command_line_is_run
{
    public static TheoryData<string[]> Commands() => [["demo"], ["publish", "training-complete"], ["status"], ["timeline"], ["audit"], ["audit", "verify"],
        ["audit", "anchor"], ["topology"], ["topology", "export"], ["iam-policy"], ["trace"], ["errors"], ["rollback"], ["approve"], ["reject"]];

    static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await BusCommandLine.RunAsync(args, output, error, default);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Should_print_generated_help_listing_every_option(string[] path)
    {
        var (code, output, _) = await Run([.. path, "--help"]);
        code.Should().Be(0);
        var command = path.Aggregate((Command)BusCommandLine.Create(), (c, name) => c.Subcommands.Single(s => s.Name == name));
        output.Should().Contain("Usage:").And.Contain(command.Description!);
        foreach (var option in command.Options)
            output.Should().Contain(option.Name);
        (await Run(["help", .. path])).Output.Should().Be(output, "`bus help <command>` is `bus <command> --help`");
    }

    [Fact]
    public async Task Should_list_the_commands_when_none_is_given()
    {
        var (code, output, _) = await Run();
        code.Should().Be(0);
        foreach (var name in new[] { "demo", "publish", "status", "timeline", "audit", "topology", "errors", "rollback", "approve", "reject" })
            output.Should().Contain(name);
        output.Should().Contain("exit codes: 0 done; 1 refused or failed");
    }

    [Fact]
    public async Task Should_exit_2_with_the_reason_for_a_wrong_command_line()
    {
        var (code, output, error) = await Run("rollback", "digits", "2", "--reason", "r", "--who", "me");
        code.Should().Be(BusCommandLine.Usage);
        output.Should().BeEmpty("nothing ran");
        error.Should().Contain("bus: Unrecognized command or argument '--who'").And.Contain("see: bus rollback --help");
        (await Run("frobnicate")).Code.Should().Be(BusCommandLine.Usage);
    }

    [Fact]
    public async Task Should_exit_2_for_an_announcement_the_lifecycle_would_refuse_before_sending_anything()
    {
        var (code, _, error) = await Run("publish", "training-complete", "--model", "digits", "--version", "2", "--artifact", "s3://b/k", "--sha256",
            "abc", "--service-url", "http://127.0.0.1:9");
        code.Should().Be(BusCommandLine.Usage);
        error.Should().Contain("the lifecycle would refuse this announcement: artifactSha256 must be 64 hex digits");
        (await Run("publish", "training-complete", "--model", "digits", "--version", "2", "--artifact", "s3://bucket-only", "--sha256", new string('a', 64),
            "--service-url", "http://127.0.0.1:9")).Error.Should().Contain("artifactUri must be s3://bucket/key");
    }

    [Fact]
    public async Task Should_exit_1_when_the_database_is_not_there()
    {
        var (code, _, error) = await Run("status", "digits", "--db", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "bus.db"));
        code.Should().Be(BusCommandLine.Failed);
        error.Should().Contain("no pipeline database at");
    }
}

public class When_an_anchor_goes_to_S3
{
    [Fact]
    public void Should_carry_a_retention_when_the_bucket_has_Object_Lock()
    {
        var until = new DateTime(2027, 12, 4, 0, 0, 0, DateTimeKind.Utc);

        var locked = AuditAnchorStore.Put("anchors", "head.json", "{}", Amazon.S3.ObjectLockMode.Governance, until);
        var plain = AuditAnchorStore.Put("anchors", "head.json", "{}", null, until);

        locked.ObjectLockMode.Should().Be(Amazon.S3.ObjectLockMode.Governance);
        locked.ObjectLockRetainUntilDate.Should().Be(until);
        locked.ChecksumAlgorithm.Should().Be(Amazon.S3.ChecksumAlgorithm.SHA256, "S3 wants a checksum on an object written with a retention");
        plain.ObjectLockMode.Should().BeNull();
        plain.ObjectLockRetainUntilDate.Should().BeNull();
    }
}
