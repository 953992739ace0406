using System.CommandLine;
using System.CommandLine.Help;
using Bus.Cli.Topology;

namespace Bus.Cli;

/// <summary>
/// The `bus` command line: every command, parsed by System.CommandLine (typed options, generated help, tab
/// completion, unknown options refused). Exit codes: 0 done; 1 refused or failed (the reason is printed); 2 the
/// command line is wrong; 3 stored but the outcome was not seen in time (it still happens); 130 cancelled.
/// </summary>
static class BusCommandLine
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    public static RootCommand Create()
    {
        var root = new RootCommand("Bus: carries a trained model from training-complete to verified and serving on SNS/SQS.\n\n" +
            "exit codes: 0 done; 1 refused or failed (the reason is printed); 2 usage; 3 stored but the outcome was not seen within --wait: it " +
            "still happens, follow it with `bus timeline`")
        {
            DemoCommand.Create(),
            PublishCommand.Create(),
            StatusCommand.Create(),
            TimelineCommand.Create(),
            AuditCommand.Create(),
            TopologyCommand.Create(),
            ErrorsCommand.Create(),
            RollbackCommand.Create(),
            ApproveCommand.Create(),
            RolloutCliCommand.Create(),
            RejectCommand.Create(),
            IamPolicyCommand.Create(),
            TraceCommand.Create(),
        };
        RefuseUnknownOptionsAsArguments(root);
        // `bus` alone lists the commands, as `bus --help` does.
        root.SetAction(result => new HelpAction().Invoke(result));
        return root;
    }

    /// <summary>`help` as a word (`bus help status`) is the same as `--help`.</summary>
    public static string[] Normalize(IReadOnlyList<string> args) =>
        args.Count > 0 && args[0] == "help" ? [.. args.Skip(1), "--help"] : [.. args];

    public static ParseResult Parse(IReadOnlyList<string> args) => Create().Parse(Normalize(args));

    /// <summary>Parses and runs one command line; usage errors and refusals are printed to <paramref name="error"/> with "bus: ".</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var result = Parse(args);
        if (result.Errors.Count > 0 && result.Action is not HelpAction)
        {
            foreach (var problem in result.Errors)
                await error.WriteLineAsync($"bus: {problem.Message}").ConfigureAwait(false);
            await error.WriteLineAsync($"see: {CommandPath(result.CommandResult.Command)} --help").ConfigureAwait(false);
            return Usage;
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                // Ctrl+C cancels cancellationToken (Program.cs); the commands stop what they started and return.
                ProcessTerminationTimeout = null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"bus: {ex.Message}").ConfigureAwait(false);
            return Usage;
        }
        catch (CommandException ex)
        {
            await error.WriteLineAsync($"bus: {ex.Message}").ConfigureAwait(false);
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("bus: cancelled").ConfigureAwait(false);
            return Cancelled;
        }
    }

    /// <summary>
    /// System.CommandLine takes an unknown <c>--word</c> for a value of an optional argument (`bus status digits --jsn`
    /// would look up version "--jsn"). No model, version or queue name starts with '-', so such a value is refused.
    /// </summary>
    static void RefuseUnknownOptionsAsArguments(Command command)
    {
        if (command.Arguments.Count > 0)
        {
            command.Validators.Add(result =>
            {
                foreach (var argument in command.Arguments)
                {
                    foreach (var token in result.GetResult(argument)?.Tokens ?? [])
                    {
                        if (token.Value.StartsWith('-'))
                            result.AddError($"Unrecognized command or argument '{token.Value}'.");
                    }
                }
            });
        }

        foreach (var subcommand in command.Subcommands)
            RefuseUnknownOptionsAsArguments(subcommand);
    }

    static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return string.Join(' ', ["bus", .. names]);
    }
}
