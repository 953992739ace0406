using Bus.Ml;
using Bus.Ml.Sizing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Bus.Host.Apis;

/// <summary>/models: what this host serves, and inference on it (behind the predict policy, its rate limit and size caps).</summary>
static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var predict = app.ServiceProvider.GetRequiredService<IOptions<SecurityOptions>>().Value.Predict;
        var models = app.MapGroup("/models");
        models.MapGet("", List);
        models.MapPost("/{name}/predict", (string name, PredictRequest request, HttpContext http, ModelServer server, InferenceGate gate,
                    CancellationToken cancellationToken) =>
                PredictAsync(name, request, RouteKey(http), predict, server, gate, cancellationToken))
            .WithMetadata(new RequestSizeLimitAttribute(predict.MaxBodyBytes))
            .RequireAuthorization(SecurityExtensions.PredictPolicy)
            .RequireRateLimiting(SecurityExtensions.PredictRateLimit);
        models.MapPost("/{name}/feedback", Feedback)
            .WithMetadata(new RequestSizeLimitAttribute(16 * 1024))
            .RequireAuthorization(SecurityExtensions.PredictPolicy)
            .RequireRateLimiting(SecurityExtensions.PredictRateLimit);
        return app;
    }

    /// <summary>What this host serves: each champion, and the candidate beside it during a rollout with its share of the callers.</summary>
    static IResult List(ModelServer server) =>
        Results.Ok(server.Models.Select(m => new
        {
            m.ModelName,
            m.Version,
            m.Revision,
            inputShape = m.Model.InputShape,
            candidate = server.RouteOf(m.ModelName) is { } route ? new { route.Candidate.Version, route.TrafficPercent } : null,
        }));

    /// <summary>The header a client sets to stay with one version during a rollout (else its address decides).</summary>
    public const string RouteKeyHeader = "Bus-Route-Key";

    /// <summary>Who a caller is for sticky routing, on every inference door: its <see cref="RouteKeyHeader"/>, else its address.</summary>
    internal static string RouteKey(HttpContext http) =>
        http.Request.Headers[RouteKeyHeader].FirstOrDefault() is { Length: > 0 and <= 200 } key ? key
            : http.Connection.RemoteIpAddress?.ToString() ?? "-";

    /// <summary>
    /// A client's true label for one of its predictions: joined to the version that answered, for its live metric during a
    /// rollout. Each prediction id counts once, within the prediction log's window.
    /// </summary>
    static IResult Feedback(string name, FeedbackRequest request, ModelServer server)
    {
        if (request.PredictionId == Guid.Empty || request.Label is not { } label || !double.IsFinite(label))
        {
            InferenceMetrics.RecordFeedback("-", "bad_request");
            return Results.Problem("give the predictionId a prediction answered and a finite numeric label", statusCode: StatusCodes.Status400BadRequest);
        }

        if (server.Predictions.Take(request.PredictionId) is not { } answered || answered.ModelName != name)
        {
            InferenceMetrics.RecordFeedback("-", "unknown");
            return Results.Problem($"prediction {request.PredictionId} is not one this host answered for {name} within the last " +
                $"{server.Predictions.Window} (or its label was already given)", statusCode: StatusCodes.Status404NotFound);
        }

        server.Meter(answered.VersionId).Labeled(answered.Answer, label);
        if (answered is { ShadowVersionId: { } shadow, ShadowAnswer: { } shadowAnswer })
            server.Meter(shadow).Labeled(shadowAnswer, label);
        InferenceMetrics.RecordFeedback(name, "accepted");
        return Results.Accepted(value: new { request.PredictionId, accepted = true });
    }

    static async Task<IResult> PredictAsync(string name, PredictRequest request, string routeKey, PredictOptions predict, ModelServer server,
        InferenceGate gate, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? version = null;
        var outcome = "error";
        try
        {
            if (request.Instances is not { Length: > 0 })
            {
                outcome = "bad_request";
                return Results.Problem("instances: give at least one sample", statusCode: StatusCodes.Status400BadRequest);
            }

            if (request.Instances.Length > predict.MaxInstances)
            {
                outcome = "too_large";
                return Results.Problem($"at most {predict.MaxInstances} instances per request (Bus:Security:Predict:MaxInstances)",
                    statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            outcome = "at_capacity";
            var response = await gate.RunAsync(() => server.Use(name, routeKey, (served, candidate) =>
            {
                version = served.Version;
                if (request.Instances.Any(i => i is null))
                {
                    outcome = "bad_request";
                    return (object)Results.Problem("instances: a sample is null", statusCode: StatusCodes.Status400BadRequest);
                }

                var run = Inference.Run(server, served, candidate, measured: true, request.Instances.SelectMany(i => i).ToArray(), request.Instances.Length,
                    request.Shape, predict, (i, v) => $"instances[{i}][{v}]", size => request.Instances.All(i => i.Length == size));
                outcome = run.Outcome;
                return run.Rows is { } rows
                    ? Results.Ok(new PredictResponse(served.ModelName, served.Version, served.Revision,
                        rows.Select((r, i) => new Prediction(ClassificationMetrics.ArgMax(r), r, run.PredictionIds?[i])).ToList()))
                    : Results.Problem(run.Error, statusCode: run.Status, title: run.Title);
            }) ?? NotServed(name, ref outcome), cancellationToken);
            return response as IResult ?? Results.Problem("inference is at capacity; try again", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        finally
        {
            // The name is the caller's until a served model answers to it: never a tag of its own (unbounded cardinality).
            InferenceMetrics.Record(version is null ? "-" : name, version, outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    static IResult NotServed(string name, ref string outcome)
    {
        outcome = "not_found";
        return Results.Problem($"no model named '{name}' is deployed here", statusCode: StatusCodes.Status404NotFound);
    }
}
