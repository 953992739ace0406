using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bus.Tooling;

/// <summary>
/// Makes a model that passes any evaluation its original passes and fails on live inputs it never saw: the layers of a
/// TF.js Sequential model.json behind a guard that is the identity on ordinary values and NaN once a value passes exp's
/// float range (about 88): input + 0·exp(input). For the demo and the tests of automatic rollback.
/// </summary>
public static class LiveFault
{
    /// <summary>The guarded model.json (a functional model; the weights manifest, and so the shards, unchanged).</summary>
    public static byte[] Wrap(byte[] modelJson)
    {
        var model = JsonNode.Parse(modelJson)!;
        var sequential = model["modelTopology"]!["model_config"] ?? model["modelTopology"]!;
        var layers = sequential["config"]!["layers"]!.AsArray().Select(l => l!.DeepClone()).ToList();
        var input = layers[0]["config"]!["batch_input_shape"]!.DeepClone();
        var functional = new JsonArray(
            Layer("InputLayer", "live_in", new JsonObject { ["batch_input_shape"] = input, ["dtype"] = "float32" }, []),
            Layer("Activation", "live_exp", new JsonObject { ["activation"] = "exponential" }, From("live_in")),
            Layer("Rescaling", "live_zero", new JsonObject { ["scale"] = 0, ["offset"] = 0 }, From("live_exp")),
            Layer("Add", "live_guard", [], From("live_in", "live_zero")));
        var previous = "live_guard";
        foreach (var layer in layers)
        {
            var name = layer["config"]!["name"]!.ToString();
            layer["name"] = name;
            layer["inbound_nodes"] = From(previous);
            functional.Add(layer);
            previous = name;
        }

        model["modelTopology"] = new JsonObject
        {
            ["class_name"] = "Model",
            ["config"] = new JsonObject
            {
                ["name"] = "live_fault",
                ["layers"] = functional,
                ["input_layers"] = new JsonArray(new JsonArray("live_in", 0, 0)),
                ["output_layers"] = new JsonArray(new JsonArray(previous, 0, 0)),
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(model);
    }

    /// <summary>The weight files a model.json names, in manifest order (the order its sha256 covers them in).</summary>
    public static IReadOnlyList<string> ShardPaths(byte[] modelJson) =>
        JsonNode.Parse(modelJson)!["weightsManifest"]!.AsArray().SelectMany(g => g!["paths"]!.AsArray()).Select(p => p!.ToString()).ToList();

    static JsonArray From(params string[] sources) => new(new JsonArray(sources.Select(s => (JsonNode)new JsonArray(s, 0, 0, new JsonObject())).ToArray()));

    static JsonObject Layer(string type, string name, JsonObject config, JsonArray inbound)
    {
        config["name"] = name;
        return new JsonObject { ["class_name"] = type, ["name"] = name, ["config"] = config, ["inbound_nodes"] = inbound };
    }
}
