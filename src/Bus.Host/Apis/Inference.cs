using Bus.Ml;
using Bus.Ml.Sizing;

namespace Bus.Host.Apis;

/// <summary>
/// One inference on a served version, for every door that runs one (<c>/models/{name}/predict</c>, the Open Inference
/// Protocol): the sample shape, the values and the activation budget checked, the run measured for the version (what
/// replicas report during a rollout), an answer that is not a number said as the model's error, and during a rollout the
/// mirrored comparison (a candidate's request also run on the champion) or the shadow copy (a champion's request also run
/// on the candidate, off the caller's path). Each answer gets a prediction id for the caller's label.
/// </summary>
static class Inference
{
    /// <summary>The result: <see cref="Rows"/> and their ids when it ran, else the status, the outcome tag and the reason.</summary>
    /// <remarks><see cref="PredictionIds"/> is null outside a rollout: answers are measured and kept for labels only while one is in progress.</remarks>
    public sealed record Result(string Outcome, int Status, string? Error, string? Title, float[][]? Rows, IReadOnlyList<Guid>? PredictionIds);

    static Result Refused(string outcome, int status, string error, string? title = null) => new(outcome, status, error, title, null, null);

    /// <param name="measured">Whether the run counts for the version's live measurements (not for an operator's check of a named version).</param>
    /// <param name="where">How a value is named in a refusal (instances[i][j], data[k]).</param>
    /// <param name="sized">Whether the samples hold the sample shape's number of values each.</param>
    public static Result Run(ModelServer server, ServedModel served, bool candidate, bool measured, float[] inputs, int batch, int[]? requestedShape,
        PredictOptions predict, Func<int, int, string> where, Func<int, bool> sized)
    {
        int[] shape;
        try
        {
            shape = served.Model.SampleShape(requestedShape, predict.MaxBodyBytes);
        }
        catch (ModelConversionException ex)
        {
            return Refused("bad_request", StatusCodes.Status400BadRequest, $"shape: {ex.Message}");
        }

        var size = shape.Aggregate(1, (a, b) => a * b);
        if (!sized(size) || inputs.Length != (long)size * batch)
            return Refused("bad_request", StatusCodes.Status400BadRequest, $"each sample must hold {size} values (shape [{OnnxModel.Describe(shape)}])");
        try
        {
            served.Model.Activations(shape).CheckBatch(batch, new ActivationBudget(predict.MaxActivationBytes, "Bus:Security:Predict:MaxActivationBytes"),
                $"{served.ModelName} {served.Version} at a sample of [{OnnxModel.Describe(shape)}]");
        }
        catch (ModelConversionException ex)
        {
            return Refused("too_large", StatusCodes.Status413PayloadTooLarge, ex.Message, "The request passes the activation budget");
        }

        var bad = Array.FindIndex(inputs, v => !float.IsFinite(v));
        if (bad >= 0)
            return Refused("bad_request", StatusCodes.Status400BadRequest,
                $"{where(bad / size, bad % size)} is {inputs[bad]}: every value must be a finite number");

        // Replicas report, and clients' labels count, only while the model rolls out: outside one a run costs nothing more.
        var name = served.ModelName;
        measured = measured && server.RouteOf(name) is not null;
        var rows = measured ? LiveRun(server, served, inputs, batch, shape) : served.Model.Predict(inputs, batch, shape, CancellationToken.None);
        if (FirstNonFinite(rows) is { } wrong)
        {
            // The model's fault, not the caller's: counted as an error of this version, said without the numbers.
            return Refused("model_error", StatusCodes.Status500InternalServerError, $"{served.ModelName} {served.Version} answered a value that is not " +
                $"a finite number (instance {wrong.Instance}, output {wrong.Value})", "The model's answer is not a number");
        }

        if (measured && candidate && server.RouteOf(name) is { } route && Random.Shared.NextDouble() < route.AgreementSample)
            Mirror(server, name, served, rows, inputs, batch, shape);
        var ids = measured ? rows.Select(r => server.Predictions.Add(name, served.VersionId, r)).ToList() : null;
        if (measured && !candidate && server.RouteOf(name) is { } shadow && shadow.Copies())
            ShadowCopy(server, name, rows, ids!, inputs, batch, shape);
        return new Result("ok", StatusCodes.Status200OK, null, null, rows, ids);
    }

    /// <summary>Where the first NaN or infinity is, by row and position; null when every value is finite.</summary>
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
    static void ShadowCopy(ModelServer server, string name, float[][] championRows, IReadOnlyList<Guid> predictions, float[] inputs, int count,
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
                            server.Predictions.AttachShadow(predictions[i], candidate.VersionId, rows[i]);
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

}
