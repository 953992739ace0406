using Amazon.Runtime.Credentials;
using Bus.Ml;
using Bus.Registry;
using Bus.Shared;
using Bus.Stages.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bus.Stages;

/// <summary>
/// What the stages share, added once by whichever stage is registered first (each registration calls this; nothing is
/// replaced, so a test or a host may register its own artifact store or registry beforehand): the actor's identity,
/// the artifact store (with the evaluation options it reads the bucket owner from), the model registry, the model server.
/// </summary>
static class StageDependencies
{
    sealed class Added;

    public static void TryAdd(IServiceCollection services, StageSettings settings)
    {
        if (services.Any(d => d.ServiceType == typeof(Added)))
            return;
        services.AddSingleton<Added>();
        services.TryAddSingleton(new StageIdentity(settings.HostName));
        services.AddValidatedOptions<EvaluationOptions, EvaluationOptionsValidator>(EvaluationOptions.SectionName)
            .PostConfigure(o => o.Scope = string.IsNullOrEmpty(settings.Scope) ? null : settings.Scope);
        services.TryAddSingleton(sp => new S3ArtifactStore(
            S3ArtifactStore.CreateClient(DefaultAWSCredentialsIdentityResolver.GetCredentials(), settings.Region, settings.ServiceUrl),
            sp.GetRequiredService<IOptions<EvaluationOptions>>().Value.ExpectedBucketOwner));
        services.TryAddSingleton(_ => ModelRegistry.Connect(settings.RegistryConnectionString));
        services.TryAddSingleton<ModelServer>();
    }
}
