using Amazon.SQS;
using Bus.Transport.AmazonSqs.Configuration;
using MassTransit;
using MassTransit.Transports;
using MassTransit.Util;

namespace Bus.Transport.AmazonSqs.Transport;

sealed class SqsReceiveEndpointContext : BaseReceiveEndpointContext
{
    readonly Recycle<ClientContextSupervisor> _supervisor;

    public SqsReceiveEndpointContext(SqsHostConfiguration host, SqsReceiveEndpointConfiguration configuration)
        : base(host, configuration)
    {
        Host = host;
        Settings = configuration.Settings;
        QueueName = host.PhysicalQueueName(Settings.QueueName);
        ErrorQueueName = host.PhysicalQueueName(FailureQueues.NameFor(Settings.QueueName, FailureQueue.Error));
        SkippedQueueName = host.PhysicalQueueName(FailureQueues.NameFor(Settings.QueueName, FailureQueue.Skipped));
        RedriveQueueName = Settings.MaxReceiveCount > 0 ? host.PhysicalQueueName(FailureQueues.NameFor(Settings.QueueName, FailureQueue.DeadLetter)) : null;

        _supervisor = new Recycle<ClientContextSupervisor>(() =>
        {
            var supervisor = new ClientContextSupervisor(() => host.Client);
            host.Supervisor.AddConsumeAgent(supervisor);
            return supervisor;
        });

        GetOrAddPayload(() => host.Topology);
        GetOrAddPayload<IErrorTransport>(() => new SqsErrorTransport(this));
        GetOrAddPayload<IDeadLetterTransport>(() => new SqsDeadLetterTransport(this));
    }

    public SqsHostConfiguration Host { get; }
    public SqsReceiveSettings Settings { get; }
    public string QueueName { get; }
    public string ErrorQueueName { get; }
    public string SkippedQueueName { get; }
    public string? RedriveQueueName { get; }
    public ClientContextSupervisor Supervisor => _supervisor.Supervisor;

    /// <summary>Set once the queue exists; the receiver and the error transports use it.</summary>
    public QueueInfo? Queue { get; set; }

    public override void AddSendAgent(IAgent agent) => Supervisor.AddSendAgent(agent);

    public override void AddConsumeAgent(IAgent agent) => Supervisor.AddConsumeAgent(agent);

    public override Exception ConvertException(Exception exception, string message) =>
        exception is AmazonSQSException { StatusCode: System.Net.HttpStatusCode.BadRequest }
            ? new SqsTransportException($"{message}: {exception.Message} ({Host.Settings})", exception)
            : new SqsTransportException($"{message}: {exception.Message} ({Host.Settings})", exception);

    public override void Probe(ProbeContext context)
    {
        context.Add("type", "AmazonSQS");
        context.Set(new
        {
            QueueName,
            Settings.PrefetchCount,
            Settings.WaitTimeSeconds,
            Subscriptions = Settings.Subscriptions.Select(s => s.TopicName)
            .ToArray()
        });
    }

    protected override ISendTransportProvider CreateSendTransportProvider() => new SqsSendTransportProvider(Host, this);

    protected override IPublishTransportProvider CreatePublishTransportProvider() => new SqsSendTransportProvider(Host, this);
}
