using System.Data.Common;
using System.Globalization;
using MassTransit.Middleware;

namespace Bus.Persistence.Outbox;

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
