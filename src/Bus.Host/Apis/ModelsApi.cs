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

    static string RouteKey(HttpContext http) =>
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
                var inputs = request.Instances.SelectMany(i => i).ToArray();
                var rows = LiveRun(server, served, inputs, request.Instances.Length, shape);
                if (FirstNonFinite(rows) is { } wrong)
                {
                    // The model's fault, not the caller's: counted as an error of this version, said without the numbers.
                    outcome = "model_error";
                    return Results.Problem($"{served.ModelName} {served.Version} answered a value that is not a finite number (instance {wrong.Instance}, " +
                        $"output {wrong.Value})", statusCode: StatusCodes.Status500InternalServerError, title: "The model's answer is not a number");
                }

                if (candidate && server.RouteOf(name) is { } route && Random.Shared.NextDouble() < route.AgreementSample)
                    Mirror(server, name, served, rows, inputs, request.Instances.Length, shape);
                outcome = "ok";
                var predictions = rows.Select(r => new Prediction(ClassificationMetrics.ArgMax(r), r, server.Predictions.Add(served.ModelName,
                    served.VersionId, r))).ToList();
                if (!candidate && server.RouteOf(name) is { } shadow && shadow.Copies())
                    ShadowCopy(server, name, rows, predictions, inputs, request.Instances.Length, shape);
                return Results.Ok(new PredictResponse(served.ModelName, served.Version, served.Revision, predictions));
            }) ?? NotServed(name, ref outcome), cancellationToken);
            return response as IResult ?? Results.Problem("inference is at capacity; try again", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        finally
        {
            // The name is the caller's until a served model answers to it: never a tag of its own (unbounded cardinality).
            InferenceMetrics.Record(version is null ? "-" : name, version, outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// Runs the model and measures it for its version (latency, answers; a run that throws or answers a value that is not a
    /// number counts as a model error): what replicas report during a rollout.
    /// </summary>
    static float[][] LiveRun(ModelServer server, ServedModel served, float[] inputs, int count, int[] shape)
    {
        var meter = server.Meter(served.VersionId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        float[][] rows;
        try
        {
            rows = served.Model.Predict(inputs, count, shape, CancellationToken.None);
        }
        catch
        {
            var failed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            for (var i = 0; i < count; i++)
                meter.Request(failed, null);
            throw;
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        foreach (var row in rows)
            meter.Request(elapsed, Array.TrueForAll(row, float.IsFinite) ? row : null);
        return rows;
    }

    /// <summary>The mirrored sample of a rollout: the champion runs the candidate's request too, and the two answers are compared.</summary>
    static void Mirror(ModelServer server, string name, ServedModel candidate, float[][] rows, float[] inputs, int count, int[] shape)
    {
        var theirs = server.Use(name, champion => champion.VersionId == candidate.VersionId ? []
            : champion.Model.Predict(inputs, count, shape, CancellationToken.None));
        if (theirs is not { Length: > 0 })
            return;
        var meter = server.Meter(candidate.VersionId);
        for (var i = 0; i < count; i++)
            meter.Compared(rows[i], theirs[i]);
    }

    /// <summary>Shadow runs at once, beside the requests: past this many, a copy is skipped rather than queued.</summary>
    static readonly SemaphoreSlim ShadowSlots = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>
    /// A shadow rollout's copy: after the champion answered, the candidate runs the same request off the caller's path; its
    /// answer is measured and compared with the champion's, and kept beside the prediction for a label, never returned.
    /// </summary>
    static void ShadowCopy(ModelServer server, string name, float[][] championRows, IReadOnlyList<Prediction> predictions, float[] inputs, int count,
        int[] shape)
    {
        if (!ShadowSlots.Wait(0))
            return;
        _ = Task.Run(() =>
        {
            try
            {
                server.UseCandidate(name, candidate =>
                {
                    var rows = LiveRun(server, candidate, inputs, count, shape);
                    var meter = server.Meter(candidate.VersionId);
                    for (var i = 0; i < count; i++)
                    {
                        if (Array.TrueForAll(rows[i], float.IsFinite))
                        {
                            meter.Compared(rows[i], championRows[i]);
                            server.Predictions.AttachShadow(predictions[i].PredictionId, candidate.VersionId, rows[i]);
                        }
                    }

                    return rows;
                });
            }
            catch (Exception)
            {
                // Counted as the candidate's error by LiveRun; a shadow never fails a caller.
            }
            finally
            {
                ShadowSlots.Release();
            }
        });
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
