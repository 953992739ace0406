using Amazon.Runtime.Credentials;
using Bus.Ml;
using Bus.Registry;
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
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.SectionName)
            .PostConfigure(o => o.Scope = string.IsNullOrEmpty(settings.Scope) ? null : settings.Scope)
            .Validate(o => o.Timeout > TimeSpan.Zero, "Bus:Evaluation:Timeout must be positive")
            .Validate(o => o.Models.Keys.All(Contracts.ModelVersionKey.IsValid), "Bus:Evaluation:Models may name only valid model names")
            .Validate(o => o.Models.Values.Append(o.Default).All(p => p.Task is null || EvaluationTask.All.Contains(p.Task)),
                $"Bus:Evaluation Task must be one of {string.Join(", ", EvaluationTask.All)}")
            .Validate(o => o.Models.Values.Append(o.Default).All(p => p.DataFormat is null || Ml.Data.EvaluationData.Formats.Contains(p.DataFormat)),
                $"Bus:Evaluation DataFormat must be one of {string.Join(", ", Ml.Data.EvaluationData.Formats)}")
            .Validate(o => o.Models.Values.Append(o.Default).All(p => p.Threshold is null or (> 0 and < 1)),
                "Bus:Evaluation Threshold must lie strictly between 0 and 1")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new S3ArtifactStore(
            S3ArtifactStore.CreateClient(DefaultAWSCredentialsIdentityResolver.GetCredentials(), settings.Region, settings.ServiceUrl),
            sp.GetRequiredService<IOptions<EvaluationOptions>>().Value.ExpectedBucketOwner));
        services.TryAddSingleton(_ => ModelRegistry.Connect(settings.RegistryConnectionString));
        services.TryAddSingleton<ModelServer>();
    }
}
