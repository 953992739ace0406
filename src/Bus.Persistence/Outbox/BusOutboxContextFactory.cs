using System.Globalization;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.Extensions.Logging;

namespace Bus.Persistence.Outbox;

/// <summary>
/// The transactional inbox and outbox around one consumer (or saga) and one message, on MassTransit's outbox seam:
/// a message id already consumed by this consumer is acknowledged without running it again; otherwise the consumer
/// runs, and its saga state, the inbox row and every message it sent or published commit in one transaction. The
/// delivery service sends the messages afterwards.
/// </summary>
public sealed class BusOutboxContextFactory(BusUnitOfWork unitOfWork, IServiceProvider provider, ILogger<BusOutboxContextFactory> logger)
    : IOutboxContextFactory<BusUnitOfWork>
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId() ?? throw new MessageException(typeof(T), "A message must have a MessageId to pass the inbox");
        var cancellationToken = context.CancellationToken;
        var database = unitOfWork.Database;
        await database.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await unitOfWork.ResetAsync().ConfigureAwait(false);

        var receiveCount = await Inbox.SeenAsync(database, options.ConsumerId, messageId, cancellationToken).ConfigureAwait(false);
        if (receiveCount is not null)
        {
            logger.LogInformation("{ConsumerType} already consumed message {MessageId} (delivery {ReceiveCount}); acknowledged without running it again",
                options.ConsumerType, messageId, receiveCount + 1);
            await context.NotifyConsumed(context, TimeSpan.Zero, options.ConsumerType).ConfigureAwait(false);
            return;
        }

        unitOfWork.Enlisted = true;
        try
        {
            var outboxContext = new BusOutboxConsumeContext<T>(context, options, provider, unitOfWork);
            await next.Send(outboxContext).ConfigureAwait(false);
            if (!outboxContext.IsMessageConsumed)
                return;

            var (connection, transaction) = await unitOfWork.BeginAsync(cancellationToken).ConfigureAwait(false);
            if (!await Inbox.TryRecordAsync(connection, transaction, options, messageId, cancellationToken).ConfigureAwait(false))
            {
                // Another host consumed the same message while this one ran: its transaction won; this one's state
                // changes and messages are rolled back so nothing is applied or sent twice.
                logger.LogWarning("{ConsumerType} message {MessageId} was consumed concurrently elsewhere; this attempt is rolled back", options.ConsumerType, messageId);
                return;
            }

            var outboxId = await unitOfWork.WriteOutboxAsync(messageId, options.ConsumerId, cancellationToken).ConfigureAwait(false);
            if (outboxId is not null)
                await Inbox.LinkOutboxAsync(connection, transaction, options.ConsumerId, messageId, outboxId.Value, cancellationToken).ConfigureAwait(false);
            await unitOfWork.CommitTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (outboxId is not null)
                unitOfWork.NotifyCommitted();
        }
        finally
        {
            unitOfWork.Enlisted = false;
            await unitOfWork.ResetAsync().ConfigureAwait(false);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("busOutbox").Add("database", unitOfWork.Database.Dialect.Name);
}

/// <summary>The consume context a consumer sees inside the outbox: sends and publishes are captured into the unit of work.</summary>
sealed class BusOutboxConsumeContext<TMessage>(ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider, BusUnitOfWork unitOfWork)
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

static class Inbox
{
    /// <summary>The number of times a consumed message id has arrived, counting this one; null when it was never consumed.</summary>
    public static async Task<int?> SeenAsync(BusDatabase database, Guid consumerId, Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var count = await Sql.ScalarAsync(connection, null, "SELECT receive_count FROM bus_inbox WHERE consumer_id = @c AND message_id = @m AND consumed_at IS NOT NULL",
            cancellationToken, ("c", consumerId.ToString()), ("m", messageId.ToString())).ConfigureAwait(false);
        if (count is null)
            return null;
        await Sql.ExecuteAsync(connection, null, "UPDATE bus_inbox SET receive_count = receive_count + 1 WHERE consumer_id = @c AND message_id = @m",
            cancellationToken, ("c", consumerId.ToString()), ("m", messageId.ToString())).ConfigureAwait(false);
        return Convert.ToInt32(count, CultureInfo.InvariantCulture);
    }

    public static async Task<bool> TryRecordAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, OutboxConsumeOptions options,
        Guid messageId, CancellationToken cancellationToken)
    {
        var now = Sql.Now();
        try
        {
            await Sql.ExecuteAsync(connection, transaction,
                "INSERT INTO bus_inbox (consumer_id, message_id, consumer_type, received_at, consumed_at, receive_count) VALUES (@c, @m, @t, @now, @now, 1)",
                cancellationToken, ("c", options.ConsumerId.ToString()), ("m", messageId.ToString()), ("t", options.ConsumerType), ("now", now)).ConfigureAwait(false);
            return true;
        }
        catch (System.Data.Common.DbException ex) when (Sql.IsDuplicateKey(ex))
        {
            return false;
        }
    }

    public static Task LinkOutboxAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, Guid consumerId, Guid messageId, Guid outboxId,
        CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, transaction, "UPDATE bus_inbox SET outbox_id = @o WHERE consumer_id = @c AND message_id = @m", cancellationToken,
            ("o", outboxId.ToString()), ("c", consumerId.ToString()), ("m", messageId.ToString()));
}
