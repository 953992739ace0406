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
                return Results.Problem("instances: give at least one sample", statusCode: StatusCodes.Status400BadRequest);
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
                    return (object)Results.Problem($"shape: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
                }

                var size = shape.Aggregate(1, (a, b) => a * b);
                if (request.Instances.Any(i => i is null || i.Length != size))
                {
                    outcome = "bad_request";
                    return Results.Problem($"each instance must hold {size} values (shape [{OnnxModel.Describe(shape)}])",
                        statusCode: StatusCodes.Status400BadRequest);
                }

                try
                {
                    served.Model.Activations(shape).CheckBatch(request.Instances.Length,
                        new ActivationBudget(predict.MaxActivationBytes, "Bus:Security:Predict:MaxActivationBytes"),
                        $"{served.ModelName} {served.Version} at a sample of [{OnnxModel.Describe(shape)}]");
                }
                catch (ModelConversionException ex)
                {
                    outcome = "too_large";
                    return Results.Problem(ex.Message, statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request passes the activation budget");
                }

                if (FirstNonFinite(request.Instances) is { } bad)
                {
                    outcome = "bad_request";
                    return Results.Problem($"instances[{bad.Instance}][{bad.Value}] is {request.Instances[bad.Instance][bad.Value]}: every value must be a " +
                        "finite number", statusCode: StatusCodes.Status400BadRequest);
                }

                outcome = "error";
                var rows = served.Model.Predict(request.Instances.SelectMany(i => i).ToArray(), request.Instances.Length, shape, CancellationToken.None);
                if (FirstNonFinite(rows) is { } wrong)
                {
                    // The model's fault, not the caller's: counted as an error of this version, said without the numbers.
                    outcome = "model_error";
                    return Results.Problem($"{served.ModelName} {served.Version} answered a value that is not a finite number (instance {wrong.Instance}, " +
                        $"output {wrong.Value})", statusCode: StatusCodes.Status500InternalServerError, title: "The model's answer is not a number");
                }

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
        return Results.Problem($"no model named '{name}' is deployed here", statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>Where the first NaN or infinity is, by instance and position; null when every value is finite.</summary>
    static (int Instance, int Value)? FirstNonFinite(IReadOnlyList<float[]> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var at = Array.FindIndex(rows[i], v => !float.IsFinite(v));
            if (at >= 0)
                return (i, at);
        }

        return null;
    }
}
