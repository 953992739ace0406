using Bus.Cli;

Console.SetOut(new PrintableWriter(Console.Out));
Console.SetError(new PrintableWriter(Console.Error));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return args.FirstOrDefault() switch
    {
        "demo" => await Demo.RunAsync(args.Skip(1).ToArray()),
        "status" => await StatusCommands.StatusAsync(args.Skip(1).ToArray(), cancel.Token),
        "timeline" => await StatusCommands.TimelineAsync(args.Skip(1).ToArray(), cancel.Token),
        "rollback" => await RollbackCommand.RunAsync(args.Skip(1).ToArray(), cancel.Token),
        "audit" => await AuditCommand.RunAsync(args.Skip(1).ToArray(), cancel.Token),
        "topology" => await TopologyCommand.RunAsync(args.Skip(1).ToArray(), cancel.Token),
        "errors" => await ErrorsCommand.RunAsync(args.Skip(1).ToArray(), cancel.Token),
        "publish" => await PublishCommand.RunAsync(args.Skip(1).ToArray(), cancel.Token),
        null or "help" or "--help" or "-h" => Usage(0),
        var other => Usage(2, $"unknown command '{other}'"),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"bus: {ex.Message}");
    return 2;
}
catch (CommandException ex)
{
    Console.Error.WriteLine($"bus: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("bus: cancelled");
    return 130;
}

static int Usage(int code, string? error = null)
{
    if (error is not null)
        Console.Error.WriteLine($"bus: {error}");
    Console.WriteLine("""
        usage: bus <command>

          demo                           start the emulator and two consumer hosts on 127.0.0.1, train a model with
                                         TensorFlow.js, follow it through evaluation and deployment, ask the inference
                                         endpoint for a prediction, then show a deliberately weak model being rejected;
                                         cleans up after itself
          publish training-complete --model <name> --version <v> --artifact s3://… --sha256 <hex>
                  [--format tfjs-layers|onnx] [--validation s3://…] [--dataset s3://…] [--run <id>] [--producer <who>]
                                         announce a trained model as a training job does (plain JSON on SNS)
          status <model> [<version>]     every version of a model (state, accuracy, which one serves), or one version
          timeline <model> <version>     the audit trail of a version: each transition, when, by whom, on which host,
                                         with which artifact
          audit [--model <name>] [--since <time>] [--until <time>] [--format jsonl|csv]
                                         every transition of every version, oldest first, one per line (JSON Lines
                                         or CSV with a header): when, model, version, state, event, who, host,
                                         artifact and sha256, detail, message and trace ids; times are ISO 8601, UTC
                                         unless an offset is given; --until is exclusive
          topology                       each stage topic and the queues it fans out to, the queues without a topic
                                         (_error, _skipped, _dlq), and how many messages wait in each; read-only
          errors <queue> [--kind error|skipped|dlq] [--max <n>] [--redrive]
                                         the messages in a queue's failure queue and why they failed (they stay
                                         there); --redrive moves them back to <queue> once the cause is fixed
          rollback <model> <version> --reason <why> --by <who> [--wait <seconds>]
                                         restore the previous champion; the request is stored in the pipeline's outbox
                                         (delivered even if SNS is down right now), then followed to its outcome

        options
          --db <connection string>       the pipeline database (default: Bus__Persistence__ConnectionString, else
                                         bus.db in Bus__Host__DataDirectory, by default .bus as for the hosts)
          --json                         status, timeline, topology and errors as JSON
          --service-url, --scope, --region
                                         where SNS/SQS are, for publish, rollback, topology and errors (default:
                                         Bus__Aws__ServiceUrl, Bus__Aws__Scope, Bus__Aws__Region; AWS credentials
                                         from the SDK's usual chain)

        exit codes: 0 done; 1 refused or failed (the reason is printed); 2 usage; 3 stored but the outcome was not seen
        within --wait (default 60 s): it still happens, follow it with `bus timeline`
        """);
    return code;
}
