// Starts the fauxqs SNS/SQS/S3 emulator on a loopback address.
// Usage: node emulator.mjs [--port N] [--host 127.0.0.1] [--data-dir DIR] [--region us-east-1]
// Prints one line "FAUXQS_READY <url>" on stdout once /health answers, then runs until SIGTERM/SIGINT.
import net from "node:net";
import { parseArgs } from "node:util";
import { startFauxqs } from "fauxqs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4566" },
    host: { type: "string", default: "127.0.0.1" },
    "data-dir": { type: "string" },
    region: { type: "string", default: "us-east-1" },
  },
});

const bindHost = values.host;
if (!/^127\.\d+\.\d+\.\d+$|^::1$|^localhost$/.test(bindHost)) {
  console.error(`refusing to bind ${bindHost}: the emulator is for loopback only`);
  process.exit(2);
}

// fauxqs's startFauxqs always listens on 0.0.0.0; the emulator must never be reachable off this
// machine, so the listen call is narrowed to the loopback host we were given.
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first && typeof first === "object" && (first.host === "0.0.0.0" || first.host === "::")) {
    args[0] = { ...first, host: bindHost };
  }
  return originalListen.apply(this, args);
};

const server = await startFauxqs({
  port: Number.parseInt(values.port, 10),
  logger: false,
  defaultRegion: values.region,
  dataDir: values["data-dir"],
});

const url = `http://${bindHost === "localhost" ? "127.0.0.1" : bindHost}:${server.port}`;
const health = await fetch(`${url}/health`);
if (!health.ok) {
  console.error(`emulator health check failed: HTTP ${health.status}`);
  await server.stop();
  process.exit(1);
}
console.log(`FAUXQS_READY ${url}`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// When the parent that started us dies (stdin closes), stop too: no orphaned emulators.
if (process.env.FAUXQS_EXIT_ON_STDIN_CLOSE === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.resume();
}
