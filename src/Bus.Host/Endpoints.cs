using Bus.Contracts;
using Bus.Ml;
using Bus.Persistence.Outbox;
using MassTransit;

namespace Bus.Host;

public sealed record PredictRequest(float[][] Instances);

public sealed record Prediction(int Label, float[] Probabilities);

public sealed record RollbackRequest(string? Reason, string? RequestedBy);

public sealed record PredictResponse(string ModelName, string ModelVersion, long AliasRevision, IReadOnlyList<Prediction> Predictions);

static class Endpoints
{
    public static void MapBusEndpoints(this WebApplication app)
    {
        // 503 when unhealthy; every check as JSON (description and data: outbox backlog, bus endpoints) to operators, the status to anyone.
        app.MapHealthChecks("/health/ready",
            new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));

        app.MapGet("/models", (ModelServer server) =>
            server.Models.Select(m => new { m.ModelName, m.Version, m.Revision, inputShape = m.Model.InputShape }));

        var predict = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityOptions>>().Value.Predict;
        app.MapPost("/models/{name}/predict", async (string name, PredictRequest request, ModelServer server, InferenceGate gate,
            CancellationToken cancellationToken) =>
        {
            if (request.Instances is not { Length: > 0 })
                return Results.BadRequest(new { error = "instances: give at least one sample" });
            if (request.Instances.Length > predict.MaxInstances)
                return Results.Problem($"at most {predict.MaxInstances} instances per request (Bus:Security:Predict:MaxInstances)",
                    statusCode: StatusCodes.Status413PayloadTooLarge);
            var response = await gate.RunAsync(() => server.Use(name, served =>
            {
                var size = served.Model.InputSize;
                if (request.Instances.Any(i => i is null || i.Length != size))
                    return (object)Results.BadRequest(new
                    {
                        error = $"each instance must hold {size} values (shape " +
                        $"[{string.Join(",", served.Model.InputShape)}])"
                    });
                var rows = served.Model.Predict(request.Instances.SelectMany(i => i).ToArray(), request.Instances.Length);
                return Results.Ok(new PredictResponse(served.ModelName, served.Version, served.Revision,
                    rows.Select(r => new Prediction(ClassificationMetrics.ArgMax(r), r)).ToList()));
            }) ?? Results.NotFound(new { error = $"no model named '{name}' is deployed here" }), cancellationToken);
            return response as IResult ?? Results.Problem("inference is at capacity; try again", statusCode: StatusCodes.Status503ServiceUnavailable);
        })
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(predict.MaxBodyBytes))
            .RequireAuthorization(SecurityExtensions.PredictPolicy)
            .RequireRateLimiting(SecurityExtensions.PredictRateLimit);

        // An operator's rollback: the command goes through the bus outbox, so once this returns 202 it is stored and
        // will be delivered even if SNS is unreachable right now; the saga's answer shows in the version's timeline.
        // The actor is the authenticated principal; what the body says of who asked is kept only as a note.
        app.MapPost("/lifecycle/{name}/{version}/rollback", async (string name, string version, RollbackRequest request, HttpContext http,
            IPublishEndpoint publish, BusUnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        {
            if (ModelVersionKey.Problem(name, version) is { } problem)
                return Results.BadRequest(new { error = problem });
            if (string.IsNullOrWhiteSpace(request.Reason))
                return Results.BadRequest(new { error = "reason is required: every transition is audited" });
            var actor = http.User.PrincipalName();
            var reason = string.IsNullOrWhiteSpace(request.RequestedBy) || request.RequestedBy == actor
                ? request.Reason : $"{request.Reason} (on behalf of {request.RequestedBy})";
            var id = ModelVersionKey.For(name, version);
            await publish.Publish(new RollbackModel { ModelVersionId = id, Reason = reason, RequestedBy = actor }, cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
            return Results.Accepted($"/lifecycle/{name}/{version}", new { id, status = "rollback requested", requestedBy = actor });
        }).RequireAuthorization(SecurityExtensions.OperatorPolicy);

        app.MapGet("/lifecycle/{name}/{version}", async (string name, string version, IRequestClient<GetModelVersionStatus> client,
            CancellationToken cancellationToken) =>
        {
            if (ModelVersionKey.Problem(name, version) is { } problem)
                return Results.BadRequest(new { error = problem });
            var id = ModelVersionKey.For(name, version);
            try
            {
                var response = await client.GetResponse<ModelVersionStatus, ModelVersionNotFound>(new GetModelVersionStatus { ModelVersionId = id },
                    cancellationToken);
                return response.Is(out Response<ModelVersionStatus>? status)
                    ? Results.Ok(status.Message) : Results.NotFound(new { error = $"{name} {version} is not known", id });
            }
            catch (RequestTimeoutException)
            {
                return Results.Problem("the lifecycle saga did not answer in time", statusCode: 503);
            }
        });
    }
}
