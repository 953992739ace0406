using System.Data.Common;
using Bus.Contracts;
using Bus.Persistence;
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
    static readonly HashSet<string> Options = ["db", "reason", "by", "wait", "service-url", "scope", "region"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional.Count != 2)
            throw new UsageException("usage: bus rollback <model> <version> --reason <why> --by <who> [--wait <seconds>] [--db ...] [--service-url ...] " +
                "[--scope ...] [--region ...]");
        var (model, version) = (a.Positional[0], a.Positional[1]);
        var reason = a.Required("reason", "every transition is audited with why");
        var by = a.Required("by", "every transition is audited with who asked");
        var wait = a.Wait;
        var database = LifecycleDatabase.Open(a.ConnectionString);

        // Refuse here what the saga would refuse, with the same reasons, before anything is sent.
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        if (saga.CurrentState != LifecycleStates.Deployed)
            throw new CommandException($"only the deployed champion can be rolled back; {model} {version} is {saga.CurrentState}");
        if (saga.PreviousChampionId is null)
            throw new CommandException($"{model} {version} has no previous champion to restore: it is the first deployed version of {model}");

        var requestedAt = DateTimeOffset.UtcNow;
        var messageId = NewId.NextGuid();
        using var host = BuildBusClient(a, database);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
                var unitOfWork = scope.ServiceProvider.GetRequiredService<BusUnitOfWork>();
                await publish.Publish(new RollbackModel { ModelVersionId = saga.CorrelationId, Reason = reason, RequestedBy = by },
                    c => c.MessageId = messageId, cancellationToken).ConfigureAwait(false);
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
        saga.CurrentState == LifecycleStates.Deployed && saga.History.Any(h => h.At >= requestedAt.AddSeconds(-5) && h.Event == "RollbackRefused");

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
    static IHost BuildBusClient(Arguments a, LifecycleDatabase database)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        var region = a.Region;
        var serviceUrl = a.ServiceUrl;
        var scope = a.Scope;
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(database.Dialect.ConnectionString, o => o.PollInterval = TimeSpan.FromMilliseconds(200));
            x.UsingAmazonSqs((_, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.Region = region;
                    h.ServiceUrl = serviceUrl;
                    h.Scope = scope;
                });
                StageEntityNameFormatter.Apply(cfg);
            });
        });
        return builder.Build();
    }
}
