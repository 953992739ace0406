using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Persistence.Outbox;

/// <summary>
/// The transactional inbox and outbox around one consumer (or saga) and one message, on MassTransit's outbox seam:
/// a message id already consumed by this consumer is acknowledged without running it again; otherwise the consumer
/// runs, and its saga state, the inbox row and every message it sent or published commit in one transaction. The
/// delivery service sends the messages afterwards.
/// </summary>
public sealed class BusOutboxContextFactory(BusUnitOfWork unitOfWork, IServiceProvider provider, IOptions<BusOutboxOptions> outboxOptions,
    ILogger<BusOutboxContextFactory> logger)
    : IOutboxContextFactory<BusUnitOfWork>
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId() ?? throw new MessageException(typeof(T), "A message must have a MessageId to pass the inbox");
        var cancellationToken = context.CancellationToken;
        var database = unitOfWork.Database;
        var lease = outboxOptions.Value.InboxLease;
        await database.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await unitOfWork.ResetAsync().ConfigureAwait(false);

        var claim = Guid.NewGuid().ToString("N");
        var waited = false;
        while (true)
        {
            var (state, receiveCount) = await Inbox.ClaimAsync(database, options, messageId, claim, lease, cancellationToken).ConfigureAwait(false);
            if (state == InboxClaim.Claimed)
                break;
            if (state == InboxClaim.Consumed)
            {
                logger.LogInformation("{ConsumerType} already consumed message {MessageId} (delivery {ReceiveCount}); acknowledged without running it again",
                    options.ConsumerType, messageId, receiveCount);
                await context.NotifyConsumed(context, TimeSpan.Zero, options.ConsumerType).ConfigureAwait(false);
                return;
            }

            // Busy: the same message is being consumed right now (a concurrent duplicate delivery). Wait for that
            // attempt to commit (then acknowledge) or to fail or lapse (then run it here).
            if (!waited)
                logger.LogInformation("{ConsumerType} message {MessageId} is being consumed by another delivery; waiting for its outcome", options.ConsumerType,
                    messageId);
            waited = true;
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }

        unitOfWork.Enlisted = true;
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = Inbox.RenewWhileRunningAsync(database, options.ConsumerId, messageId, claim, lease, renewal.Token);
        var committed = false;
        try
        {
            var outboxContext = new BusOutboxConsumeContext<T>(context, options, provider, unitOfWork);
            await next.Send(outboxContext).ConfigureAwait(false);
            if (!outboxContext.IsMessageConsumed)
                return;

            var (connection, transaction) = await unitOfWork.BeginAsync(cancellationToken).ConfigureAwait(false);
            var outboxId = await unitOfWork.WriteOutboxAsync(messageId, options.ConsumerId, cancellationToken).ConfigureAwait(false);
            if (!await Inbox.MarkConsumedAsync(connection, transaction, options.ConsumerId, messageId, claim, outboxId, cancellationToken)
                .ConfigureAwait(false))
            {
                // This attempt's claim lapsed and another delivery took the message over: its transaction decides;
                // this one's state changes and messages roll back so nothing is applied or sent twice.
                logger.LogWarning("{ConsumerType} lost its claim on message {MessageId} to another delivery; this attempt is rolled back", options.ConsumerType,
                    messageId);
                committed = true;
                return;
            }

            await unitOfWork.CommitTransactionAsync(cancellationToken).ConfigureAwait(false);
            committed = true;
            if (outboxId is not null)
                unitOfWork.NotifyCommitted();
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            unitOfWork.Enlisted = false;
            await unitOfWork.ResetAsync().ConfigureAwait(false);
            if (!committed)
                await Inbox.ReleaseAsync(database, options.ConsumerId, messageId, claim).ConfigureAwait(false);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("busOutbox").Add("database", unitOfWork.Database.Dialect.Name);
}
