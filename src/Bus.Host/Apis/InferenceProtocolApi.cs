using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Ml;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Bus.Host.Apis;

/// <summary>
/// The Open Inference Protocol (KServe v2, Triton's HTTP API) on serving hosts: health, server and model metadata, model
/// readiness and inference with JSON tensors (flat or nested data, FP32 and the integer and FP64 types, converted to the
/// model's FP32) or the binary tensor data extension. Without a version in the URL a request is routed as
/// <c>/models/{name}/predict</c> is (the champion, or during a rollout the candidate for its share of callers) and
/// measured; a version in the URL reaches that version directly (the champion or the candidate), for operators' checks,
/// and is not counted in the rollout's measurements. Errors are <c>{"error": "..."}</c>.
/// </summary>
static class InferenceProtocolApi
{
    /// <summary>The binary tensor data extension's header: the length of the JSON part of a body.</summary>
    public const string HeaderLength = "Inference-Header-Content-Length";

    public static IEndpointRouteBuilder MapInferenceProtocol(this IEndpointRouteBuilder app)
    {
        var predict = app.ServiceProvider.GetRequiredService<IOptions<SecurityOptions>>().Value.Predict;
        var v2 = app.MapGroup("/v2");
        v2.MapGet("", () => Results.Json(new
        {
            name = "bus",
            version = typeof(InferenceProtocolApi).Assembly.GetName().Version?.ToString(3),
            extensions = new[] { "binary_tensor_data" }
        }));
        v2.MapGet("/health/live", () => Results.Json(new { live = true }));
        v2.MapGet("/health/ready", async (HealthCheckService health, CancellationToken cancellationToken) =>
        {
            var report = await health.CheckHealthAsync(c => c.Tags.Contains("ready"), cancellationToken);
            var ready = report.Status != HealthStatus.Unhealthy;
            return Results.Json(new { ready }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        foreach (var prefix in new[] { "/models/{name}", "/models/{name}/versions/{version}" })
        {
            v2.MapGet(prefix, (string name, string? version, ModelServer server) => Metadata(name, version, server));
            v2.MapGet(prefix + "/ready", (string name, string? version, ModelServer server) =>
                Find(server, name, version) is { } served ? Results.Json(new { name, ready = true, version = served.Version })
                : Results.Json(new { name, ready = false }, statusCode: StatusCodes.Status404NotFound));
            v2.MapPost(prefix + "/infer", (string name, string? version, HttpContext http, ModelServer server, InferenceGate gate,
                    CancellationToken cancellationToken) => InferAsync(name, version, http, predict, server, gate, cancellationToken))
                .WithMetadata(new RequestSizeLimitAttribute(predict.MaxBodyBytes))
                .RequireAuthorization(SecurityExtensions.PredictPolicy)
                .RequireRateLimiting(SecurityExtensions.PredictRateLimit);
        }

        return app;
    }

    static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    static IResult NotServed(string name, string? version) =>
        Error(StatusCodes.Status404NotFound, version is null ? $"no model named '{name}' is served here" : $"{name} {version} is not served here");

    /// <summary>The champion or the candidate of <paramref name="name"/> with <paramref name="version"/> (the champion when null).</summary>
    static ServedModel? Find(ModelServer server, string name, string? version)
    {
        var champion = server.Champion(name);
        if (version is null || champion?.Version == version)
            return champion;
        return server.RouteOf(name) is { } route && route.Candidate.Version == version ? route.Candidate : null;
    }

    static IResult Metadata(string name, string? version, ModelServer server)
    {
        if (Find(server, name, version) is not { } served)
            return NotServed(name, version);
        var model = served.Model;
        var output = model.OutputShape.Length > 0 ? model.OutputShape
            : !model.IsDynamic && model.Activations(model.InputShape) is { Unsized: null, OutputElements: > 0 } estimate
                ? new[] { (int)estimate.OutputElements }
            : new[] { -1 };
        return Results.Json(new
        {
            name,
            versions = new[] { server.Champion(name)?.Version, server.RouteOf(name)?.Candidate.Version }.OfType<string>().ToArray(),
            platform = "onnxruntime_onnx",
            inputs = new[] { new { name = model.InputName, datatype = "FP32", shape = model.InputShape.Prepend(-1).ToArray() } },
            outputs = new[] { new { name = model.OutputName, datatype = "FP32", shape = output.Prepend(-1).ToArray() } },
        });
    }

    static async Task<IResult> InferAsync(string name, string? version, HttpContext http, PredictOptions predict, ModelServer server, InferenceGate gate,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? served = null;
        var outcome = "bad_request";
        try
        {
            if (Find(server, name, version) is null)
            {
                outcome = "not_found";
                return NotServed(name, version);
            }

            InferenceRequest request;
            try
            {
                request = await InferenceRequest.ReadAsync(http.Request, predict.MaxInstances, cancellationToken);
            }
            catch (InferenceRequestException ex)
            {
                return Error(StatusCodes.Status400BadRequest, ex.Message);
            }

            outcome = "at_capacity";
            var routeKey = ModelsApi.RouteKey(http);
            IResult Answer(ServedModel model, bool candidate, bool measured)
            {
                served = model.Version;
                if (request.InputName != model.Model.InputName)
                {
                    outcome = "bad_request";
                    return Error(StatusCodes.Status400BadRequest, $"unknown input '{request.InputName}'; {name} takes '{model.Model.InputName}'");
                }

                if (request.Outputs.FirstOrDefault(o => o != model.Model.OutputName) is { } unknown)
                {
                    outcome = "bad_request";
                    return Error(StatusCodes.Status400BadRequest, $"unknown output '{unknown}'; {name} gives '{model.Model.OutputName}'");
                }

                var run = Inference.Run(server, model, candidate, measured, request.Values, request.Batch, request.SampleShape, predict,
                    (i, v) => $"input data[{(long)i * request.SampleSize + v}]", size => size == request.SampleSize);
                outcome = run.Outcome;
                if (run.Rows is not { } rows)
                    return Error(run.Status == StatusCodes.Status413PayloadTooLarge ? StatusCodes.Status400BadRequest : run.Status, run.Error!);
                return request.Response(name, model.Version, model.Model.OutputName, rows, run.PredictionIds);
            }

            IResult NotHere()
            {
                outcome = "not_found";
                return NotServed(name, version);
            }

            var response = await gate.RunAsync(() =>
                (version is null ? server.Use(name, routeKey, (model, candidate) => Answer(model, candidate, measured: true))
                : server.Champion(name)?.Version == version ? server.Use(name, model => model.Version == version ? Answer(model, false, false) : NotHere())
                : server.UseCandidate(name, model => model.Version == version ? Answer(model, true, false) : NotHere())) ?? NotHere(), cancellationToken);
            return response ?? Error(StatusCodes.Status503ServiceUnavailable, "inference is at capacity; try again");
        }
        finally
        {
            InferenceMetrics.Record(served is null ? "-" : name, served, outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }
}

/// <summary>A request's bad shape, type or data: said to the caller as a 400 with the reason.</summary>
sealed class InferenceRequestException(string message) : Exception(message);

/// <summary>
/// An Open Inference Protocol request, read: its one input tensor as the model's FP32 values (from JSON data, flat or
/// nested, or from the binary part of the body), the batch and sample shape, the outputs asked for and how (JSON or binary).
/// </summary>
sealed class InferenceRequest
{
    static readonly Dictionary<string, int> BinarySizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1,
        ["UINT8"] = 1,
        ["INT8"] = 1,
        ["UINT16"] = 2,
        ["INT16"] = 2,
        ["FP16"] = 2,
        ["UINT32"] = 4,
        ["INT32"] = 4,
        ["FP32"] = 4,
        ["UINT64"] = 8,
        ["INT64"] = 8,
        ["FP64"] = 8,
    };

    public string? Id { get; private init; }
    public required string InputName { get; init; }
    public required float[] Values { get; init; }
    public required int Batch { get; init; }
    public required int[] SampleShape { get; init; }
    public int SampleSize => SampleShape.Aggregate(1, (a, b) => a * b);
    public IReadOnlyList<string> Outputs { get; private init; } = [];
    bool BinaryOutput { get; init; }

    public static async Task<InferenceRequest> ReadAsync(HttpRequest http, int maxBatch, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        await http.Body.CopyToAsync(body, cancellationToken);
        var bytes = body.ToArray();
        var headerLength = bytes.Length;
        if (http.Headers[InferenceProtocolApi.HeaderLength].FirstOrDefault() is { } text)
        {
            if (!int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out headerLength) || headerLength < 0 || headerLength > bytes.Length)
                throw new InferenceRequestException($"{InferenceProtocolApi.HeaderLength} {text} does not fit a body of {bytes.Length} bytes");
        }

        JsonObject root;
        try
        {
            root = JsonNode.Parse(bytes.AsSpan(0, headerLength)) as JsonObject ?? throw new InferenceRequestException("the request is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InferenceRequestException($"the request is not valid JSON: {ex.Message}");
        }

        if (root["inputs"] is not JsonArray { Count: 1 } inputs || inputs[0] is not JsonObject input)
            throw new InferenceRequestException("inputs: give exactly one input tensor (the model takes one)");
        var name = Text(input, "name");
        var datatype = Text(input, "datatype");
        if (!BinarySizes.ContainsKey(datatype))
            throw new InferenceRequestException($"datatype '{datatype}' is not one this model takes ({string.Join(", ", BinarySizes.Keys)})");
        var shape = input["shape"] is JsonArray dims && dims.Count >= 1 && dims.All(d => d is JsonValue v && v.TryGetValue<long>(out var n) && n >= 0
            && n <= int.MaxValue) ? dims.Select(d => (int)d!.GetValue<long>()).ToArray()
            : throw new InferenceRequestException("shape: give the tensor's dimensions, the batch first, as whole numbers");
        if (shape[0] < 1 || shape[0] > maxBatch)
            throw new InferenceRequestException($"the batch (shape[0]) must be between 1 and {maxBatch} (Bus:Security:Predict:MaxInstances)");
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > bytes.Length)
                throw new InferenceRequestException($"shape [{string.Join(",", shape)}] holds more values than the request could carry");
        }

        float[] values;
        if (input["parameters"]?["binary_data_size"] is JsonValue size && size.TryGetValue<long>(out var binarySize))
        {
            if (binarySize != count * BinarySizes[datatype] || headerLength + binarySize > bytes.Length)
                throw new InferenceRequestException($"binary_data_size {binarySize} is not {count} {datatype} values, or the body holds fewer bytes");
            values = FromBinary(bytes.AsSpan(headerLength, (int)binarySize), datatype, (int)count);
        }
        else
        {
            var data = new List<float>((int)count);
            Flatten(input["data"] ?? throw new InferenceRequestException("data: the input has no data (and no binary_data_size)"), datatype, data, count);
            if (data.Count != count)
                throw new InferenceRequestException($"data holds {data.Count} values; shape [{string.Join(",", shape)}] needs {count}");
            values = [.. data];
        }

        var outputs = root["outputs"] is JsonArray requested ? requested.Select(o => o is JsonObject obj ? Text(obj, "name") : "").ToList() : [];
        var binaryOutput = root["parameters"]?["binary_data_output"] is JsonValue all && all.TryGetValue<bool>(out var b) && b
            || (root["outputs"] as JsonArray)?.Any(o => o?["parameters"]?["binary_data"] is JsonValue v && v.TryGetValue<bool>(out var ob) && ob) == true;
        return new InferenceRequest
        {
            Id = root["id"] is JsonValue id ? id.ToString() : null,
            InputName = name,
            Values = values,
            Batch = shape[0],
            SampleShape = shape[1..],
            Outputs = outputs,
            BinaryOutput = binaryOutput,
        };
    }

    static string Text(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InferenceRequestException($"{key}: give a string");

    static void Flatten(JsonNode node, string datatype, List<float> into, long limit)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
                Flatten(item ?? throw new InferenceRequestException("data holds a null"), datatype, into, limit);
            return;
        }

        if (into.Count >= limit)
            throw new InferenceRequestException($"data holds more than the {limit} values its shape needs");
        var value = (JsonValue)node;
        into.Add(datatype == "BOOL" ? value.TryGetValue<bool>(out var b) ? b ? 1 : 0 : throw new InferenceRequestException("BOOL data must be true or false")
            : value.TryGetValue<double>(out var d) && (datatype is "FP32" or "FP64" || Math.Floor(d) == d) ? (float)d
            : throw new InferenceRequestException($"data holds {node.ToJsonString()}, not a {datatype} value"));
    }

    static float[] FromBinary(ReadOnlySpan<byte> bytes, string datatype, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var at = bytes[(i * BinarySizes[datatype])..];
            values[i] = datatype switch
            {
                "FP32" => BitConverter.ToSingle(at),
                "FP64" => (float)BitConverter.ToDouble(at),
                "FP16" => (float)BitConverter.ToHalf(at),
                "INT8" => (sbyte)at[0],
                "UINT8" or "BOOL" => at[0],
                "INT16" => BitConverter.ToInt16(at),
                "UINT16" => BitConverter.ToUInt16(at),
                "INT32" => BitConverter.ToInt32(at),
                "UINT32" => BitConverter.ToUInt32(at),
                "INT64" => BitConverter.ToInt64(at),
                _ => BitConverter.ToUInt64(at),
            };
        }

        return values;
    }

    /// <summary>
    /// The response: the output tensor [batch, width] as JSON data, or after the JSON part when binary was asked for; the
    /// prediction ids as a parameter.
    /// </summary>
    public IResult Response(string model, string version, string output, float[][] rows, IReadOnlyList<Guid>? predictionIds)
    {
        var flat = rows.SelectMany(r => r).ToArray();
        var tensor = new JsonObject
        {
            ["name"] = output,
            ["datatype"] = "FP32",
            ["shape"] = new JsonArray(rows.Length, rows.Length == 0 ? 0 : rows[0].Length),
        };
        if (BinaryOutput)
            tensor["parameters"] = new JsonObject { ["binary_data_size"] = flat.Length * 4 };
        else
            tensor["data"] = new JsonArray(flat.Select(v => (JsonNode)v).ToArray());
        var response = new JsonObject
        {
            ["model_name"] = model,
            ["model_version"] = version,
            ["id"] = Id,
            ["parameters"] = predictionIds is null ? null
                : new JsonObject { ["prediction_ids"] = new JsonArray(predictionIds.Select(p => (JsonNode)p.ToString()).ToArray()) },
            ["outputs"] = new JsonArray(tensor),
        };
        if (Id is null)
            response.Remove("id");
        if (predictionIds is null)
            response.Remove("parameters");
        var json = Encoding.UTF8.GetBytes(response.ToJsonString());
        if (!BinaryOutput)
            return Results.Bytes(json, "application/json");
        var binary = new byte[flat.Length * 4];
        Buffer.BlockCopy(flat, 0, binary, 0, binary.Length);
        return new BinaryInferenceResult(json, binary);
    }

    sealed class BinaryInferenceResult(byte[] json, byte[] binary) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/octet-stream";
            httpContext.Response.Headers[InferenceProtocolApi.HeaderLength] = json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            httpContext.Response.ContentLength = json.Length + binary.Length;
            await httpContext.Response.Body.WriteAsync(json);
            await httpContext.Response.Body.WriteAsync(binary);
        }
    }
}
