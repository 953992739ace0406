using System.Text.RegularExpressions;
using Bus.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Serving;

/// <summary>
/// The inference endpoint's own subscriber to <c>model-deployed</c>: whichever host handled the <c>DeployModel</c>,
/// every serving host hears of it on a queue of its own and serves the registry's production alias. Models only move
/// forward: a host already serving that alias revision (or a newer one) does nothing, so redeliveries and the
/// deploying host's own event are no-ops. On the same queue it follows rollouts: a step puts the candidate beside the
/// champion at its share, the end takes it away.
/// </summary>
public sealed class ServeChampionConsumer(ChampionFollower follower, CandidateFollower candidates, ILogger<ServeChampionConsumer> logger)
    : IConsumer<ModelDeployed>, IConsumer<RolloutStepStarted>, IConsumer<RolloutEnded>
{
    public Task Consume(ConsumeContext<RolloutStepStarted> context) => candidates.StepAsync(context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<RolloutEnded> context)
    {
        candidates.End(context.Message);
        return Task.CompletedTask;
    }

    public async Task Consume(ConsumeContext<ModelDeployed> context)
    {
        var m = context.Message;
        if (await follower.CatchUpAsync(m.ModelName, context.CancellationToken) is null)
        {
            logger.LogWarning("{ModelName} {ModelVersion} was deployed elsewhere but this host's registry has no alias for it: is it on the pipeline's " +
                "registry?",
                m.ModelName, m.ModelVersion);
        }
    }

    /// <summary>One queue per serving host, from its configured name (stable across restarts, so no queue is orphaned).</summary>
    public static string EndpointFor(string hostName)
    {
        var name = "serve-models-" + Regex.Replace(hostName.ToLowerInvariant(), "[^a-z0-9_-]+", "-").Trim('-');
        return name.Length > 60 ? name[..60] : name; // SQS allows 80 characters, the scope prefix included
    }
}
