// A real TensorFlow training job (TensorFlow.js on the CPU backend; no native binaries):
// trains a digits classifier, writes model.json + weight shards (the Keras layers format that
// tensorflowjs_converter produces), uploads them with their sha256 to S3 and publishes
// `training-complete` as plain JSON to SNS, exactly as a Python job with boto3 would.
//
//   node train.mjs --endpoint http://127.0.0.1:4566 --model digits --version 1 [--epochs 20] [--weak]
//                  [--scope prod] [--out DIR] [--no-upload] [--no-announce] [--seed 7]
//   node train.mjs --endpoint ... --evaluation-set s3://bucket/key
//        the operator's side: uploads the governed evaluation set (the validation split) and trains nothing
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { flush, startSpan, traceId, traceStateHeader } from "./otel.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: o } = parseArgs({
  options: {
    endpoint: { type: "string" },
    region: { type: "string", default: "us-east-1" },
    scope: { type: "string", default: "" },
    model: { type: "string", default: "digits" },
    version: { type: "string", default: "1" },
    epochs: { type: "string", default: "20" },
    weak: { type: "boolean", default: false },
    seed: { type: "string", default: "7" },
    out: { type: "string" },
    "models-bucket": { type: "string", default: "bus-models" },
    "datasets-bucket": { type: "string", default: "bus-datasets" },
    "shard-bytes": { type: "string", default: "16384" },
    "no-upload": { type: "boolean", default: false },
    // upload the artifacts but leave the announcement to the caller (load tests announce one artifact many times)
    "no-announce": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    "evaluation-set": { type: "string" },
  },
});

const log = (...a) => { if (!o.quiet) console.error(...a); };
// The job starts the model version's trace: everything the pipeline does with this version continues it.
const job = startSpan(`train ${o.model} ${o.version}`, { attributes: { "bus.model.name": o.model, "bus.model.version": o.version } });
const seed = Number.parseInt(o.seed, 10);
const epochs = Number.parseInt(o.epochs, 10);

await tf.setBackend("cpu");
await tf.ready();

// ---- data: deterministic split, every 5th sample is for validation ----
const rows = gunzipSync(readFileSync(join(here, "data", "digits.csv.gz"))).toString("utf8").trim().split("\n")
  .map((line) => line.split(",").map(Number));
const train = rows.filter((_, i) => i % 5 !== 0);
const validation = rows.filter((_, i) => i % 5 === 0);
const features = (set) => set.map((r) => r.slice(0, 64).map((v) => v / 16));
const labels = (set) => set.map((r) => r[64]);
const validationJson = Buffer.from(JSON.stringify({
  inputShape: [8, 8, 1],
  classes: 10,
  features: features(validation),
  labels: labels(validation),
}));
const awsConfig = () => ({ region: o.region, endpoint: o.endpoint, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test", secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test" } });

if (o["evaluation-set"]) {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(o["evaluation-set"]);
  if (!match || !o.endpoint) throw new Error("--evaluation-set takes s3://bucket/key and needs --endpoint");
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({ ...awsConfig(), forcePathStyle: true });
  try { await s3.send(new CreateBucketCommand({ Bucket: match[1] })); } catch (e) { if (!/BucketAlready(OwnedByYou|Exists)/.test(e.name)) throw e; }
  await s3.send(new PutObjectCommand({ Bucket: match[1], Key: match[2], Body: validationJson, ContentType: "application/json" }));
  log(`uploaded the evaluation set (${validation.length} samples) to ${o["evaluation-set"]}`);
  console.log(JSON.stringify({ evaluationSetUri: o["evaluation-set"], samples: validation.length }));
  process.exit(0);
}

// ---- model: a small CNN (the weak variant is a starved dense net trained for one epoch) ----
function build() {
  const init = (n) => tfl.initializers.glorotUniform({ seed: seed * 100 + n });
  const model = tfl.sequential();
  if (o.weak) {
    model.add(tfl.layers.flatten({ inputShape: [8, 8, 1] }));
    model.add(tfl.layers.dense({ units: 4, activation: "relu", kernelInitializer: init(1) }));
    model.add(tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(2) }));
  } else {
    model.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(1) }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 32, activation: "relu", kernelInitializer: init(2) }));
    model.add(tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }));
  }
  model.compile({ optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

const model = build();
const xTrain = tf.tensor4d(features(train).flat(), [train.length, 8, 8, 1]);
const yTrain = tf.tensor1d(labels(train), "float32");
const xVal = tf.tensor4d(features(validation).flat(), [validation.length, 8, 8, 1]);
const yVal = tf.tensor1d(labels(validation), "float32");
const history = await model.fit(xTrain, yTrain, {
  epochs: o.weak ? 1 : epochs,
  batchSize: 64,
  shuffle: false,
  verbose: 0,
  validationData: [xVal, yVal],
});
const last = (k) => history.history[k].at(-1);
const metrics = { loss: last("loss"), accuracy: last("acc"), valLoss: last("val_loss"), valAccuracy: last("val_acc") };
log(`trained ${o.model} ${o.version}: accuracy ${metrics.accuracy.toFixed(4)}, validation accuracy ${metrics.valAccuracy.toFixed(4)}`);

// ---- artifacts: model.json + weight shards, the validation set, metrics ----
const artifacts = await new Promise((resolve) => model.save(tf.io.withSaveHandler(async (a) => { resolve(a); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }; })));
const weightData = Buffer.from(artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData));
const shardBytes = Number.parseInt(o["shard-bytes"], 10);
const shardCount = Math.max(1, Math.ceil(weightData.length / shardBytes));
const shards = Array.from({ length: shardCount }, (_, i) => ({
  name: `group1-shard${i + 1}of${shardCount}.bin`,
  bytes: weightData.subarray(i * shardBytes, Math.min(weightData.length, (i + 1) * shardBytes)),
}));
const modelJson = Buffer.from(JSON.stringify({
  format: "layers-model",
  generatedBy: "TensorFlow.js tfjs-layers v4.22.0",
  convertedBy: null,
  modelTopology: artifacts.modelTopology,
  weightsManifest: [{ paths: shards.map((s) => s.name), weights: artifacts.weightSpecs }],
}));
const hash = createHash("sha256");
hash.update(modelJson);
for (const s of shards) hash.update(s.bytes);
const sha256 = hash.digest("hex");
const out = o.out ?? join(here, ".out", o.model, o.version);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "model.json"), modelJson);
for (const s of shards) writeFileSync(join(out, s.name), s.bytes);
writeFileSync(join(out, "validation.json"), validationJson);
writeFileSync(join(out, "metrics.json"), JSON.stringify(metrics, null, 2));

const prefix = o.scope ? `${o.scope}-` : "";
const modelsBucket = `${prefix}${o["models-bucket"]}`;
const datasetsBucket = `${prefix}${o["datasets-bucket"]}`;
const modelKey = `${o.model}/${o.version}`;
const announcement = {
  modelName: o.model,
  modelVersion: o.version,
  runId: `run-${o.model}-${o.version}-${seed}`,
  artifactUri: `s3://${modelsBucket}/${modelKey}/model.json`,
  artifactFormat: "tfjs-layers",
  artifactSha256: sha256,
  datasetUri: `s3://${datasetsBucket}/${o.model}/digits.csv.gz`,
  validationSetUri: `s3://${datasetsBucket}/${o.model}/validation.json`,
  trainingMetrics: metrics,
  producedAt: new Date().toISOString(),
  producer: `tfjs-trainer@${process.env.HOSTNAME ?? "localhost"}`,
};

if (!o["no-upload"]) {
  if (!o.endpoint) throw new Error("--endpoint is required to upload (or pass --no-upload)");
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
  const { SNSClient, CreateTopicCommand, PublishCommand } = await import("@aws-sdk/client-sns");
  const config = awsConfig();
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  for (const bucket of [modelsBucket, datasetsBucket]) {
    try { await s3.send(new CreateBucketCommand({ Bucket: bucket })); } catch (e) { if (!/BucketAlready(OwnedByYou|Exists)/.test(e.name)) throw e; }
  }
  const put = (bucket, key, body, type) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
  await put(modelsBucket, `${modelKey}/model.json`, modelJson, "application/json");
  for (const s of shards) await put(modelsBucket, `${modelKey}/${s.name}`, s.bytes, "application/octet-stream");
  await put(datasetsBucket, `${o.model}/validation.json`, validationJson, "application/json");
  await put(datasetsBucket, `${o.model}/digits.csv.gz`, readFileSync(join(here, "data", "digits.csv.gz")), "application/gzip");

  if (!o["no-announce"]) {
    const sns = new SNSClient(config);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${prefix}training-complete` }));
    const publish = startSpan(`publish ${prefix}training-complete`, {
      parent: job,
      kind: 4,
      attributes: {
        "messaging.system": "aws.sns",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": `${prefix}training-complete`,
        "aws.sns.topic.arn": TopicArn,
      },
    });
    // traceparent (and tracestate) are the attributes the ingress topic keeps: the lifecycle continues this trace.
    const MessageAttributes = { traceparent: { DataType: "String", StringValue: publish.traceparent() } };
    if (traceStateHeader()) MessageAttributes.tracestate = { DataType: "String", StringValue: traceStateHeader() };
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify(announcement), MessageAttributes }));
    publish.attributes["messaging.message.id"] = MessageId;
    publish.end();
  }
  log(`uploaded s3://${modelsBucket}/${modelKey}/ (${shards.length} shard(s), sha256 ${sha256})${o["no-announce"] ? "" : " and published training-complete"}`);
}

job.end();
await flush("training-job");
console.log(JSON.stringify({ ...announcement, out, traceId }));
