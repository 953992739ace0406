// Writes evaluation sets in the formats TensorFlow users keep them, for the tests, the demo and the benchmark:
// TFRecord files of tf.train.Example (TensorFlow's framing: length, masked CRC-32C of the length, data, masked
// CRC-32C of the data), NumPy .npz (a zip of .npy arrays), CSV with a header, and Bus's JSON.
import { writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { zip } from "./keras-files.mjs";

const CASTAGNOLI = 0x82f63b78;
const table = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI : c >>> 1;
  return c >>> 0;
});

export function crc32c(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const masked = (bytes) => {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

// protobuf: varints, length-delimited fields, packed floats and int64s
function varint(value) {
  const out = [];
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}
const field = (number, bytes) => Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
const floatList = (values) => field(1, Buffer.from(new Float32Array(values).buffer));
const int64List = (values) => field(1, Buffer.concat(values.map(varint)));

// One tf.train.Example: Example{features=1: Features{feature=1: map<string, Feature>}}, Feature{float_list=2 | int64_list=3}.
export function example(features) {
  const entries = Object.entries(features).map(([name, { floats, ints }]) => {
    const feature = floats ? field(2, floatList(floats)) : field(3, int64List(ints));
    return field(1, Buffer.concat([field(1, Buffer.from(name, "utf8")), field(2, feature)]));
  });
  return field(1, Buffer.concat(entries));
}

export function tfRecord(data) {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  const lengthCrc = Buffer.alloc(4);
  lengthCrc.writeUInt32LE(masked(length));
  const dataCrc = Buffer.alloc(4);
  dataCrc.writeUInt32LE(masked(data));
  return Buffer.concat([length, lengthCrc, data, dataCrc]);
}

// samples: [{ x: number[], y: number }]; labels as int64_list (classes) or float_list (regression).
export function writeTfRecords(path, samples, { input = "x", label = "y", intLabels = false, extra = true } = {}) {
  const fd = openSync(path, "w");
  for (const [i, s] of samples.entries()) {
    const features = { [input]: { floats: s.x }, [label]: intLabels ? { ints: [s.y] } : { floats: [s.y] } };
    if (extra) features.id = { ints: [i] }; // a feature nobody asked for, skipped by the reader
    writeSync(fd, tfRecord(example(features)));
  }
  closeSync(fd);
}

// A .npy array (format 1.0, C order, little-endian float32 or int64).
export function npy(values, shape, dtype = "<f4") {
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const start = Buffer.alloc(10);
  start.writeUInt8(0x93, 0);
  start.write("NUMPY", 1, "latin1");
  start.writeUInt8(1, 6);
  start.writeUInt8(0, 7);
  start.writeUInt16LE(header.length, 8);
  const body = dtype === "<i8" ? Buffer.from(new BigInt64Array(values.map((v) => BigInt(v))).buffer) : Buffer.from(new Float32Array(values).buffer);
  return Buffer.concat([start, Buffer.from(header, "latin1"), body]);
}

// np.savez(path, x=..., y=...): deflated with compressed = true (np.savez_compressed), stored otherwise.
export function writeNpz(path, samples, shape, { intLabels = false, compressed = false } = {}) {
  const x = npy(samples.flatMap((s) => s.x), [samples.length, ...shape]);
  const y = npy(samples.map((s) => s.y), [samples.length], intLabels ? "<i8" : "<f4");
  writeFileSync(path, zip([{ name: "x.npy", bytes: x, deflate: compressed }, { name: "y.npy", bytes: y, deflate: compressed }]));
}

export function writeCsv(path, samples, { label = "y" } = {}) {
  const width = samples[0].x.length;
  const header = [...Array.from({ length: width }, (_, i) => `f${i}`), label].join(",");
  writeFileSync(path, [header, ...samples.map((s) => [...s.x.map((v) => Math.fround(v)), s.y].join(","))].join("\n") + "\n");
}

export function writeJson(path, samples, shape, classes) {
  const set = { inputShape: shape, ...(classes ? { classes } : {}), features: samples.map((s) => s.x), labels: samples.map((s) => s.y) };
  writeFileSync(path, JSON.stringify(set));
}
