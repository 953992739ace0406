using Bus.Contracts;
using Bus.Ml;
using Bus.Registry;
using Bus.Shared;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Deployment;

/// <summary>
/// Promotes a version: verifies and loads it, runs a canary prediction, moves the "production" alias in the
/// registry and hot-swaps the inference endpoint. A failed canary keeps the old champion.
/// </summary>
public sealed class DeployModelConsumer(S3ArtifactStore store, ModelRegistry registry, ModelServer server, StageIdentity identity,
    ILogger<DeployModelConsumer> logger)
    : IConsumer<DeployModel>
{
    public async Task Consume(ConsumeContext<DeployModel> context)
    {
        var m = context.Message;
        var artifact = new ArtifactReference(m.Artifact.Uri, m.Artifact.Format, m.Artifact.Sha256);
        OnnxModel? model = null;
        var served = false;
        try
        {
            try
            {
                model = OnnxModel.Load(await store.LoadOnnxAsync(artifact, context.CancellationToken));
                using var canary = StageTracing.Start("canary", m.ModelName, m.ModelVersion);
                try
                {
                    Canary(model);
                }
                catch (Exception ex)
                {
                    SpanErrors.Record(canary, ex);
                    throw;
                }
            }
            catch (Exception ex) when (ex is ModelConversionException || (!Transient.Is(ex)
                && ex is not (OperationCanceledException or System.Data.Common.DbException)))
            {
                // Whatever the artifact makes ONNX Runtime throw is the candidate's fault: refused once, with the reason.
                var reason = ex is ModelConversionException ? ex.Message : $"the model cannot be served: {ex.GetType().Name}: {ex.Message}";
                logger.LogWarning("Deployment of {ModelName} {ModelVersion} refused: {Reason}", m.ModelName, m.ModelVersion, reason);
                await Fail(context, reason);
                return;
            }
            catch (Exception ex) when (Transient.Is(ex) && Transient.IsLastAttempt(context))
            {
                await Fail(context, ex.Message);
                return;
            }

            // Keyed by the command's message id: a DeployModel redelivered after a crash (the alias moved, the commit of
            // this consumer's outbox did not happen) replays its original outcome instead of moving the alias back.
            Promotion promotion;
            using (var move = StageTracing.Start("registry.promote", m.ModelName, m.ModelVersion))
            {
                promotion = await registry.PromoteAsync(m.ModelName, m.ModelVersionId, m.ModelVersion, artifact, new Dictionary<string, double>(), m.Reason,
                    context.MessageId, context.CancellationToken);
                move?.SetTag("bus.alias.revision", promotion.Current.Revision);
                move?.SetTag("bus.deployment.reason", m.Reason);
            }

            if (promotion.Replayed)
            {
                logger.LogInformation("{ModelName} {ModelVersion} was already promoted by this request (alias revision {Revision}); replaying its outcome",
                    m.ModelName, m.ModelVersion, promotion.Current.Revision);
                if (await registry.ChampionAsync(m.ModelName, context.CancellationToken) is { } champion && champion.ModelVersionId == m.ModelVersionId)
                {
                    server.Swap(new ServedModel(m.ModelName, m.ModelVersionId, m.ModelVersion, champion.Revision, model));
                    served = true;
                }
            }
            else
            {
                server.Swap(new ServedModel(m.ModelName, m.ModelVersionId, m.ModelVersion, promotion.Current.Revision, model));
                served = true;
                logger.LogInformation("{ModelName} {ModelVersion} serves at alias revision {Revision}", m.ModelName, m.ModelVersion,
                    promotion.Current.Revision);
            }

            await context.Publish(new ModelDeployed
            {
                ModelVersionId = m.ModelVersionId,
                ModelName = m.ModelName,
                ModelVersion = m.ModelVersion,
                AliasRevision = promotion.Current.Revision,
                PreviousModelVersionId = promotion.PreviousId,
                PreviousModelVersion = promotion.PreviousVersion,
                PreviousServedFrom = promotion.PreviousSince,
                Reason = m.Reason,
                Endpoint = $"/models/{m.ModelName}/predict",
                DeployedAt = promotion.Current.UpdatedAt,
                DeployedBy = identity.Name,
            });
        }
        finally
        {
            // Handed to the server, the session is its to dispose; on every other path it is ours.
            if (!served)
                model?.Dispose();
        }
    }

    /// <summary>One prediction on a neutral input must succeed and give finite probabilities.</summary>
    static void Canary(OnnxModel model)
    {
        // A model with open dimensions gets 8 along each of them.
        var shape = model.InputShape.Select(d => d < 0 ? 8 : d).ToArray();
        var output = model.Predict(new float[shape.Aggregate(1, (a, b) => a * b)], 1, shape, CancellationToken.None)[0];
        if (output.Length == 0 || output.Any(v => !float.IsFinite(v)))
            throw new ModelConversionException("canary prediction failed: the output is empty or not finite");
    }

    Task Fail(ConsumeContext<DeployModel> context, string reason) => context.Publish(new DeploymentFailed
    {
        ModelVersionId = context.Message.ModelVersionId,
        ModelName = context.Message.ModelName,
        ModelVersion = context.Message.ModelVersion,
        Reason = reason,
        DeploymentReason = context.Message.Reason,
        FailedAt = DateTimeOffset.UtcNow,
        DeployedBy = identity.Name,
    });
}
