using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;

namespace Bus.Persistence.Outbox;

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
