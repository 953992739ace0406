using Bus.Ml;
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
        models.MapPost("/{name}/predict", (string name, PredictRequest request, ModelServer server, InferenceGate gate, CancellationToken cancellationToken) =>
                PredictAsync(name, request, predict, server, gate, cancellationToken))
            .WithMetadata(new RequestSizeLimitAttribute(predict.MaxBodyBytes))
            .RequireAuthorization(SecurityExtensions.PredictPolicy)
            .RequireRateLimiting(SecurityExtensions.PredictRateLimit);
        return app;
    }

    static IResult List(ModelServer server) =>
        Results.Ok(server.Models.Select(m => new { m.ModelName, m.Version, m.Revision, inputShape = m.Model.InputShape }));

    static async Task<IResult> PredictAsync(string name, PredictRequest request, PredictOptions predict, ModelServer server, InferenceGate gate,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? version = null;
        var outcome = "error";
        try
        {
            if (request.Instances is not { Length: > 0 })
            {
                outcome = "bad_request";
                return Results.BadRequest(new { error = "instances: give at least one sample" });
            }

            if (request.Instances.Length > predict.MaxInstances)
            {
                outcome = "too_large";
                return Results.Problem($"at most {predict.MaxInstances} instances per request (Bus:Security:Predict:MaxInstances)",
                    statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            outcome = "at_capacity";
            var response = await gate.RunAsync(() => server.Use(name, served =>
            {
                version = served.Version;
                int[] shape;
                try
                {
                    shape = served.Model.SampleShape(request.Shape, predict.MaxBodyBytes);
                }
                catch (ModelConversionException ex)
                {
                    outcome = "bad_request";
                    return (object)Results.BadRequest(new { error = $"shape: {ex.Message}" });
                }

                var size = shape.Aggregate(1, (a, b) => a * b);
                if (request.Instances.Any(i => i is null || i.Length != size))
                {
                    outcome = "bad_request";
                    return Results.BadRequest(new
                    {
                        error = $"each instance must hold {size} values (shape [{OnnxModel.Describe(shape)}])",
                    });
                }

                outcome = "error";
                var rows = served.Model.Predict(request.Instances.SelectMany(i => i).ToArray(), request.Instances.Length, shape, CancellationToken.None);
                outcome = "ok";
                return Results.Ok(new PredictResponse(served.ModelName, served.Version, served.Revision,
                    rows.Select(r => new Prediction(ClassificationMetrics.ArgMax(r), r)).ToList()));
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
        return Results.NotFound(new { error = $"no model named '{name}' is deployed here" });
    }
}
