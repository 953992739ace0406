using MassTransit.Configuration;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsBusTopology(IHostConfiguration hostConfiguration, ITopologyConfiguration configuration) : BusTopology(hostConfiguration, configuration);
