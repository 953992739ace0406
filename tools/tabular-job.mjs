// A TensorFlow.js training job for tabular data: a regression MLP (--task regression) or a binary classifier with one
// sigmoid output (--task binary) on a deterministic synthetic set of 8 features. It saves the model as Keras does
// (model.keras, model.h5, and model.json with shards for comparison) and the validation split in every evaluation
// format Bus reads (validation.tfrecord, .npz, .csv, .json), and prints { sha256 of each model file, out, metrics }.
//   node tabular-job.mjs --task regression|binary --out DIR [--epochs 40] [--seed 3] [--samples 2000] [--evaluation-samples N]
// --evaluation-samples N also writes N more samples of the same distribution as evaluation.tfrecord (and, up to a
// million, evaluation.json), streamed to disk, for the benchmark.
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { writeKeras, writeLegacyH5 } from "./keras-files.mjs";
import { example, tfRecord, writeCsv, writeJson, writeNpz, writeTfRecords } from "./datasets.mjs";

const { values: o } = parseArgs({
  options: {
    task: { type: "string", default: "regression" },
    out: { type: "string" },
    epochs: { type: "string", default: "40" },
    seed: { type: "string", default: "3" },
    samples: { type: "string", default: "2000" },
    "evaluation-samples": { type: "string", default: "0" },
  },
});
if (!o.out) throw new Error("--out DIR is required");
if (!["regression", "binary"].includes(o.task)) throw new Error("--task is regression or binary");
await tf.setBackend("cpu");

// ---- data: y = sin(2 x0) + x1 x2 + x3^2 / 2 - x4 + noise; binary: y > 0 ----
let state = 20261204;
const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
const width = 8;
const sample = () => {
  const x = Array.from({ length: width }, () => Math.fround(random() * 2 - 1));
  const value = Math.sin(2 * x[0]) + x[1] * x[2] + 0.5 * x[3] * x[3] - x[4] + 0.1 * (random() - 0.5);
  return { x, y: o.task === "binary" ? (value > 0.1 ? 1 : 0) : Math.fround(value) };
};
const rows = Array.from({ length: Number.parseInt(o.samples, 10) }, sample);
const train = rows.filter((_, i) => i % 5 !== 0);
const validation = rows.filter((_, i) => i % 5 === 0);

// ---- model ----
const model = tfl.sequential();
const init = (offset) => tfl.initializers.glorotUniform({ seed: Number(o.seed) + offset });
model.add(tfl.layers.dense({ inputShape: [width], units: 32, activation: "relu", kernelInitializer: init(0) }));
model.add(tfl.layers.dense({ units: 16, activation: "tanh", kernelInitializer: init(1) }));
model.add(tfl.layers.dense({ units: 1, activation: o.task === "binary" ? "sigmoid" : "linear", kernelInitializer: init(2) }));
model.compile({ optimizer: tf.train.adam(0.01), loss: o.task === "binary" ? "binaryCrossentropy" : "meanSquaredError" });
const x = tf.tensor2d(train.map((r) => r.x));
const y = tf.tensor2d(train.map((r) => [r.y]));
const epochs = Number.parseInt(o.epochs, 10);
const history = epochs > 0 ? await model.fit(x, y, { epochs, batchSize: 64, shuffle: false, verbose: 0 }) : { history: { loss: [NaN] } };

// ---- artifacts ----
mkdirSync(o.out, { recursive: true });
const saved = { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
const artifacts = await new Promise((resolve) => model.save(tf.io.withSaveHandler(async (a) => { resolve(a); return saved; })));
const weightData = Buffer.from(artifacts.weightData);
writeFileSync(join(o.out, "group1-shard1of1.bin"), weightData);
writeFileSync(join(o.out, "model.json"), JSON.stringify({ format: "layers-model", generatedBy: "TensorFlow.js tfjs-layers v4.22.0", convertedBy: null,
  modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: artifacts.weightSpecs }] }));
await writeKeras(join(o.out, "model.keras"), o.out, artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData);
writeLegacyH5(join(o.out, "model.h5"), artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData);

const intLabels = o.task === "binary";
writeTfRecords(join(o.out, "validation.tfrecord"), validation, { intLabels });
writeNpz(join(o.out, "validation.npz"), validation, [width], { intLabels, compressed: true });
writeCsv(join(o.out, "validation.csv"), validation);
writeJson(join(o.out, "validation.json"), validation, [width]);

const extra = Number.parseInt(o["evaluation-samples"], 10);
if (extra > 0) {
  const chunk = 10000;
  const records = openSync(join(o.out, "evaluation.tfrecord"), "w");
  const json = extra <= 1_000_000 ? openSync(join(o.out, "evaluation.json"), "w") : null;
  if (json !== null) writeSync(json, `{"inputShape":[${width}],"features":[`);
  const labels = [];
  for (let done = 0; done < extra; done += chunk) {
    const batch = Array.from({ length: Math.min(chunk, extra - done) }, sample);
    writeSync(records, Buffer.concat(batch.map((s, i) => tfRecord(example({ x: { floats: s.x }, y: intLabels ? { ints: [s.y] } : { floats: [s.y] },
      id: { ints: [done + i] } })))));
    if (json !== null) {
      writeSync(json, (done > 0 ? "," : "") + batch.map((s) => JSON.stringify(s.x)).join(","));
      for (const s of batch) labels.push(s.y);
    }
  }
  closeSync(records);
  if (json !== null) {
    writeSync(json, `],"labels":${JSON.stringify(labels)}}`);
    closeSync(json);
  }
}

// TF.js's own predictions on the validation split, for the converter and metric checks.
const predictions = Array.from(await model.predict(tf.tensor2d(validation.map((r) => r.x))).data());
writeFileSync(join(o.out, "predictions.json"), JSON.stringify(predictions));
const sha256 = (file) => createHash("sha256").update(readFileSync(join(o.out, file))).digest("hex");
console.log(JSON.stringify({
  task: o.task, out: o.out, samples: validation.length, loss: history.history.loss.at(-1),
  sha256: { keras: sha256("model.keras"), h5: sha256("model.h5") },
}));
