using Bus.Contracts;
using Bus.Ml;
using Bus.Ml.Live;
using Bus.Shared;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Serving;

/// <summary>
/// Puts a rollout's candidate beside the champion on this replica, at the share the saga sets, and takes it away when
/// the rollout ends. Applying a step twice (the saga repeats it at every judgment) changes nothing.
/// </summary>
public sealed class CandidateFollower(S3ArtifactStore store, ModelServer server, ILogger<CandidateFollower> logger)
{
    /// <summary>The mode name a shadow rollout's steps carry (the lifecycle's policy names it).</summary>
    public const string ShadowMode = "Shadow";

    public async Task StepAsync(RolloutStepStarted m, CancellationToken cancellationToken)
    {
        if (server.RouteOf(m.ModelName) is { } route && route.Candidate.VersionId == m.ModelVersionId)
        {
            if (route.TrafficPercent != m.TrafficPercent)
                logger.LogInformation("Rollout of {ModelName} {ModelVersion}: step {Step}, the candidate takes {Percent}%", m.ModelName, m.ModelVersion,
                    m.Step, m.TrafficPercent);
            server.Route(route with
            {
                TrafficPercent = m.TrafficPercent,
                AgreementSample = m.AgreementSample,
                ReportInterval = m.ReportInterval,
                Shadow = m.Mode == ShadowMode,
            });
            return;
        }

        if (server.Champion(m.ModelName)?.VersionId == m.ModelVersionId)
            return;
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(await store.LoadOnnxAsync(new ArtifactReference(m.Artifact.Uri, m.Artifact.Format, m.Artifact.Sha256), cancellationToken)
                .ConfigureAwait(false));
        }
        catch (ModelConversionException ex)
        {
            // This replica keeps serving the champion alone; the others judge the candidate.
            logger.LogWarning("Could not load the candidate {ModelName} {ModelVersion} of a rollout: {Reason}", m.ModelName, m.ModelVersion, ex.Message);
            return;
        }

        server.Route(new CandidateRoute(new ServedModel(m.ModelName, m.ModelVersionId, m.ModelVersion, 0, model), m.TrafficPercent, m.AgreementSample,
            m.ReportInterval, m.Mode == ShadowMode));
        logger.LogInformation("Rollout of {ModelName} {ModelVersion}: step {Step}, the candidate takes {Percent}% of the callers here", m.ModelName,
            m.ModelVersion, m.Step, m.TrafficPercent);
    }

    public void End(RolloutEnded m)
    {
        if (server.EndRoute(m.ModelName, m.ModelVersionId))
            logger.LogInformation("Rollout of {ModelName} {ModelVersion} {Outcome}: {Reason}", m.ModelName, m.ModelVersion, m.Outcome, m.Reason);
    }
}
