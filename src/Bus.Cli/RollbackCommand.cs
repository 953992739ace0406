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
/// `bus rollback`: asks the lifecycle saga to restore the previous champion. The request is written to the pipeline
/// database's outbox in one transaction (the bus outbox), so once the CLI says "stored" it will be delivered even if
/// SNS is unreachable now: by this process while it waits, or by any host's delivery service after it exits. Then
/// it follows the version until the saga reports the outcome.
/// </summary>
static class RollbackCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "the model's name" };
        var version = new Argument<string>("version") { Description = "the deployed champion to roll back" };
        var db = new DatabaseOption();
        var aws = new AwsEndpointOptions();
        var command = new Command("rollback", "restore the previous champion; the request is stored in the pipeline's outbox (delivered even if SNS " +
            "is down right now), then followed to its outcome") { model, version };
        var reasonOption = CliOptions.Required(command, "--reason", "why", "why it is rolled back", "every transition is audited with why");
        var byOption = CliOptions.Required(command, "--by", "who", "who asks", "every transition is audited with who asked");
        var waitOption = CliOptions.WholeNumber("--wait", "seconds", "how long to follow the request before exit 3 (it still happens)", minimum: 0,
            defaultValue: () => 60);
        command.Options.Add(waitOption);
        command.Options.Add(db);
        aws.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(new Request(result.GetRequiredValue(model), result.GetRequiredValue(version),
            result.GetRequiredValue(reasonOption), result.GetRequiredValue(byOption), TimeSpan.FromSeconds(result.GetValue(waitOption)),
            db.ConnectionString(result), aws.Region(result), aws.ServiceUrl(result), aws.Scope(result)), cancellationToken));
        return command;
    }

    sealed record Request(string Model, string Version, string Reason, string By, TimeSpan Wait, string ConnectionString, string Region, Uri? ServiceUrl,
        string? Scope);

    static async Task<int> RunAsync(Request request, CancellationToken cancellationToken)
    {
        var (model, version, reason, by, wait) = (request.Model, request.Version, request.Reason, request.By, request.Wait);
        var database = LifecycleDatabase.Open(request.ConnectionString);

        // Refuse here what the saga would refuse, with the same reasons, before anything is sent.
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        if (saga.CurrentState != LifecycleStates.Deployed)
            throw new CommandException($"only the deployed champion can be rolled back; {model} {version} is {saga.CurrentState}");
        if (saga.PreviousChampionId is null)
            throw new CommandException($"{model} {version} has no previous champion to restore: it is the first deployed version of {model}");

        var requestedAt = DateTimeOffset.UtcNow;
        var messageId = NewId.NextGuid();
        using var host = BuildBusClient(request, database);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
                var unitOfWork = scope.ServiceProvider.GetRequiredService<BusUnitOfWork>();
                await publish.Publish(new RollbackModel { ModelVersionId = saga.CorrelationId, Reason = reason, RequestedBy = by },
                    c =>
                    {
                        c.MessageId = messageId;
                        c.Headers.Set(AuditHeaders.ActorKind, AuditHeaders.Cli);
                    }, cancellationToken).ConfigureAwait(false);
                await unitOfWork.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine($"rollback of {model} {version} requested by {by} (message {messageId}): stored in the outbox of {database.Shown}");
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
            var outcome = await WaitAsync(async () =>
            {
                now = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false);
                return now is not null && (now.CurrentState == LifecycleStates.RolledBack || Refused(now, requestedAt));
            }, until, cancellationToken).ConfigureAwait(false);
            if (!outcome)
            {
                Console.WriteLine($"{model} {version} is {now?.CurrentState ?? "?"} after {wait.TotalSeconds:0} s; the saga is still working on it. Follow " +
                    $"it with: bus timeline {model} {version}");
                return 3;
            }

            var last = now!.History[^1];
            if (now.CurrentState == LifecycleStates.RolledBack)
            {
                Console.WriteLine($"{model} {version} rolled back: {last.Detail}");
                return 0;
            }

            Console.WriteLine($"{model} {version} is still the champion: {last.Detail}");
            return 1;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(stop.Token).ConfigureAwait(false);
        }
    }

    static bool Refused(ModelLifecycleState saga, DateTimeOffset requestedAt) =>
        saga.CurrentState == LifecycleStates.Deployed && saga.History.Any(h => h.At >= requestedAt.AddSeconds(-5) && h.Event == nameof(RollbackRejected));

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
    static IHost BuildBusClient(Request request, LifecycleDatabase database)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(database.Dialect.ConnectionString, o => o.PollInterval = TimeSpan.FromMilliseconds(200));
            x.UsingAmazonSqs((_, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.Region = request.Region;
                    h.ServiceUrl = request.ServiceUrl;
                    h.Scope = request.Scope;
                });
                StageEntityNameFormatter.Apply(cfg);
            });
        });
        return builder.Build();
    }
}
