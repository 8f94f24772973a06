// Where a bagroom request's CPU goes: one worker under Miniflare with workerd's inspector on, a
// V8 CPU profile (CDP Profiler) taken while wrk drives load, and the self time summed per function.
// Run by `bench/profile.sh` (which builds a worker with wasm function names kept); by hand:
//   node bench/profile.mjs WORKER_DIR URL_PATH [seconds] [KEY=VALUE ...]
// Prints the top functions by self time (wasm functions by name, JS glue by name and line), and
// writes the raw profile to bench/out/profile-*.cpuprofile (open it in Chrome DevTools).
import { Miniflare } from "miniflare";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = process.env.BENCH_OUT || path.join(ROOT, "bench/out");
const [dir, urlPath, secs = "5", ...kv] = process.argv.slice(2);
const TOP = Number(process.env.PROFILE_TOP || 45);
const PORT = Number(process.env.PROFILE_PORT || 28890);
const INSPECT = PORT + 1;
const vars = Object.fromEntries(kv.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));

function worker() {
  if (dir.endsWith(".js") || dir.endsWith(".mjs")) {
    return { mainModule: "worker.js", modules: { "worker.js": { type: "esm", contents: fs.readFileSync(dir, "utf8") } } };
  }
  const modules = { "index.js": { type: "esm", contents: fs.readFileSync(path.join(dir, "index.js"), "utf8") } };
  for (const w of fs.readdirSync(dir).filter((f) => f.endsWith(".wasm"))) {
    modules[w] = { type: "wasm", contents: new Uint8Array(fs.readFileSync(path.join(dir, w))) };
  }
  return { mainModule: "index.js", modules };
}

const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "text", value: v }]));
const mf = new Miniflare({
  host: "127.0.0.1", port: PORT, inspectorPort: INSPECT, handleStructuredLogs: () => {},
  workers: [{ config: { name: "prof", compatibilityDate: "2026-11-01", manifest: worker(), env } }],
});
const base = (await mf.ready).href.replace(/\/$/, "");
const url = base + urlPath;
const first = await fetch(url);
console.error(`[profile] ${url} -> ${first.status} (${(await first.arrayBuffer()).byteLength} bytes)`);

const targets = await (await fetch(`http://127.0.0.1:${INSPECT}/json`)).json();
const target = targets.find((t) => t.title?.includes("prof") || t.id?.includes("prof")) || targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
let seq = 0;
const pending = new Map();
ws.onmessage = (m) => {
  const d = JSON.parse(m.data);
  if (d.id && pending.has(d.id)) { pending.get(d.id)(d); pending.delete(d.id); }
};
const call = (method, params = {}) => new Promise((r) => { const id = ++seq; pending.set(id, r); ws.send(JSON.stringify({ id, method, params })); });

const wrk = (s) => new Promise((res, rej) => {
  // WRK_METHOD / WRK_BODY_FILE / WRK_HEADERS (bench/wrk.lua): another request than a plain GET
  const script = process.env.WRK_METHOD || process.env.WRK_BODY_FILE || process.env.WRK_HEADERS ? ["-s", path.join(ROOT, "bench/wrk.lua")] : [];
  const c = spawn("wrk", ["-t1", "-c4", `-d${s}s`, ...script, url], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  c.stdout.on("data", (d) => { out += d; });
  c.on("close", () => res(out));
  c.on("error", rej);
});
await wrk(1); // warm-up
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 50 });
await call("Profiler.start");
const summary = await wrk(secs);
const { result } = await call("Profiler.stop");
const prof = result.profile;
fs.mkdirSync(OUT, { recursive: true });
const file = path.join(OUT, `profile-${path.basename(urlPath.split("?")[0]) || "root"}.cpuprofile`);
fs.writeFileSync(file, JSON.stringify(prof));

// self time per function
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const dt = prof.timeDeltas[i] || 0;
  total += dt;
  const cf = n.callFrame;
  const name = `${cf.functionName || "(anonymous)"}${cf.url && !cf.url.includes("wasm") ? ` ${path.basename(cf.url)}:${cf.lineNumber}` : ""}`;
  self.set(name, (self.get(name) || 0) + dt);
}
const reqs = Number(/(\d+) requests in/.exec(summary)?.[1] || 0);
console.log(`${reqs} requests; profile ${(total / 1000).toFixed(0)} ms sampled; ${reqs ? (total / 1000 / reqs).toFixed(3) : "?"} ms/request on the JS thread`);
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
for (const [name, t] of rows) {
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000 / (reqs || 1) * 1000).toFixed(1).padStart(6)} µs/req  ${name.slice(0, 140)}`);
}
console.log(`raw profile: ${file}`);
ws.close();
await mf.dispose();
