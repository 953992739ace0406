// The training job's own trace: W3C trace context for what it publishes, and its spans sent to an OpenTelemetry
// collector as OTLP/HTTP JSON when OTEL_EXPORTER_OTLP_ENDPOINT is set (the same variable the hosts read). A job started
// inside a trace (TRACEPARENT, TRACESTATE in its environment, as CI systems pass them) continues it.
import { randomBytes } from "node:crypto";

const hex = (bytes) => randomBytes(bytes).toString("hex");
const parsed = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(process.env.TRACEPARENT ?? "");
const traceId = parsed && !/^0+$/.test(parsed[1]) ? parsed[1] : hex(16);
const traceState = process.env.TRACESTATE || undefined;
const spans = [];
const nanos = () => (BigInt(Date.now()) * 1_000_000n).toString();

export { traceId };

/** Starts a span (kind: 1 internal, 3 client, 4 producer); end() records it. */
export function startSpan(name, { parent, kind = 1, attributes = {} } = {}) {
  const span = {
    traceId,
    spanId: hex(8),
    parentSpanId: parent?.spanId ?? (parsed ? parsed[2] : undefined),
    name,
    kind,
    startTimeUnixNano: nanos(),
    attributes,
    traceparent() { return `00-${traceId}-${this.spanId}-01`; },
    end(status) {
      this.endTimeUnixNano = nanos();
      if (status) this.status = status;
      spans.push(this);
    },
  };
  return span;
}

/** Sends the ended spans to the collector, if one is configured; a collector that is down never fails the job. */
export async function flush(serviceName) {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || spans.length === 0) return;
  const attribute = (key, value) => ({ key, value: typeof value === "number" ? { intValue: String(value) } : { stringValue: String(value) } });
  const body = {
    resourceSpans: [{
      resource: { attributes: [attribute("service.name", process.env.OTEL_SERVICE_NAME ?? serviceName)] },
      scopeSpans: [{
        scope: { name: "bus.training-job" },
        spans: spans.splice(0).map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          ...(traceState ? { traceState } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startTimeUnixNano,
          endTimeUnixNano: s.endTimeUnixNano,
          attributes: Object.entries(s.attributes).map(([k, v]) => attribute(k, v)),
          ...(s.status ? { status: s.status } : {}),
        })),
      }],
    }],
  };
  try {
    const response = await fetch(`${endpoint.replace(/\/$/, "")}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) console.error(`otel: the collector answered ${response.status}`);
  } catch (e) {
    console.error(`otel: could not export spans: ${e.message}`);
  }
}

export function traceStateHeader() { return traceState; }
