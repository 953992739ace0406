// Writes a TF.js layers model (its Keras-2 form topology, weight specs and weight bytes) in the layouts Keras itself
// saves, for the converter's tests and the demo: Keras 3's model.json form, the .keras zip (config.json, metadata.json,
// model.weights.h5 or sharded weights), and the legacy .h5. HDF5 is written by h5wasm (the HDF5 C library in wasm).
// The layouts follow keras saving_lib (layers/<class in snake case>/vars/<i>) and legacy/saving (model_weights with
// layer_names and weight_names attributes).
import { writeFileSync } from "node:fs";
import { crc32, deflateRawSync } from "node:zlib";
import h5wasm from "h5wasm/node";

await h5wasm.ready;

const snakeCase = (name) => name.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
const policy = (name) => ({ module: "keras", class_name: "DTypePolicy", config: { name }, registered_name: null });
const tensor = (entry) => ({ class_name: "__keras_tensor__", config: { shape: [], dtype: "float32", keras_history: entry.slice(0, 3) } });

// The topology as Keras 3 serialises it: module/registered_name/build_config, dtype policies, batch_shape,
// {"args": [...]} inbound nodes and flat input_layers/output_layers.
export function keras3Topology(topology) {
  const model = structuredClone(topology.model_config ?? topology);
  delete model.keras_version;
  delete model.backend;
  model.module = "keras";
  model.registered_name = null;
  const layers = Array.isArray(model.config) ? model.config : model.config.layers;
  const rewrite = (layer) => {
    layer.module = "keras.layers";
    layer.registered_name = null;
    layer.config.dtype = policy(typeof layer.config.dtype === "string" ? layer.config.dtype : "float32");
    if (layer.config.batch_input_shape) {
      layer.config.batch_shape = layer.config.batch_input_shape;
      delete layer.config.batch_input_shape;
    }
    if (layer.config.layer) rewrite(layer.config.layer);
  };
  for (const layer of layers) {
    rewrite(layer);
    layer.build_config = { input_shape: layer.config.batch_shape ?? null };
    if (Array.isArray(layer.inbound_nodes) && layer.inbound_nodes.length === 1 && Array.isArray(layer.inbound_nodes[0])) {
      const tensors = layer.inbound_nodes[0].map(tensor);
      layer.inbound_nodes = [{ args: [tensors.length === 1 ? tensors[0] : tensors], kwargs: {} }];
    }
  }
  for (const key of ["input_layers", "output_layers"]) {
    if (!Array.isArray(model.config)) {
      const list = model.config[key];
      if (Array.isArray(list) && list.length === 1) model.config[key] = list[0];
    }
  }
  return model;
}

// Each layer's weights (by the layer's TF.js name), in the order the layer holds them, as Float32Arrays with shapes.
function weightsByLayer(weightSpecs, weightData) {
  const bytes = weightData instanceof ArrayBuffer ? weightData : weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength);
  const data = new Float32Array(bytes);
  const byLayer = new Map();
  let offset = 0;
  for (const spec of weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const layer = spec.name.split("/")[0];
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer).push({ name: spec.name.slice(layer.length + 1), shape: spec.shape, values: data.slice(offset, offset + size) });
    offset += size;
  }
  return byLayer;
}

// A layer's variables as Keras 3 nests them: a wrapper's under its `layer`, a recurrent layer's under its `cell`, a
// Bidirectional's under forward_layer/cell and backward_layer/cell.
function variableGroups(layer, container, weights) {
  if (!weights.length) return [];
  switch (layer.class_name) {
    case "TimeDistributed": return [{ path: `${container}/layer/vars`, weights }];
    case "LSTM": case "GRU": return [{ path: `${container}/cell/vars`, weights }];
    case "Bidirectional": return ["forward", "backward"].map((direction) =>
      ({ path: `${container}/${direction}_layer/cell/vars`, weights: weights.filter((w) => w.name.startsWith(`${direction}_`)) }));
    default: return [{ path: `${container}/vars`, weights }];
  }
}

const layerList = (model) => (Array.isArray(model.config) ? model.config : model.config.layers);
const layerName = (layer) => layer.name ?? layer.config.name;

function group(file, path) {
  let current = "";
  for (const part of path.split("/")) {
    current = current ? `${current}/${part}` : part;
    if (!file.get(current)) (current.includes("/") ? file.get(current.slice(0, current.lastIndexOf("/"))) : file).create_group(part);
  }
  return file.get(path);
}

function dataset(parent, name, weight) {
  parent.create_dataset({ name, data: weight.values, shape: weight.shape.length ? weight.shape : [], dtype: "<f" });
}

// Writes model.weights.h5 (or, with shards > 1, that many numbered files and their weight map) as keras saving_lib
// does, and returns [{ name, bytes }] for the archive. Sharding puts whole variable groups in turn into each file, and
// splits the largest group's variables across two files, as Keras's shard store can.
function kerasWeights(model, byLayer, dir, shards) {
  const used = new Map();
  const groups = [];
  for (const layer of layerList(model)) {
    const base = snakeCase(layer.class_name);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    const container = `layers/${count === undefined ? base : `${base}_${count + 1}`}`;
    for (const g of variableGroups(layer, container, byLayer.get(layerName(layer)) ?? [])) groups.push({ ...g, name: layerName(layer) });
    if (layer.class_name === "Dropout") groups.push({ path: `${container}/seed_generator/vars`, seed: true });
  }
  const names = shards > 1 ? Array.from({ length: shards }, (_, i) => `model_${String(i).padStart(5, "0")}.weights.h5`) : ["model.weights.h5"];
  const files = names.map((name) => ({ name, file: new h5wasm.File(`${dir}/${name}`, "w") }));
  const weightMap = {};
  const splittable = (g) => g.weights && g.weights.length > 1;
  const largest = groups.reduce((best, g, i) => (splittable(g) && (best < 0 || g.weights.length > groups[best].weights.length) ? i : best), -1);
  groups.forEach((g, i) => {
    const target = files[i % files.length];
    if (g.seed) {
      group(target.file, g.path).create_dataset({ name: "0", data: new Uint32Array([1337, 0]), shape: [2], dtype: "<I" });
      weightMap[`/${g.path}`] = [target.name];
      return;
    }
    g.weights.forEach((w, j) => {
      const split = files.length > 1 && i === largest && j === g.weights.length - 1;
      const into = split ? files[(i + 1) % files.length] : target;
      const vars = group(into.file, g.path);
      if (!vars.attrs.name) vars.create_attribute("name", g.name);
      dataset(vars, String(j), w);
      weightMap[`/${g.path}`] = [...new Set([...(weightMap[`/${g.path}`] ?? []), into.name])];
    });
  });
  const last = files[files.length - 1].file;
  group(last, "optimizer/vars").create_dataset({ name: "0", data: new BigInt64Array([0n]), shape: [1], dtype: "<q" });
  group(files[0].file, "vars");
  for (const { file } of files) file.close();
  const out = files.map(({ name }) => ({ name, path: `${dir}/${name}` }));
  if (shards > 1) out.unshift({ name: "model.weights.json", data: JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 4) });
  return out;
}

// A zip archive: config and metadata deflated, the weights stored, as Python's zipfile would write either.
export function zip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const { name, bytes, deflate } of entries) {
    const data = deflate ? deflateRawSync(bytes) : bytes;
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(bytes);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(deflate ? 8 : 0, 8);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(bytes.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    locals.push(header, nameBytes, data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(deflate ? 8 : 0, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(bytes.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += header.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// model.keras (or with shards > 1 a .keras whose weights are sharded) beside the model's other files in dir. A model
// using hard_sigmoid has no Keras 3 form (Keras 3 redefined it as x/6 + 0.5; TF.js's is 0.2x + 0.5): false, nothing written.
export async function writeKeras(path, dir, topology, weightSpecs, weightData, shards = 1) {
  const { readFileSync, rmSync } = await import("node:fs");
  if (JSON.stringify(topology).includes('"hard_sigmoid"')) return false;
  const model = keras3Topology(topology);
  const weights = kerasWeights(model, weightsByLayer(weightSpecs, weightData), dir, shards);
  const entries = [
    { name: "metadata.json", bytes: Buffer.from(JSON.stringify({ keras_version: "3.6.0", date_saved: "2026-12-04@00:00:00" })), deflate: true },
    { name: "config.json", bytes: Buffer.from(JSON.stringify(model)), deflate: true },
    ...weights.map((w) => ({ name: w.name, bytes: w.data !== undefined ? Buffer.from(w.data) : readFileSync(w.path) })),
  ];
  for (const w of weights) if (w.path) rmSync(w.path);
  writeFileSync(path, zip(entries));
  return true;
}

// The legacy HDF5 model file: model_config (Keras 2 form) at the root, weights under model_weights. With split,
// list attributes are written in chunks (layer_names0, layer_names1, ...) as Keras does past 64 KiB.
export function writeLegacyH5(path, topology, weightSpecs, weightData, split = false) {
  const model = structuredClone(topology.model_config ?? topology);
  delete model.keras_version;
  delete model.backend;
  const byLayer = weightsByLayer(weightSpecs, weightData);
  const file = new h5wasm.File(path, "w");
  file.create_attribute("keras_version", "2.15.0");
  file.create_attribute("backend", "tensorflow");
  file.create_attribute("model_config", JSON.stringify(model));
  const weightsGroup = group(file, "model_weights");
  const fixed = (list) => `A${Math.max(1, ...list.map((s) => Buffer.byteLength(s)))}`;
  const names = layerList(model).map(layerName);
  if (split && names.length > 1) {
    const half = Math.ceil(names.length / 2);
    [names.slice(0, half), names.slice(half)].forEach((chunk, i) => weightsGroup.create_attribute(`layer_names${i}`, chunk, [chunk.length], fixed(chunk)));
  } else weightsGroup.create_attribute("layer_names", names, [names.length], fixed(names));
  weightsGroup.create_attribute("backend", "tensorflow");
  weightsGroup.create_attribute("keras_version", "2.15.0");
  for (const name of names) {
    const layerGroup = group(file, `model_weights/${name}`);
    const weights = byLayer.get(name) ?? [];
    const weightNames = weights.map((w) => `${name}/${w.name}:0`);
    if (weightNames.length) layerGroup.create_attribute("weight_names", weightNames, [weightNames.length], fixed(weightNames));
    else layerGroup.create_attribute("weight_names", new Float32Array(0), [0], "<f");
    weights.forEach((w, i) => {
      const path = `model_weights/${name}/${weightNames[i]}`;
      dataset(group(file, path.slice(0, path.lastIndexOf("/"))), path.slice(path.lastIndexOf("/") + 1), w);
    });
  }
  file.close();
}
