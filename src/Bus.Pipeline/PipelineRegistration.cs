using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bus.Pipeline;

public static class PipelineRegistration
{
    /// <summary>
    /// Registers the model lifecycle saga. The caller picks the repository (in-memory for unit tests,
    /// the durable one from Bus.Persistence in hosts) and binds <see cref="ModelLifecycleOptions"/>.
    /// </summary>
    public static ISagaRegistrationConfigurator<ModelLifecycleState> AddModelLifecycleSaga(this IBusRegistrationConfigurator configurator)
    {
        configurator.AddOptions<ModelLifecycleOptions>();
        configurator.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelLifecycleOptions>, ModelLifecycleOptionsValidator>());
        return configurator.AddSagaStateMachine<ModelLifecycleStateMachine, ModelLifecycleState, ModelLifecycleStateDefinition>();
    }
}
