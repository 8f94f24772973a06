// A/B: several builds of bagroom (and the JS peer) under the same load, in rounds, so that a change
// is judged by CPU per request measured side by side (the machine's load moves every run).
//   node bench/ab.mjs PATH_SUFFIX ROUNDS SECONDS NAME=WORKER_DIR|peer[:VAR=value,...] ...
// e.g. node bench/ab.mjs '/bench/obj-1k?token=...' 3 5 base=.bagroom/ab-base new=.bagroom/ab-new peer=peer
// Store, bucket and objects as `PROFILE_KEEP_STORE=1 bench/profile.sh ...` leaves them (port
// PROFILE_STORE_PORT, 28433; the bench credentials STORE_ACCESS_KEY_ID/STORE_SECRET_ACCESS_KEY of
// bench/run.sh in the environment); worker dirs from `wrangler deploy --dry-run --outdir DIR`.
import { Miniflare } from "miniflare";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const [suffix, rounds, secs, ...targets] = process.argv.slice(2);
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const port = Number(process.env.PROFILE_STORE_PORT || 28433);
const vars = {
  STORE_ENDPOINT: `http://127.0.0.1:${port}`, STORE_BUCKET: "bench", STORE_REGION: "us-east-1",
  STORE_ACCESS_KEY_ID: process.env.STORE_ACCESS_KEY_ID, STORE_SECRET_ACCESS_KEY: process.env.STORE_SECRET_ACCESS_KEY,
  BAGROOM_BUCKET: "bench", BAGROOM_REGION: "us-east-1", BAGROOM_TOKEN_KEYS: "b1:bench-token-key-0123456789abcdef",
  BAGROOM_CACHE: process.env.AB_CACHE || "false", PEER_CACHE: process.env.AB_CACHE || "false", BAGROOM_CACHE_MODE: "ttl", BAGROOM_CACHE_TTL: "3600",
  BAGROOM_PUBLIC_PREFIXES: "pub/", ...Object.fromEntries((process.env.AB_VARS || "").split(" ").filter(Boolean).map((kv) => kv.split("="))),
};
const pidsOf = () => new Set(fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((d) => {
  try { const s = fs.readFileSync(`/proc/${d}/stat`, "utf8"); return s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")) === "workerd"; } catch { return false; }
}).map(Number));
const ticks = (pids) => pids.reduce((t, p) => { try { const f = fs.readFileSync(`/proc/${p}/stat`, "utf8"); const x = f.slice(f.lastIndexOf(")") + 2).split(" "); return t + Number(x[11]) + Number(x[12]); } catch { return t; } }, 0);
function manifest(dir) {
  if (dir.endsWith(".js") || dir.endsWith(".mjs")) return { mainModule: "w.js", modules: { "w.js": { type: "esm", contents: fs.readFileSync(dir, "utf8") } } };
  if (dir === "peer") return { mainModule: "w.js", modules: { "w.js": { type: "esm", contents: fs.readFileSync(path.join(ROOT, "bench/out/peer/worker.js"), "utf8") } } };
  const modules = { "index.js": { type: "esm", contents: fs.readFileSync(path.join(dir, "index.js"), "utf8") } };
  for (const w of fs.readdirSync(dir).filter((f) => f.endsWith(".wasm"))) modules[w] = { type: "wasm", contents: new Uint8Array(fs.readFileSync(path.join(dir, w))) };
  return { mainModule: "index.js", modules };
}
const T = [];
let p = 28900;
for (const t of targets) {
  // NAME=DIR or NAME=DIR:VAR=value,VAR=value (vars for this target only)
  const name = t.slice(0, t.indexOf("="));
  const [dir, extra = ""] = t.slice(t.indexOf("=") + 1).split(":");
  const own = Object.fromEntries(extra.split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const before = pidsOf();
  const env = Object.fromEntries(Object.entries({ ...vars, ...own }).map(([k, v]) => [k, { type: "text", value: v }]));
  const mf = new Miniflare({ host: "127.0.0.1", port: p++, handleStructuredLogs: () => {},
    workers: [{ config: { name: name.replace(/[^a-z]/g, "") || "w", compatibilityDate: "2026-11-01", manifest: manifest(dir), env } }] });
  const url = (await mf.ready).href.replace(/\/$/, "");
  const pids = [...pidsOf()].filter((x) => !before.has(x));
  const r = await fetch(url + suffix, process.env.AB_BODY_FILE ? { method: process.env.AB_METHOD, body: fs.readFileSync(process.env.AB_BODY_FILE) } : {}); const b = await r.arrayBuffer();
  console.error(`${name}: ${r.status} ${b.byteLength} bytes`);
  T.push({ name, url, pids, mf, cpu: [], rps: [] });
}
// AB_METHOD / AB_BODY_FILE / AB_HEADERS: another request than a plain GET (bench/wrk.lua's variables)
const wrkEnv = { ...process.env, WRK_METHOD: process.env.AB_METHOD || "GET", WRK_BODY_FILE: process.env.AB_BODY_FILE || "", WRK_HEADERS: process.env.AB_HEADERS || "" };
const wrk = (url, s) => new Promise((res) => {
  const c = spawn("wrk", ["-t1", "-c4", `-d${s}s`, "-s", path.join(ROOT, "bench/wrk.lua"), url], { stdio: ["ignore", "pipe", "ignore"], env: wrkEnv });
  let out = ""; c.stdout.on("data", (d) => { out += d; }); c.on("close", () => res(out));
});
for (let r = 0; r < Number(rounds); r++) {
  for (const t of (r % 2 ? [...T].reverse() : T)) {
    await wrk(t.url + suffix, 1);
    const c0 = ticks(t.pids);
    const out = await wrk(t.url + suffix, secs);
    const c1 = ticks(t.pids);
    const n = Number(/(\d+) requests in/.exec(out)?.[1] || 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || 0);
    t.cpu.push(((c1 - c0) / TICK) * 1000 / n); t.rps.push(n / Number(secs));
    console.error(`round ${r} ${t.name}: ${(n / secs).toFixed(0)} req/s ${t.cpu.at(-1).toFixed(3)} ms/req${non2xx ? ` (${non2xx} non-2xx)` : ""}`);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = T[0];
// the median, and the least CPU per request seen (other load on the machine only ever adds to it)
const min = (a) => Math.min(...a);
for (const t of T) console.log(`${t.name.padEnd(10)} ${med(t.rps).toFixed(0).padStart(6)} req/s  ${med(t.cpu).toFixed(3)} ms/req CPU (min ${min(t.cpu).toFixed(3)})  (${(med(t.rps) / med(base.rps)).toFixed(2)}x req/s, ${(med(t.cpu) / med(base.cpu)).toFixed(2)}x CPU, min ${(min(t.cpu) / min(base.cpu)).toFixed(2)}x vs ${base.name})`);
for (const t of T) await t.mf.dispose();
