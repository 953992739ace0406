using MassTransit;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsConsumeTopology() : ConsumeTopology(EntityNames.MaxQueueNameLength);
