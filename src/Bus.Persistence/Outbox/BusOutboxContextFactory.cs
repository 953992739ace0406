using System.Data.Common;
using System.Globalization;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
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

/// <summary>The consume context a consumer sees inside the outbox: sends and publishes are captured into the unit of work.</summary>
sealed class BusOutboxConsumeContext<TMessage>(ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider,
    BusUnitOfWork unitOfWork)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider)
    where TMessage : class
{
    bool _consumed;

    public override bool ContinueProcessing { get; set; }
    public override bool IsMessageConsumed => _consumed;

    // Delivery is the delivery service's job, after the commit; the consume pipe never delivers inline.
    public override bool IsOutboxDelivered => true;
    public override int ReceiveCount => 1;
    public override long? LastSequenceNumber => null;

    public override Task SetConsumed()
    {
        _consumed = true;
        return Task.CompletedTask;
    }

    public override Task SetDelivered() => Task.CompletedTask;
    public override Task<List<OutboxMessageContext>> LoadOutboxMessages() => Task.FromResult(new List<OutboxMessageContext>());
    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message) => Task.CompletedTask;
    public override Task RemoveOutboxMessages() => Task.CompletedTask;

    public override Task AddSend<T>(SendContext<T> context)
    {
        unitOfWork.Capture(OutboxRecord.From(context));
        return Task.CompletedTask;
    }
}

enum InboxClaim
{
    Claimed,
    Consumed,
    Busy,
}

static class Inbox
{
    /// <summary>
    /// Claims a message id for this delivery (autocommitted, before the consumer runs): a new id is claimed; a
    /// consumed one is reported with its delivery count; one claimed by a delivery whose lease lapsed is taken over;
    /// one claimed by a live delivery is busy.
    /// </summary>
    public static async Task<(InboxClaim State, int ReceiveCount)> ClaimAsync(BusDatabase database, OutboxConsumeOptions options, Guid messageId, string claim,
        TimeSpan lease,
        CancellationToken cancellationToken)
    {
        var now = Sql.Now();
        var until = now + (long)lease.TotalMilliseconds;
        var consumer = options.ConsumerId.ToString();
        var message = messageId.ToString();
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Sql.ExecuteAsync(connection, null,
                "INSERT INTO bus_inbox (consumer_id, message_id, consumer_type, received_at, receive_count, claim_token, locked_until) VALUES (@c, @m, @t, " +
                    "@now, 1, @claim, @until)",
                cancellationToken, ("c", consumer), ("m", message), ("t", options.ConsumerType), ("now", now), ("claim", claim), ("until", until))
                    .ConfigureAwait(false);
            return (InboxClaim.Claimed, 1);
        }
        catch (DbException ex) when (Sql.IsDuplicateKey(ex))
        {
        }

        if (await Sql.ExecuteAsync(connection, null,
                "UPDATE bus_inbox SET receive_count = receive_count + 1 WHERE consumer_id = @c AND message_id = @m AND consumed_at IS NOT NULL",
                cancellationToken, ("c", consumer), ("m", message)).ConfigureAwait(false) > 0)
        {
            var count = await Sql.ScalarAsync(connection, null, "SELECT receive_count FROM bus_inbox WHERE consumer_id = @c AND message_id = @m",
                cancellationToken,
                ("c", consumer), ("m", message)).ConfigureAwait(false);
            return (InboxClaim.Consumed, Convert.ToInt32(count, CultureInfo.InvariantCulture));
        }

        var taken = await Sql.ExecuteAsync(connection, null,
            "UPDATE bus_inbox SET claim_token = @claim, locked_until = @until, receive_count = receive_count + 1 WHERE consumer_id = @c AND message_id = @m " +
                "AND consumed_at IS NULL AND (locked_until IS NULL OR locked_until < @now)",
            cancellationToken, ("claim", claim), ("until", until), ("c", consumer), ("m", message), ("now", now)).ConfigureAwait(false);
        return (taken > 0 ? InboxClaim.Claimed : InboxClaim.Busy, 0);
    }

    public static async Task RenewWhileRunningAsync(BusDatabase database, Guid consumerId, Guid messageId, string claim, TimeSpan lease,
        CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(lease / 3, cancellationToken).ConfigureAwait(false);
                await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
                await Sql.ExecuteAsync(connection, null,
                    "UPDATE bus_inbox SET locked_until = @until WHERE consumer_id = @c AND message_id = @m AND claim_token = @claim",
                    cancellationToken, ("until", Sql.Now() + (long)lease.TotalMilliseconds), ("c", consumerId.ToString()), ("m", messageId.ToString()),
                        ("claim", claim))
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (DbException)
        {
            // A missed renewal only shortens the claim; the commit checks the claim is still this delivery's.
        }
    }

    /// <summary>Marks the message consumed by this claim, inside the unit of work's transaction; false when the claim was taken over.</summary>
    public static async Task<bool> MarkConsumedAsync(DbConnection connection, DbTransaction transaction, Guid consumerId, Guid messageId, string claim,
        Guid? outboxId,
        CancellationToken cancellationToken) =>
        await Sql.ExecuteAsync(connection, transaction,
            "UPDATE bus_inbox SET consumed_at = @now, claim_token = NULL, locked_until = NULL, outbox_id = @o WHERE consumer_id = @c AND message_id = @m AND " +
                "claim_token = @claim AND consumed_at IS NULL",
            cancellationToken, ("now", Sql.Now()), ("o", outboxId?.ToString()), ("c", consumerId.ToString()), ("m", messageId.ToString()), ("claim", claim))
            .ConfigureAwait(false) == 1;

    /// <summary>A failed attempt gives the message id back, so a retry or redelivery can claim it at once.</summary>
    public static async Task ReleaseAsync(BusDatabase database, Guid consumerId, Guid messageId, string claim)
    {
        try
        {
            await using var connection = await database.Dialect.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, null,
                "DELETE FROM bus_inbox WHERE consumer_id = @c AND message_id = @m AND claim_token = @claim AND consumed_at IS NULL",
                CancellationToken.None, ("c", consumerId.ToString()), ("m", messageId.ToString()), ("claim", claim)).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The claim lapses on its own after the lease.
        }
    }
}
