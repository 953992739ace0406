// The Bus dashboard: renders /dashboard/api/snapshot and re-renders on each server-sent snapshot. No framework and no
// build step; charts are SVG drawn here. Everything producers wrote (names, reasons, actors) goes in as text, never HTML.
"use strict";

window.busDashboard = { loadedAt: Date.now(), snapshots: 0 };
const svgNs = "http://www.w3.org/2000/svg";
const open = new Set(); // versions whose timeline is unfolded, kept across re-renders

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const number = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(4)) : "–");
const time = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) : "");

// Whether a metric meets its threshold (Min, Max; MaxDecrease/MaxIncrease need the champion and are the gate's to judge).
function verdict(value, threshold) {
  if (typeof value !== "number" || !threshold) return "";
  if (threshold.min != null && value < threshold.min) return "fail";
  if (threshold.max != null && value > threshold.max) return "fail";
  return "pass";
}

function thresholdText(t) {
  const parts = [];
  if (t.min != null) parts.push(`≥ ${t.min}`);
  if (t.max != null) parts.push(`≤ ${t.max}`);
  if (t.maxDecrease != null) parts.push(`drop ≤ ${t.maxDecrease} vs champion`);
  if (t.maxIncrease != null) parts.push(`rise ≤ ${t.maxIncrease} vs champion`);
  return parts.join(", ");
}

// Metric history: one point per evaluated version, oldest first, with the threshold's Min as a dashed line.
function historyChart(model, metric) {
  const points = [...model.versions].reverse().filter((v) => typeof v.metrics?.[metric] === "number");
  const w = 360, h = 140, pad = 28;
  const chart = svg("svg", { class: "chart", width: w, height: h, role: "img", "aria-label": `${metric} by version` });
  chart.append(svg("text", { x: pad, y: 12 }, `${metric} by version`));
  if (points.length === 0) {
    chart.append(svg("text", { x: pad, y: h / 2 }, "no evaluated version yet"));
    return chart;
  }
  const threshold = model.thresholds?.[metric]?.min;
  const values = points.map((p) => p.metrics[metric]).concat(threshold != null ? [threshold] : []);
  const lo = Math.min(...values), hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (i) => pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (points.length - 1));
  const y = (v) => h - pad - ((v - lo) / span) * (h - 2 * pad - 10);
  if (threshold != null) {
    chart.append(svg("line", { x1: pad, x2: w - pad, y1: y(threshold), y2: y(threshold), stroke: "#b91c1c", "stroke-dasharray": "4 3" }));
    chart.append(svg("text", { x: w - pad - 60, y: y(threshold) - 3 }, `min ${threshold}`));
  }
  chart.append(svg("polyline", {
    points: points.map((p, i) => `${x(i)},${y(p.metrics[metric])}`).join(" "), fill: "none", stroke: "#1d4ed8", "stroke-width": 2,
  }));
  points.forEach((p, i) => {
    const fill = p.state === "Deployed" ? "#15803d" : p.state === "Rejected" ? "#b91c1c" : "#1d4ed8";
    const dot = svg("circle", { cx: x(i), cy: y(p.metrics[metric]), r: 4, fill });
    dot.append(svg("title", {}, `${p.version}: ${number(p.metrics[metric])} (${p.state})`));
    chart.append(dot);
    chart.append(svg("text", { x: x(i) - 4, y: h - 8 }, p.version));
  });
  return chart;
}

// Time spent in each state by one version, from its timeline (the last state counts until now, unless it is an end).
const ends = new Set(["Rejected", "Failed", "Superseded", "RolledBack"]);
function stageChart(version) {
  const steps = version.timeline.filter((t, i, all) => i === 0 || t.state !== all[i - 1].state);
  const durations = steps.map((t, i) => ({
    state: t.state,
    seconds: Math.max(0, ((i + 1 < steps.length ? new Date(steps[i + 1].at) : new Date()) - new Date(t.at)) / 1000),
  })).filter((d, i, all) => !(i === all.length - 1 && ends.has(d.state)));
  const w = 360, row = 18, h = 20 + row * durations.length;
  const chart = svg("svg", { class: "chart", width: w, height: h, role: "img", "aria-label": `time in each state of ${version.version}` });
  const longest = Math.max(1, ...durations.map((d) => d.seconds));
  durations.forEach((d, i) => {
    const y = 10 + i * row;
    chart.append(svg("text", { x: 4, y: y + 12 }, d.state));
    chart.append(svg("rect", { x: 120, y: y + 3, height: row - 6, width: Math.max(1, (d.seconds / longest) * (w - 190)), fill: "#60a5fa" }));
    chart.append(svg("text", { x: w - 64, y: y + 12 }, `${d.seconds.toFixed(1)} s`));
  });
  return chart;
}

// The confusion matrix of one evaluation: true class by row, predicted by column, darker for more samples.
function confusionChart(version) {
  const m = version.confusionMatrix;
  if (!Array.isArray(m) || m.length === 0) return document.createTextNode("");
  const cell = Math.max(8, Math.min(24, Math.floor(240 / m.length))), pad = 34, size = pad + cell * m.length + 8;
  const chart = svg("svg", { class: "chart", width: size, height: size, role: "img", "aria-label": `confusion matrix of ${version.version}` });
  chart.append(svg("text", { x: 4, y: 12 }, "true ↓ / predicted →"));
  const most = Math.max(1, ...m.flat());
  m.forEach((row, r) => row.forEach((count, c) => {
    const shade = Math.round(255 - (count / most) * 200);
    const rect = svg("rect", {
      x: pad + c * cell, y: pad + r * cell, width: cell - 1, height: cell - 1,
      fill: r === c ? `rgb(${shade},${255},${shade})` : `rgb(255,${shade},${shade})`,
    });
    rect.append(svg("title", {}, `true ${r}, predicted ${c}: ${count}`));
    chart.append(rect);
  }));
  m.forEach((_, i) => {
    chart.append(svg("text", { x: pad - 12, y: pad + i * cell + cell * 0.7 }, String(i)));
    chart.append(svg("text", { x: pad + i * cell + cell * 0.3, y: pad - 4 }, String(i)));
  });
  return chart;
}

function timeline(version, traceUrl) {
  const rows = version.timeline.map((t) => {
    const trace = t.traceId
      ? (traceUrl
        ? el("a", { href: traceUrl.replace("{traceId}", t.traceId), target: "_blank", rel: "noopener" }, t.traceId.slice(0, 12))
        : t.traceId.slice(0, 12))
      : "";
    return el("tr", {}, el("td", {}, time(t.at)), el("td", {}, `${t.fromState ?? "–"} → ${t.state}`), el("td", {}, t.event),
      el("td", {}, `${t.actor ?? ""}${t.actorKind ? ` (${t.actorKind})` : ""}`), el("td", { class: "reason" }, t.reasons ?? t.detail ?? ""),
      el("td", {}, trace));
  });
  return el("table", { class: "timeline" },
    el("thead", {}, el("tr", {}, ...["at (UTC)", "transition", "event", "by", "why", "trace"].map((c) => el("th", {}, c)))),
    el("tbody", {}, ...rows));
}

function renderModel(model, traceUrl) {
  const metrics = Object.keys(model.thresholds ?? {});
  // Without a gate: the metrics the versions reported (a regression model's rmse, r2…), per-class recalls left out.
  const reported = [...new Set(model.versions.flatMap((v) => Object.keys(v.metrics ?? {})))].filter((m) => !m.startsWith("recall_"));
  const shown = metrics.length > 0 ? metrics : reported.length > 0 ? reported.slice(0, 4) : ["accuracy"];
  const championMetrics = model.versions.find((v) => v.version === model.champion)?.metrics ?? {};
  const card = el("article", { class: "model", "data-model": model.name });
  card.append(el("h2", {}, model.name));
  card.append(el("div", { class: "meta" },
    `champion: ${model.champion ?? "none"} · gate: ${metrics.map((m) => `${m} ${thresholdText(model.thresholds[m])}`).join("; ") || "none"}` +
    (model.requireApproval ? " · a human approves each version" : "")));
  card.append(el("div", { class: "charts" }, ...shown.slice(0, 2).map((m) => historyChart(model, m))));
  // The rollouts in progress, then the last one that ended.
  const rollouts = model.versions.filter((v) => v.rollout);
  const current = rollouts.filter((v) => v.state === "Canary" || v.state === "Shadow");
  for (const v of current.length ? current : rollouts.slice(0, 1)) card.append(rolloutPanel(v));

  const head = el("tr", {}, el("th", {}, "version"), el("th", {}, "state"), ...shown.map((m) => el("th", {}, m)),
    el("th", {}, "compared with"), el("th", {}, "why"), el("th", {}, "updated (UTC)"));
  const body = el("tbody");
  for (const v of model.versions) {
    const key = `${model.name}/${v.version}`;
    const row = el("tr", { class: "version", "data-model": model.name, "data-version": v.version, "data-state": v.state },
      el("td", {}, v.version), el("td", {}, el("span", { class: "state", "data-state": v.state }, v.state)),
      ...shown.map((m) => {
        const champion = v.championAtEvaluation && v.championAtEvaluation !== v.version ? championMetrics[m] : undefined;
        return el("td", { class: `metric ${verdict(v.metrics?.[m], model.thresholds?.[m])}` },
          number(v.metrics?.[m]) + (typeof champion === "number" ? ` (champion ${number(champion)})` : ""));
      }),
      el("td", {}, v.championAtEvaluation ?? "–"),
      el("td", { class: "reason" }, v.state === "Rejected" || v.state === "Failed" ? (v.reason ?? lastReasons(v)) : (v.reason ?? "")),
      el("td", {}, time(v.updatedAt)));
    const details = el("details", { "data-version": v.version }, el("summary", {}, "timeline, time in each state"));
    if (open.has(key)) details.setAttribute("open", "");
    details.addEventListener("toggle", () => (details.open ? open.add(key) : open.delete(key)));
    details.append(el("div", { class: "charts" }, stageChart(v), confusionChart(v)), timeline(v, traceUrl));
    body.append(row, el("tr", { class: "detail" }, el("td", { colspan: shown.length + 5 }, details)));
  }
  card.append(el("table", { class: "versions" }, el("thead", {}, head), body));
  return card;
}

// A rollout on live traffic: the split and step, and one chart per guardrail of its value at each judgment against its bound
// (dashed), each point green where it held and red where it failed.
function rolloutPanel(version) {
  const r = version.rollout;
  const live = version.state === "Canary" || version.state === "Shadow";
  const split = r.mode === "Shadow"
    ? `shadow: a copy of ${r.trafficPercent}% of requests goes to ${version.version}; the champion answers every caller`
    : `${r.mode.toLowerCase()} step ${r.step} of ${r.steps.length}: ${version.version} takes ${r.trafficPercent}% of the callers, the champion the rest`;
  const panel = el("section", { class: "rollout", "data-version": version.version, "data-percent": r.trafficPercent, "data-live": live },
    el("h3", {}, `rollout of ${version.version}${live ? "" : ` (${version.state})`}`),
    el("div", { class: "meta" }, `${split}${r.paused ? " (paused)" : ""} · plan ${r.steps.map((p) => `${p}%`).join(" → ")} → 100%`),
    el("div", { class: "meta" }, r.lastJudgment ?? "no judgment yet"));
  const names = [...new Set(r.judgments.flatMap((j) => j.guardrails.map((g) => g.name)))];
  panel.append(el("div", { class: "charts" }, ...names.map((name) => guardrailChart(r.judgments, name))));
  return panel;
}

function guardrailChart(judgments, name) {
  const points = judgments.map((j, i) => ({ i, j, g: j.guardrails.find((g) => g.name === name) })).filter((p) => p.g);
  const w = 300, h = 120, pad = 26;
  const chart = svg("svg", { class: "chart guardrail", width: w, height: h, role: "img", "aria-label": `guardrail ${name}`, "data-guardrail": name });
  chart.append(svg("text", { x: 4, y: 12 }, name));
  const values = points.map((p) => p.g.value).concat([points[0].g.threshold]);
  const lo = Math.min(0, ...values), hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (i) => pad + (judgments.length <= 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (judgments.length - 1));
  const y = (v) => h - pad - ((v - lo) / span) * (h - 2 * pad - 10);
  const bound = points[points.length - 1].g.threshold;
  chart.append(svg("line", { class: "threshold", x1: pad, x2: w - pad, y1: y(bound), y2: y(bound), stroke: "#b91c1c", "stroke-dasharray": "4 3" }));
  chart.append(svg("polyline", { points: points.map((p) => `${x(p.i)},${y(p.g.value)}`).join(" "), fill: "none", stroke: "#1d4ed8", "stroke-width": 1.5 }));
  for (const p of points) {
    const dot = svg("circle", { cx: x(p.i), cy: y(p.g.value), r: 3.5, fill: p.g.passed ? "#15803d" : "#b91c1c", "data-passed": p.g.passed });
    dot.append(svg("title", {}, `${time(p.j.at)} step ${p.j.step} (${p.j.trafficPercent}%): ${number(p.g.value)} against ${number(p.g.threshold)}`));
    chart.append(dot);
  }
  return chart;
}

const lastReasons = (v) => [...v.timeline].reverse().find((t) => t.reasons)?.reasons ?? "";

function render(snapshot) {
  window.busDashboard.snapshots++;
  window.busDashboard.last = snapshot;
  document.getElementById("generated").textContent = `as of ${time(snapshot.generatedAt)} UTC`;
  const models = document.getElementById("models");
  models.replaceChildren(...(snapshot.models.length ? snapshot.models.map((m) => renderModel(m, snapshot.traceUrl)) : [el("p", {}, "No model version yet.")]));
  const count = (v) => el("td", { class: v > 0 ? "metric fail" : "" }, v ?? "–");
  document.querySelector("#pipeline-queues tbody").replaceChildren(...(snapshot.pipelineQueues ?? []).map((q) =>
    el("tr", { "data-queue": q.name }, el("td", {}, q.name), el("td", {}, q.depth ?? "–"), count(q.error), count(q.skipped), count(q.dlq))));
  document.querySelector("#queues tbody").replaceChildren(...snapshot.queues.map((q) =>
    el("tr", { "data-queue": q.name }, el("td", {}, q.name), el("td", {}, q.depth), el("td", {}, q.inFlight), el("td", {}, q.delayed),
      el("td", {}, number(q.oldestAge)))));
}

function connect() {
  const live = document.getElementById("live");
  const events = new EventSource("/dashboard/api/events");
  events.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
  events.onopen = () => { live.dataset.live = "live"; live.textContent = "live"; };
  events.onerror = () => { live.dataset.live = "lost"; live.textContent = "reconnecting…"; };
}

fetch("/dashboard/api/snapshot").then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)))).then(render)
  .catch((e) => { document.getElementById("models").textContent = `could not load: ${e.message}`; });
connect();
