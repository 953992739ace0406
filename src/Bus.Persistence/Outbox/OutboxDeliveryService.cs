using System.Data.Common;
using Bus.Shared;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Persistence.Outbox;

/// <summary>
/// Sends what committed transactions left in the outbox (forgetting old rows is <see cref="OutboxCleanup"/>'s job).
/// Each round claims a batch of undelivered outboxes with a lease (PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>, so
/// several hosts take different outboxes; SQLite: one writer), sends each outbox's messages in order, records progress
/// per message, and marks the outbox delivered. A failed send releases the outbox with a growing delay; a host that
/// dies mid-delivery loses its lease and another host resumes after the last recorded message (the receiving inbox
/// absorbs the at-most-one resend).
/// </summary>
public sealed class OutboxDeliveryService(BusDatabase database, IBusControl bus, OutboxSignal signal, IOptions<BusOutboxOptions> options,
    ILogger<OutboxDeliveryService> logger) : BackgroundService
{
    readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    readonly BusOutboxOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.DeliveryEnabled)
        {
            logger.LogWarning("Outbox delivery is disabled in this process (Bus:Outbox:DeliveryEnabled=false): committed messages wait for another host");
            return;
        }

        try
        {
            await database.WaitUntilReachableAsync(logger, _options.MaxRetryDelay, stoppingToken).ConfigureAwait(false);
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60)).WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var failures = 0;
        var nextSample = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await DeliverOnceAsync(stoppingToken).ConfigureAwait(false);
                if (DateTime.UtcNow >= nextSample)
                {
                    // The backlog gauges: what waits, since when. A backlog that grows means SNS/SQS refuse or cannot be reached.
                    OutboxMetrics.Sample(await database.BacklogAsync(stoppingToken).ConfigureAwait(false));
                    nextSample = DateTime.UtcNow + OutboxMetrics.SampleInterval;
                }

                failures = 0;
                if (sent == 0)
                    await signal.WaitAsync(_options.PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = Pause(failures);
                logger.LogError(ex, "Outbox delivery round failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// One round: claim up to a batch of outboxes, read all their messages in one query, send each outbox's
    /// messages in order (outboxes side by side), and mark the delivered ones in one statement. Returns the number
    /// of messages sent.
    /// </summary>
    public async Task<int> DeliverOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
            return 0;

        var records = await LoadAsync(claimed, cancellationToken).ConfigureAwait(false);
        var results = await Task.WhenAll(claimed.Select(c => DeliverOutboxAsync(c.OutboxId, records.GetValueOrDefault(c.OutboxId) ?? [], cancellationToken)))
            .ConfigureAwait(false);

        var delivered = claimed.Where((_, i) => results[i].Complete).Select(c => c.OutboxId).ToList();
        if (delivered.Count > 0)
        {
            await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            var (inList, parameters) = InList(delivered);
            await Sql.ExecuteAsync(connection, null,
                $"UPDATE bus_outbox SET delivered_at = @now, locked_by = NULL, locked_until = NULL, last_error = NULL WHERE locked_by = @me AND outbox_id IN " +
                    $"({inList})",
                cancellationToken, [("now", Sql.Now()), ("me", _owner), .. parameters]).ConfigureAwait(false);
        }

        return results.Sum(r => r.Sent);
    }

    async Task<List<(string OutboxId, long LastSequence)>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = Sql.Now();
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await database.Dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var claimed = new List<(string, long)>();
        var (only, onlyParameters) = _options.DeliverOnlyMessages is { } mine
            ? InList(mine.Select(m => m.ToString()), "only") : (null, []);
        var own = only is null ? string.Empty : $"AND outbox_id IN (SELECT outbox_id FROM bus_outbox_message WHERE message_id IN ({only})) ";
        await using (var select = Sql.Command(connection, transaction,
                         $"SELECT outbox_id, last_sequence FROM bus_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= @now AND " +
                             $"(locked_until IS NULL OR locked_until < @now) {own}ORDER BY created_at LIMIT @n {database.Dialect.SkipLocked}",
                         [("now", now), ("n", _options.BatchSize), .. onlyParameters]))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                claimed.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        if (claimed.Count > 0)
        {
            var (inList, parameters) = InList(claimed.Select(c => c.Item1));
            await Sql.ExecuteAsync(connection, transaction, $"UPDATE bus_outbox SET locked_by = @me, locked_until = @until WHERE outbox_id IN ({inList})",
                cancellationToken,
                [("me", _owner), ("until", now + (long)_options.LeaseDuration.TotalMilliseconds), .. parameters]).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    async Task<Dictionary<string, List<OutboxRecord>>> LoadAsync(List<(string OutboxId, long LastSequence)> claimed, CancellationToken cancellationToken)
    {
        var last = claimed.ToDictionary(c => c.OutboxId, c => c.LastSequence);
        var (inList, parameters) = InList(last.Keys);
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Sql.Command(connection, null,
            $"SELECT {OutboxRecord.Columns} FROM bus_outbox_message WHERE outbox_id IN ({inList}) ORDER BY outbox_id, sequence_number", parameters);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, List<OutboxRecord>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var outboxId = reader.GetString(0);
            var record = OutboxRecord.Read(reader);
            if (record.SequenceNumber <= last[outboxId])
                continue; // sent before a host died mid-outbox
            if (!result.TryGetValue(outboxId, out var list))
                result[outboxId] = list = [];
            list.Add(record);
        }

        return result;
    }

    static (string InList, (string, object?)[] Parameters) InList(IEnumerable<string> ids, string prefix = "id")
    {
        var parameters = ids.Select((id, i) => ($"{prefix}{i}", (object?)id)).ToArray();
        return (string.Join(", ", parameters.Select(p => "@" + p.Item1)), parameters);
    }

    /// <summary>Sends one outbox's remaining messages in order; stops at the first failure (the outbox is released with a delay).</summary>
    async Task<(int Sent, bool Complete)> DeliverOutboxAsync(string outboxId, List<OutboxRecord> records, CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var record in records)
        {
            try
            {
                if (record.ExpirationTime is { } expires && expires < Sql.Now())
                    logger.LogWarning("Outbox message {MessageId} to {Destination} expired before delivery; dropped as its time-to-live asks", record.MessageId,
                        record.Destination);
                else
                    await SendAsync(record, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                OutboxMetrics.Failures.Add(1);
                await ReleaseFailedAsync(outboxId, ex).ConfigureAwait(false);
                return (sent, false);
            }

            sent++;
            OutboxMetrics.Delivered.Add(1);
            if (ReferenceEquals(record, records[^1]))
                break;
            // Progress per message: a host that dies after this point resumes at the next message, not the first.
            await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            var progressed = await Sql.ExecuteAsync(connection, null, "UPDATE bus_outbox SET last_sequence = @s WHERE outbox_id = @id AND locked_by = @me",
                cancellationToken,
                ("s", record.SequenceNumber), ("id", outboxId), ("me", _owner)).ConfigureAwait(false);
            if (progressed == 0)
            {
                logger.LogWarning("Lost the lease on outbox {OutboxId} after message {Sequence}; another host continues it", outboxId, record.SequenceNumber);
                return (sent, false);
            }
        }

        return (sent, true);
    }

    async Task SendAsync(OutboxRecord record, CancellationToken cancellationToken)
    {
        var message = record.ToMessageContext();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        var endpoint = await bus.GetSendEndpoint(new Uri(record.Destination)).ConfigureAwait(false);
        await endpoint.Send(new SerializedMessageBody(), new RestorePipe(message), timeout.Token).ConfigureAwait(false);
        OutboxMetrics.Latency.Record(Math.Max(0, Sql.Now() - record.SentTime));
    }

    async Task ReleaseFailedAsync(string outboxId, Exception ex)
    {
        var cancellationToken = CancellationToken.None;
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var attempts = Convert.ToInt32(await Sql.ScalarAsync(connection, null, "SELECT attempts FROM bus_outbox WHERE outbox_id = @id", cancellationToken,
            ("id", outboxId))
            .ConfigureAwait(false) ?? 0, System.Globalization.CultureInfo.InvariantCulture) + 1;
        if (_options.IsPermanent(ex) || _options.IsPermanent(ex.GetBaseException()))
        {
            var permanent = Convert.ToInt32(await Sql.ScalarAsync(connection, null, "SELECT permanent_failures FROM bus_outbox WHERE outbox_id = @id",
                cancellationToken,
                ("id", outboxId)).ConfigureAwait(false) ?? 0, System.Globalization.CultureInfo.InvariantCulture) + 1;
            if (permanent >= _options.MaxPermanentFailures)
            {
                logger.LogError(ex, "Outbox {OutboxId} is dead: the broker refused its message {Failures} time(s) for a reason that will not heal", outboxId,
                    permanent);
                OutboxMetrics.DeadOutboxes.Add(1);
                await Sql.ExecuteAsync(connection, null,
                    "UPDATE bus_outbox SET locked_by = NULL, locked_until = NULL, attempts = @a, permanent_failures = @p, dead_at = @now, last_error = @e " +
                        "WHERE outbox_id = @id AND locked_by = @me",
                    CancellationToken.None, ("a", attempts), ("p", permanent), ("now", Sql.Now()), ("e", ex.GetBaseException().Message), ("id", outboxId),
                        ("me", _owner))
                    .ConfigureAwait(false);
                return;
            }

            await Sql.ExecuteAsync(connection, null, "UPDATE bus_outbox SET permanent_failures = @p WHERE outbox_id = @id", CancellationToken.None, ("p",
                permanent), ("id", outboxId))
                .ConfigureAwait(false);
        }

        var delay = Backoff.Exponential(attempts, TimeSpan.FromSeconds(1), _options.MaxRetryDelay);
        logger.LogWarning(ex, "Outbox {OutboxId} delivery failed (attempt {Attempts}); retrying in {Delay}", outboxId, attempts, delay);
        await Sql.ExecuteAsync(connection, null,
            "UPDATE bus_outbox SET locked_by = NULL, locked_until = NULL, attempts = @a, next_attempt_at = @next, last_error = @e WHERE outbox_id = @id AND " +
                "locked_by = @me",
            CancellationToken.None, ("a", attempts), ("next", Sql.Now() + (long)delay.TotalMilliseconds), ("e", ex.GetBaseException().Message), ("id",
                outboxId), ("me", _owner))
            .ConfigureAwait(false);
    }

    /// <summary>How long to wait after <paramref name="failures"/> failed rounds in a row: doubling from 1 s, capped by MaxRetryDelay.</summary>
    TimeSpan Pause(int failures) => Backoff.Exponential(Math.Max(1, failures), TimeSpan.FromSeconds(1), _options.MaxRetryDelay);

    /// <summary>MassTransit's outbox send pipe (ids, headers, transport properties), plus the remaining delay of a delayed send.</summary>
    sealed class RestorePipe(InMemoryOutboxMessage message) : IPipe<SendContext>
    {
        readonly OutboxMessageSendPipe _inner = new(message, message.DestinationAddress);

        public async Task Send(SendContext context)
        {
            await _inner.Send(context).ConfigureAwait(false);
            if (message.EnqueueTime is { } at && at > DateTime.UtcNow)
                context.Delay = at - DateTime.UtcNow;
        }

        public void Probe(ProbeContext context) => _inner.Probe(context);
    }
}
