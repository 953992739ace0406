using Amazon.SQS.Model;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Holds a received message invisible while it is processed: the visibility timeout is extended before it
/// lapses (at 60% of each step, in steps of at least 30 s and at most 5 minutes, within the 12-hour cap),
/// so a 10-minute job on a 30-second queue is delivered once. Deletes on success; on failure or shutdown
/// the message becomes visible again at once.
/// </summary>
sealed class SqsReceiveLockContext : ReceiveLockContext
{
    static readonly TimeSpan MaxStep = TimeSpan.FromMinutes(5);
    readonly SqsEntityClient _client;
    readonly QueueInfo _queue;
    readonly Message _message;
    readonly SqsReceiveSettings _settings;
    readonly Uri _inputAddress;
    readonly CancellationTokenSource _renewing = new();
    readonly DateTime _receivedAt = DateTime.UtcNow;
    readonly Task _renewal;
    volatile bool _locked = true;

    public SqsReceiveLockContext(SqsEntityClient client, QueueInfo queue, Message message, SqsReceiveSettings settings, Uri inputAddress)
    {
        _client = client;
        _queue = queue;
        _message = message;
        _settings = settings;
        _inputAddress = inputAddress;
        _renewal = Task.Run(RenewAsync);
    }

    public async Task Complete()
    {
        await StopRenewalAsync().ConfigureAwait(false);
        try
        {
            await _client.DeleteAsync(_queue, _message.ReceiptHandle, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ReceiptHandleIsInvalidException or MessageNotInflightException)
        {
            _locked = false;
            throw;
        }
    }

    public async Task Faulted(Exception exception)
    {
        await StopRenewalAsync().ConfigureAwait(false);
        try
        {
            await _client.ChangeVisibilityAsync(_queue, _message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogContext.Warning?.Log(ex, "Could not make message {MessageId} visible again after {Exception}", _message.MessageId, exception.Message);
        }
        finally
        {
            _locked = false;
        }
    }

    public Task ValidateLockStatus() =>
        _locked ? Task.CompletedTask : throw new TransportException(_inputAddress, $"Message lock lost: {_message.MessageId}");

    async Task StopRenewalAsync()
    {
        await _renewing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _renewal.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _renewing.Dispose();
    }

    async Task RenewAsync()
    {
        var token = _renewing.Token;
        var step = TimeSpan.FromSeconds(Math.Max(_queue.VisibilityTimeoutSeconds, 1));
        var invisibleUntil = _receivedAt + step;
        var cap = _receivedAt + _settings.MaxVisibilityExtension;
        while (!token.IsCancellationRequested)
        {
            var wait = (invisibleUntil - DateTime.UtcNow) * 0.6;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, token).ConfigureAwait(false);

            var next = TimeSpan.FromTicks(Math.Clamp(step.Ticks * 2, TimeSpan.FromSeconds(30).Ticks, MaxStep.Ticks));
            var now = DateTime.UtcNow;
            if (now + next > cap)
                next = cap - now;
            if (next <= TimeSpan.Zero)
            {
                LogContext.Warning?.Log("Message {MessageId} reached its visibility limit of {Limit}; it will become visible again", _message.MessageId,
                    _settings.MaxVisibilityExtension);
                return;
            }

            try
            {
                // The visibility timeout counts from now, not from the receive.
                await _client.ChangeVisibilityAsync(_queue, _message.ReceiptHandle, (int)Math.Ceiling(next.TotalSeconds), token).ConfigureAwait(false);
                invisibleUntil = now + next;
                step = next;
            }
            catch (Exception ex) when (ex is ReceiptHandleIsInvalidException or MessageNotInflightException)
            {
                LogContext.Warning?.Log(ex, "Message {MessageId} is no longer in flight; the lock is lost", _message.MessageId);
                _locked = false;
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                // A transient failure: try again soon, well before the current timeout lapses.
                LogContext.Warning?.Log(ex, "Extending the visibility of {MessageId} failed; retrying", _message.MessageId);
                await Task.Delay(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
            }
        }
    }
}
