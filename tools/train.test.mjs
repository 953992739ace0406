// Tests of the TensorFlow.js training job: node --test (run by tools/test with the pinned Node 22).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function train(...args) {
  const out = mkdtempSync(join(tmpdir(), "bus-train-"));
  const stdout = execFileSync(process.execPath, [join(here, "train.mjs"), "--no-upload", "--quiet", "--out", out, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return { out, announcement: JSON.parse(stdout.trim().split("\n").at(-1)) };
}

test("two runs with the same seed give identical weights", () => {
  const a = train("--epochs", "2");
  const b = train("--epochs", "2");
  assert.equal(a.announcement.artifactSha256, b.announcement.artifactSha256);
  assert.deepEqual(readFileSync(join(a.out, "group1-shard1of2.bin")), readFileSync(join(b.out, "group1-shard1of2.bin")));
});

test("another seed gives other weights", () => {
  assert.notEqual(train("--epochs", "1").announcement.artifactSha256, train("--epochs", "1", "--seed", "8").announcement.artifactSha256);
});

test("the artifact is a layers model whose sha256 covers model.json and every shard in manifest order", () => {
  const { out, announcement } = train("--epochs", "1");
  const modelJson = readFileSync(join(out, "model.json"));
  const model = JSON.parse(modelJson);
  assert.equal(model.format, "layers-model");
  const paths = model.weightsManifest[0].paths;
  assert.ok(paths.length >= 2, "weights are split over several shards");
  const hash = createHash("sha256").update(modelJson);
  for (const p of paths) hash.update(readFileSync(join(out, p)));
  assert.equal(announcement.artifactSha256, hash.digest("hex"));
  assert.equal(announcement.artifactFormat, "tfjs-layers");
  assert.match(announcement.artifactUri, /^s3:\/\/bus-models\/digits\/1\/model\.json$/);
});

test("the validation set is the deterministic fifth of the data and the model learns", () => {
  const { out, announcement } = train("--epochs", "8");
  const validation = JSON.parse(readFileSync(join(out, "validation.json")));
  assert.equal(validation.labels.length, 360);
  assert.equal(validation.features[0].length, 64);
  assert.ok(announcement.trainingMetrics.valAccuracy > 0.85, `validation accuracy ${announcement.trainingMetrics.valAccuracy}`);
});

test("the weak variant is clearly worse", () => {
  const { announcement } = train("--weak");
  assert.ok(announcement.trainingMetrics.valAccuracy < 0.5, `weak validation accuracy ${announcement.trainingMetrics.valAccuracy}`);
});
