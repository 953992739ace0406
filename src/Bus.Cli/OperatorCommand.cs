using System.CommandLine;
using System.Data.Common;
using Bus.Contracts;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Transport.AmazonSqs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bus.Cli;

/// <summary>
/// An operator's command to the lifecycle saga (rollback, approve, reject): refused at once where the saga would refuse
/// it, then written to the pipeline database's outbox in one transaction (the bus outbox), so once the CLI says "stored"
/// it will be delivered even if SNS is unreachable now: by this process while it waits, or by any host's delivery
/// service after it exits. Then it follows the version until the saga reports the outcome.
/// </summary>
static class OperatorCommand
{
    /// <summary>What one such command is: its name and help, what it refuses before sending, the message, and how its outcome shows.</summary>
    public sealed record Action(
        string Name,
        string Description,
        string VersionDescription,
        string Noun,
        Func<ModelLifecycleState, string?> Refusal,
        Func<ModelLifecycleState, string, string, object> Message,
        Func<ModelLifecycleState, DateTimeOffset, Outcome?> Outcome);

    /// <summary>The saga's answer: done (exit 0) or refused (exit 1), with what it said.</summary>
    public sealed record Outcome(bool Done, string Text);

    public static Command Create(Action action)
    {
        var model = new Argument<string>("model") { Description = "the model's name" };
        var version = new Argument<string>("version") { Description = action.VersionDescription };
        var db = new DatabaseOption();
        var aws = new AwsEndpointOptions();
        var command = new Command(action.Name, action.Description) { model, version };
        var reasonOption = CliOptions.Required(command, "--reason", "why", "why", "every transition is audited with why");
        var byOption = CliOptions.Required(command, "--by", "who", "who decides (the principal recorded)", "every transition is audited with who asked");
        var waitOption = CliOptions.WholeNumber("--wait", "seconds", "how long to follow the request before exit 3 (it still happens)", minimum: 0,
            defaultValue: () => 60);
        command.Options.Add(waitOption);
        command.Options.Add(db);
        aws.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(action, new Request(result.GetRequiredValue(model), result.GetRequiredValue(version),
            result.GetRequiredValue(reasonOption), result.GetRequiredValue(byOption), TimeSpan.FromSeconds(result.GetValue(waitOption)),
            db.ConnectionString(result), aws.Region(result), aws.ServiceUrl(result), aws.Scope(result)), cancellationToken));
        return command;
    }

    sealed record Request(string Model, string Version, string Reason, string By, TimeSpan Wait, string ConnectionString, string Region, Uri? ServiceUrl,
        string? Scope);

    static async Task<int> RunAsync(Action action, Request request, CancellationToken cancellationToken)
    {
        var (model, version, reason, by, wait) = (request.Model, request.Version, request.Reason, request.By, request.Wait);
        var database = LifecycleDatabase.Open(request.ConnectionString);

        // Refuse here what the saga would refuse, with the same reasons, before anything is sent.
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        if (action.Refusal(saga) is { } refusal)
            throw new CommandException(refusal);

        var requestedAt = DateTimeOffset.UtcNow;
        var messageId = NewId.NextGuid();
        using var host = BuildBusClient(request, database, messageId);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
                var unitOfWork = scope.ServiceProvider.GetRequiredService<BusUnitOfWork>();
                await publish.Publish(action.Message(saga, reason, by), c =>
                {
                    c.MessageId = messageId;
                    c.Headers.Set(AuditHeaders.ActorKind, AuditHeaders.Cli);
                }, cancellationToken).ConfigureAwait(false);
                await unitOfWork.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine($"{action.Noun} of {model} {version} requested by {by} (message {messageId}): stored in the outbox of {database.Shown}");
            var until = DateTime.UtcNow + wait;
            var outbox = new BusDatabase(database.Dialect.ConnectionString);
            if (!await WaitAsync(() => outbox.IsDeliveredAsync(messageId, cancellationToken), until, cancellationToken).ConfigureAwait(false))
            {
                Console.WriteLine($"not yet delivered after {wait.TotalSeconds:0} s (is SNS reachable?); any Bus host's outbox delivery sends it. Follow it " +
                    $"with: bus timeline {model} {version}");
                return 3;
            }

            Console.WriteLine("delivered to the lifecycle saga; waiting for the outcome");
            ModelLifecycleState? now = null;
            Outcome? outcome = null;
            await WaitAsync(async () =>
            {
                now = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false);
                outcome = now is null ? null : action.Outcome(now, requestedAt);
                return outcome is not null;
            }, until, cancellationToken).ConfigureAwait(false);
            if (outcome is null)
            {
                Console.WriteLine($"{model} {version} is {now?.CurrentState ?? "?"} after {wait.TotalSeconds:0} s; the saga is still working on it. Follow " +
                    $"it with: bus timeline {model} {version}");
                return 3;
            }

            Console.WriteLine($"{model} {version} {outcome.Text}");
            return outcome.Done ? 0 : 1;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The saga's record of this request, if it made one since it was sent (allowing for clocks 5 s apart).</summary>
    public static TransitionRecord? RecordSince(ModelLifecycleState saga, DateTimeOffset requestedAt, string eventName) =>
        saga.History.LastOrDefault(h => h.At >= requestedAt.AddSeconds(-5) && h.Event == eventName);

    static async Task<bool> WaitAsync(Func<Task<bool>> condition, DateTime until, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                    return true;
            }
            catch (DbException)
            {
                // A busy database (the hosts are writing): look again.
            }

            if (DateTime.UtcNow >= until)
                return false;
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A bus with no receive endpoints: the hosts' entity names and AWS settings, the bus outbox on the pipeline database.</summary>
    /// <summary>A bus client that delivers from the database's outbox only the message it writes (<paramref name="messageId"/>), never the hosts'.</summary>
    static IHost BuildBusClient(Request request, LifecycleDatabase database, Guid messageId)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(database.Dialect.ConnectionString, o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.DeliverOnlyMessages = [messageId];
            });
            x.UsingAmazonSqs((_, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.Region = request.Region;
                    h.ServiceUrl = request.ServiceUrl;
                    h.Scope = request.Scope;
                    h.CreateEntities = AwsEndpointOptions.ConfiguredCreateEntities;
                    h.AccountId = AwsEndpointOptions.ConfiguredAccountId;
                });
                StageEntityNameFormatter.Apply(cfg);
            });
        });
        return builder.Build();
    }
}
