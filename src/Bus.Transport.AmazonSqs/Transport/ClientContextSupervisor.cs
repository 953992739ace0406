using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Supervises the client contexts of one host, endpoint or send transport; stopping a parent stops its children.</summary>
sealed class ClientContextSupervisor(Func<SqsEntityClient> client) : TransportPipeContextSupervisor<ClientContext>(new ClientContextFactory(client));
