// Builds TensorFlow.js models for the converter tests and records TF.js's own outputs on fixed inputs.
//   node export-test-models.mjs --out DIR [--from TRAINED_DIR]
// Writes DIR/<case>/model.json, weight shards and reference.json ({ inputShape, inputs, outputs }), and the same model as
// Keras saves it: model.keras, sharded.keras (weights in two numbered files and their map) and model.h5 (legacy HDF5).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { writeKeras, writeLegacyH5 } from "./keras-files.mjs";

const { values: o } = parseArgs({ options: { out: { type: "string" }, from: { type: "string" } } });
await tf.setBackend("cpu");

let state = 12345;
const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
const randomInputs = (n, shape) => Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);

async function save(name, model, inputShape, inputs, shardBytes = 4096) {
  const dir = join(o.out, name);
  mkdirSync(dir, { recursive: true });
  const artifacts = await new Promise((resolve) => model.save(tf.io.withSaveHandler(async (a) => { resolve(a); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }; })));
  const data = Buffer.from(artifacts.weightData);
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const paths = [];
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    writeFileSync(join(dir, path), data.subarray(i * shardBytes, Math.min(data.length, (i + 1) * shardBytes)));
    paths.push(path);
  }
  writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "layers-model", generatedBy: "TensorFlow.js tfjs-layers v4.22.0", convertedBy: null, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths, weights: artifacts.weightSpecs }] }));
  await writeKeras(join(dir, "model.keras"), dir, artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData);
  await writeKeras(join(dir, "sharded.keras"), dir, artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData, 2);
  writeLegacyH5(join(dir, "model.h5"), artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData, name === "functional-skip");
  const n = inputs.length / inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(inputs, [n, ...inputShape]);
  const y = model.predict(x);
  const values = Array.from(await y.data());
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`${name}: TF.js produced non-finite outputs`);
  writeFileSync(join(dir, "reference.json"), JSON.stringify({ inputShape, batch: n, inputs, outputShape: y.shape, outputs: Array.from(await y.data()) }));
}

// Gives every weight (BatchNormalization statistics included) non-trivial seeded values.
function randomizeWeights(model) {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const names = layer.weights.map((v) => v.originalName ?? v.name);
    layer.setWeights(weights.map((w, i) => {
      const isVariance = names[i].includes("moving_variance");
      return tf.tensor(Array.from({ length: w.size }, () => isVariance ? 0.5 + random() : random() - 0.5), w.shape);
    }));
  }
}

// 1. a functional convolutional model with skip connections and most supported layers
{
  const input = tfl.input({ shape: [8, 8, 3] });
  const c1 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu" }).apply(input);
  const bn = tfl.layers.batchNormalization().apply(c1);
  const c2 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", dilationRate: 2 }).apply(bn);
  const skip = tfl.layers.add().apply([c1, c2]);
  const act = tfl.layers.activation({ activation: "elu" }).apply(skip);
  const leaky = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(act);
  const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(leaky);
  const avg = tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same" }).apply(pooled);
  const strided = tfl.layers.conv2d({ filters: 4, kernelSize: 2, strides: 2, padding: "valid", activation: "selu" }).apply(avg);
  const up = tfl.layers.upSampling2d({ size: [2, 2] }).apply(strided);
  const cat = tfl.layers.concatenate().apply([up, pooled]);
  const gap = tfl.layers.globalAveragePooling2d({}).apply(cat);
  const flat = tfl.layers.flatten().apply(cat);
  const dropped = tfl.layers.dropout({ rate: 0.5 }).apply(flat);
  const d1 = tfl.layers.dense({ units: 12, activation: "tanh" }).apply(dropped);
  const both = tfl.layers.concatenate().apply([d1, gap]);
  const reshaped = tfl.layers.reshape({ targetShape: [2, 11] }).apply(both);
  const flat2 = tfl.layers.flatten().apply(reshaped);
  const d2 = tfl.layers.dense({ units: 5, activation: "sigmoid" }).apply(flat2);
  const out = tfl.layers.dense({ units: 3, activation: "softmax" }).apply(d2);
  const model = tfl.model({ inputs: input, outputs: out });
  randomizeWeights(model);
  await save("functional-skip", model, [8, 8, 3], randomInputs(4, [8, 8, 3]));
}

// 2. a sequential dense model with the remaining activations
{
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [10], units: 8, activation: "linear" }));
  model.add(tfl.layers.activation({ activation: "relu" }));
  model.add(tfl.layers.dense({ units: 8 }));
  model.add(tfl.layers.reLU({ maxValue: 0.25 }));
  model.add(tfl.layers.dense({ units: 8, activation: "sigmoid", useBias: false }));
  model.add(tfl.layers.batchNormalization({ center: false }));
  model.add(tfl.layers.dense({ units: 4, activation: "softmax" }));
  randomizeWeights(model);
  await save("sequential-dense", model, [10], randomInputs(5, [10]), 256);
}

// 3. the remaining activations, each as an Activation layer and fused into a Dense layer
{
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ inputShape: [6], units: 8, activation: "gelu" }));
  for (const activation of ["softplus", "softsign", "swish", "gelu_new", "mish", "hardSigmoid"]) {
    model.add(tfl.layers.dense({ units: 8 }));
    model.add(tfl.layers.activation({ activation }));
  }
  model.add(tfl.layers.dense({ units: 8, activation: "swish" }));
  model.add(tfl.layers.dense({ units: 3, activation: "softplus" }));
  randomizeWeights(model);
  await save("activations", model, [6], randomInputs(5, [6]), 512);
}

// 4. the merging layers and the Softmax layer, in a functional model
{
  const input = tfl.input({ shape: [6] });
  const [d1, d2, d3] = [5, 5, 5].map((units) => tfl.layers.dense({ units, activation: "tanh" }).apply(input));
  const merged = tfl.layers.concatenate().apply([
    tfl.layers.multiply().apply([d1, d2]),
    tfl.layers.average().apply([d1, d2, d3]),
    tfl.layers.maximum().apply([d2, d3]),
    tfl.layers.minimum().apply([d1, d2, d3]),
  ]);
  const out = tfl.layers.softmax({ axis: -1 }).apply(tfl.layers.dense({ units: 4 }).apply(merged));
  const model = tfl.model({ inputs: input, outputs: out });
  randomizeWeights(model);
  await save("merging", model, [6], randomInputs(5, [6]), 512);
}

// 5. global max pooling over a convolution
{
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2, activation: "relu" }));
  model.add(tfl.layers.globalMaxPooling2d({}));
  model.add(tfl.layers.dense({ units: 2 }));
  randomizeWeights(model);
  await save("global-max", model, [5, 5, 2], randomInputs(4, [5, 5, 2]), 512);
}

// 6. padding, cropping, rescaling, permuting, 1-D global pooling and repeating
{
  const input = tfl.input({ shape: [4, 4, 2] });
  const padded = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 2]] }).apply(input);
  const cropped = tfl.layers.cropping2D({ cropping: [[0, 1], [1, 0]] }).apply(padded);
  const rescaled = tfl.layers.rescaling({ scale: 0.5, offset: 0.1 }).apply(cropped);
  const permuted = tfl.layers.permute({ dims: [2, 1, 3] }).apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(rescaled));
  const sequence = tfl.layers.reshape({ targetShape: [20, 2] }).apply(permuted);
  const pooled = tfl.layers.concatenate().apply([
    tfl.layers.globalMaxPooling1d({}).apply(sequence),
    tfl.layers.globalAveragePooling1d({}).apply(sequence),
  ]);
  const repeated = tfl.layers.repeatVector({ n: 3 }).apply(tfl.layers.dense({ units: 5, activation: "tanh" }).apply(pooled));
  const out = tfl.layers.dense({ units: 3 }).apply(tfl.layers.flatten().apply(repeated));
  const model = tfl.model({ inputs: input, outputs: out });
  randomizeWeights(model);
  await save("reshaping", model, [4, 4, 2], randomInputs(4, [4, 4, 2]), 512);
}

// 7. a token sequence: Embedding (ids as floats, as TF.js takes them), LayerNormalization, 1-D pooling
{
  const model = tfl.sequential();
  model.add(tfl.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, inputShape: [6] }));
  model.add(tfl.layers.layerNormalization({ epsilon: 1e-3 }));
  model.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 4, activation: "tanh" }) }));
  model.add(tfl.layers.dense({ units: 5, activation: "relu" }));
  model.add(tfl.layers.globalAveragePooling1d({}));
  model.add(tfl.layers.dense({ units: 3, activation: "softmax" }));
  randomizeWeights(model);
  await save("sequence", model, [6], Array.from({ length: 5 * 6 }, (_, i) => (i * 7 + 3) % 10), 512);
}

// 8. one-dimensional convolutions and pooling (same and valid padding, strides, dilation)
{
  const model = tfl.sequential();
  model.add(tfl.layers.conv1d({ inputShape: [12, 3], filters: 4, kernelSize: 3, padding: "same", activation: "relu" }));
  model.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
  model.add(tfl.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2 }));
  model.add(tfl.layers.averagePooling1d({ poolSize: 2, strides: 1, padding: "same" }));
  model.add(tfl.layers.conv1d({ filters: 3, kernelSize: 2, strides: 2, activation: "tanh" }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 2 }));
  randomizeWeights(model);
  await save("conv1d", model, [12, 3], randomInputs(4, [12, 3]), 512);
}

// 9. depthwise and separable convolutions
{
  const model = tfl.sequential();
  model.add(tfl.layers.depthwiseConv2d({ inputShape: [6, 6, 2], kernelSize: 3, depthMultiplier: 2, padding: "same", activation: "relu" }));
  model.add(tfl.layers.separableConv2d({ filters: 3, kernelSize: 2, strides: 2, depthMultiplier: 2 }));
  model.add(tfl.layers.depthwiseConv2d({ kernelSize: 2, useBias: false }));
  model.add(tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  model.add(tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 1, padding: "valid" }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 2 }));
  randomizeWeights(model);
  await save("depthwise", model, [6, 6, 2], randomInputs(3, [6, 6, 2]), 512);
}

// 10. recurrent layers: LSTM (TF.js's default hard_sigmoid gates) returning sequences into a GRU with sigmoid gates
const rnn = (make, options) => make({ recurrentInitializer: "glorotUniform", ...options });
{
  const model = tfl.sequential();
  model.add(tfl.layers.embedding({ inputDim: 12, outputDim: 5, inputLength: 6, inputShape: [6] }));
  model.add(rnn(tfl.layers.lstm, { units: 7, returnSequences: true }));
  model.add(rnn(tfl.layers.gru, { units: 4, recurrentActivation: "sigmoid" }));
  model.add(tfl.layers.dense({ units: 3, activation: "softmax" }));
  randomizeWeights(model);
  await save("recurrent", model, [6], Array.from({ length: 5 * 6 }, (_, i) => (i * 5 + 2) % 12), 512);
}

// 11. Bidirectional in every merge mode, with sequences and without
{
  const model = tfl.sequential();
  const gates = { recurrentActivation: "sigmoid" };
  model.add(tfl.layers.bidirectional({ inputShape: [5, 3], layer: rnn(tfl.layers.lstm, { units: 4, returnSequences: true, ...gates }), mergeMode: "concat" }));
  model.add(tfl.layers.bidirectional({ layer: rnn(tfl.layers.gru, { units: 3, returnSequences: true, ...gates }), mergeMode: "ave" }));
  model.add(tfl.layers.bidirectional({ layer: rnn(tfl.layers.lstm, { units: 3, returnSequences: true, activation: "relu", ...gates }), mergeMode: "sum" }));
  model.add(tfl.layers.bidirectional({ layer: rnn(tfl.layers.gru, { units: 2, ...gates }), mergeMode: "mul" }));
  model.add(tfl.layers.dense({ units: 2 }));
  randomizeWeights(model);
  await save("bidirectional", model, [5, 3], randomInputs(4, [5, 3]), 512);
}

// 12. a text classifier: token ids, an Embedding, an LSTM, a softmax
{
  const model = tfl.sequential();
  model.add(tfl.layers.embedding({ inputDim: 20, outputDim: 8, inputLength: 10, inputShape: [10] }));
  model.add(rnn(tfl.layers.lstm, { units: 16, recurrentActivation: "sigmoid" }));
  model.add(tfl.layers.dense({ units: 4, activation: "softmax" }));
  randomizeWeights(model);
  await save("text-lstm", model, [10], Array.from({ length: 6 * 10 }, (_, i) => (i * 7 + i * i) % 20), 1024);
}

// 13. a fully convolutional upscaler: any height and width (the input shape is [null, null, 3]); references at two sizes
{
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 6, kernelSize: 3, padding: "same", activation: "relu" }));
  model.add(tfl.layers.upSampling2d({ size: [2, 2] }));
  model.add(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same" }));
  randomizeWeights(model);
  await save("upscaler", model, [5, 7, 3], randomInputs(2, [5, 7, 3]), 512);
  const inputs = randomInputs(3, [4, 4, 3]);
  const y = model.predict(tf.tensor(inputs, [3, 4, 4, 3]));
  writeFileSync(join(o.out, "upscaler", "reference-4x4.json"), JSON.stringify({ inputShape: [4, 4, 3], batch: 3, inputs, outputShape: y.shape,
    outputs: Array.from(await y.data()) }));
}

// 14. the trained digits model, loaded back, on real validation samples
if (o.from) {
  const modelJson = JSON.parse(readFileSync(join(o.from, "model.json"), "utf8"));
  const buffers = modelJson.weightsManifest[0].paths.map((p) => readFileSync(join(o.from, p)));
  const weightData = Buffer.concat(buffers);
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length) }));
  const validation = JSON.parse(readFileSync(join(o.from, "validation.json"), "utf8"));
  await save("digits", model, [8, 8, 1], validation.features.slice(0, 32).flat(), 16384);
}

console.log(readdirSync(o.out).join(" "));
