// The benchmark driver (run by bench/run.sh, which starts the store and builds both workers).
// bagroom and the JavaScript peer (bench/peer-js) each run under workerd through Miniflare
// directly (no wrangler dev proxy, no Node outbound proxy); the store is SeaweedFS. Load comes
// from wrk (bench/wrk.lua) for all three targets alike: bagroom, the peer, and the store directly
// through presigned URLs. CPU per request is the workerd process's utime+stime over the measured
// run divided by the requests; RSS is sampled from /proc. Only same-run ratios mean anything.
import { Miniflare } from "miniflare";
import { startDelayProxy } from "./delay-proxy.mjs";
import { AwsClient } from "aws4fetch";
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import zlib from "node:zlib";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = process.env.BENCH_OUT || path.join(ROOT, "bench/out");
const WORKER_DIR = process.env.BENCH_WORKER_DIR || path.join(ROOT, ".bagroom/bench-worker");
// the same gateway built for wrangler.toml's [env.r2] (the R2 binding instead of an S3 endpoint)
const WORKER_DIR_R2 = process.env.BENCH_WORKER_DIR_R2 || path.join(ROOT, ".bagroom/bench-worker-r2");
const R2_PERSIST = process.env.BENCH_R2_PERSIST || path.join(ROOT, ".bagroom/bench-r2");
const R2_BUCKET = "bagroom-bench";
const RUN_R2 = process.env.BENCH_SKIP_R2 !== "1" && fs.existsSync(path.join(WORKER_DIR_R2, "index.js"));
const PEER_BUNDLE = process.env.BENCH_PEER_BUNDLE || path.join(OUT, "peer/worker.js");
// the second peer: multistore's Workers gateway (bench/peer-multistore, built by its build.sh)
const MS_DIR = process.env.BENCH_MULTISTORE_DIR || path.join(ROOT, ".bagroom/bench-multistore");
const RUN_MS_BUILT = process.env.BENCH_SKIP_MULTISTORE !== "1" && fs.existsSync(path.join(MS_DIR, "index.js"));
const STORE_PORT = Number(process.env.BENCH_STORE_PORT || 28333);
const STORE_URL = `http://127.0.0.1:${STORE_PORT}`;
const STORE_KEY = process.env.STORE_ACCESS_KEY_ID;
const STORE_SECRET = process.env.STORE_SECRET_ACCESS_KEY;
const BUCKET = "bench";
const TOKEN_KEYS = "b1:bench-token-key-0123456789abcdef";
const TOKEN_BIN = path.join(ROOT, "target/debug/bagroom-token");
const DURATION = Number(process.env.BENCH_DURATION || 10);
const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const CONNS = Number(process.env.BENCH_CONNS || 4);
const BIG = Number(process.env.BENCH_BIG_BYTES || 1024 ** 3);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const PORT_BASE = Number(process.env.BENCH_PORT_BASE || 28791);
const PORTS = Object.fromEntries(["bagroom", "bagroom-nocache", "peer", "peer-nocache", "bagroom-manykeys",
  "far-ttl", "far-revalidate", "far-miss", "delay-proxy", "bagroom-nolog", "bagroom-r2", "bagroom-r2-nocache", "r2-bare",
  "bagroom-vs-ms", "multistore"].map((n, i) => [n, PORT_BASE + i]));
// The distance scenarios (a store DISTANCE_MS away each way): `BENCH_ONLY=distance` runs only them.
const DISTANCE_MS = Number(process.env.BENCH_DISTANCE_MS || 40);
const RUN_MAIN = process.env.BENCH_ONLY !== "distance";
const RUN_DISTANCE = !ONLY || ONLY.test("distance");
const RUN_MS = RUN_MAIN && RUN_MS_BUILT && (!ONLY || ONLY.test("multistore"));
// The access keys of the multistore comparison: each gateway its own (client side of SigV4).
const MS_BAGROOM_KEY = { id: "BENCHBAGROOMKEY00001", secret: "bench/bagroom/secret/0123456789abcdefghij" };
const MS_PEER_KEY = { id: "BENCHMULTISTORE00001", secret: "bench/multistore/secret/0123456789abcdefgh" };
fs.mkdirSync(OUT, { recursive: true });

const log = (...a) => console.error("[bench]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const store = new AwsClient({ accessKeyId: STORE_KEY, secretAccessKey: STORE_SECRET, service: "s3", region: "us-east-1" });

// ---------- /proc ----------
function workerdPids() {
  const out = new Set();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      if (s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")) === "workerd") out.add(Number(d));
    } catch { /* gone */ }
  }
  return out;
}
function cpuTicks(pids) {
  let t = 0;
  for (const p of pids) {
    try {
      const s = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      t += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    } catch { /* gone */ }
  }
  return t;
}
function status(pids, field) {
  let kb = 0;
  for (const p of pids) {
    try {
      const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb * 1024;
}
function rssSampler(pids, everyMs = 100) {
  let peak = status(pids, "VmRSS");
  const t = setInterval(() => { peak = Math.max(peak, status(pids, "VmRSS")); }, everyMs);
  return () => { clearInterval(t); return Math.max(peak, status(pids, "VmRSS")); };
}

// ---------- workers ----------
const text = (v) => ({ type: "text", value: v });
async function startWorker(name, kind, vars) {
  let modules, main;
  if (kind === "bagroom" || kind === "bagroom-r2" || kind === "multistore") {
    const dir = { bagroom: WORKER_DIR, "bagroom-r2": WORKER_DIR_R2, multistore: MS_DIR }[kind];
    const wasm = fs.readdirSync(dir).filter((f) => f.endsWith(".wasm"));
    main = "index.js";
    modules = { "index.js": { type: "esm", contents: fs.readFileSync(path.join(dir, "index.js"), "utf8") } };
    for (const w of wasm) modules[w] = { type: "wasm", contents: new Uint8Array(fs.readFileSync(path.join(dir, w))) };
  } else if (kind === "r2-bare") {
    main = "worker.mjs";
    modules = { "worker.mjs": { type: "esm", contents: fs.readFileSync(path.join(ROOT, "bench/r2-bare/worker.mjs"), "utf8") } };
  } else {
    main = "worker.js";
    modules = { "worker.js": { type: "esm", contents: fs.readFileSync(PEER_BUNDLE, "utf8") } };
  }
  const env = {};
  if (kind === "multistore") {
    for (const [k, v] of Object.entries(vars)) env[k] = text(v);
    return startMiniflare(name, kind, main, modules, env, false);
  }
  const r2Kind = kind === "bagroom-r2" || kind === "r2-bare";
  const store = r2Kind
    // the R2 binding (Miniflare's local R2, blobs on disk under R2_PERSIST), no store endpoint or credentials
    ? { STORE_R2_BINDING: "BAGROOM_R2" }
    : { STORE_ENDPOINT: STORE_URL, STORE_BUCKET: BUCKET, STORE_REGION: "us-east-1", STORE_ACCESS_KEY_ID: STORE_KEY, STORE_SECRET_ACCESS_KEY: STORE_SECRET };
  for (const [k, v] of Object.entries({
    ...store, BAGROOM_BUCKET: BUCKET, BAGROOM_REGION: "us-east-1", BAGROOM_TOKEN_KEYS: TOKEN_KEYS,
    BAGROOM_CACHE_TTL: "3600", BAGROOM_CACHE_MODE: "ttl", ...vars, // the hit rows are ttl hits (no store request)
  })) env[k] = text(v);
  if (r2Kind) env.BAGROOM_R2 = { type: "r2", name: R2_BUCKET };
  return startMiniflare(name, kind, main, modules, env, r2Kind);
}
async function startMiniflare(name, kind, main, modules, env, r2Kind) {
  const before = workerdPids();
  const mf = new Miniflare({
    host: "127.0.0.1", port: PORTS[name],
    // each R2 instance its own local R2 on disk (two workerd processes must not share one)
    ...(r2Kind ? { resourcePersistencePath: path.join(R2_PERSIST, name) } : {}),
    // the workers write their logs (bagroom's access lines) as deployed; the bench drops them here
    handleStructuredLogs: () => {},
    workers: [{ config: { name: name.replace(/[^a-z]/g, ""), compatibilityDate: "2026-11-01", manifest: { mainModule: main, modules }, env } }],
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  const pids = [...workerdPids()].filter((p) => !before.has(p));
  if (pids.length === 0) throw new Error(`no workerd process found for ${name}`);
  log(`${name}: ${url} (workerd pid ${pids.join(",")})`);
  return { name, kind, url, pids, mf };
}

// ---------- load ----------
function runWrk(url, { method = "GET", bodyFile, headers = "", seconds, conns = CONNS }) {
  const outFile = path.join(OUT, `wrk-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  // wrk cannot do HEAD (its parser waits for a body): bench/load.mjs (undici) for every HEAD target.
  const [cmd, args] = method === "HEAD"
    ? [process.execPath, [path.join(ROOT, "bench/load.mjs"), method, url, String(seconds), String(conns), outFile]]
    : ["wrk", ["-t1", `-c${conns}`, `-d${seconds}s`, "--timeout", "30s", "-s", path.join(ROOT, "bench/wrk.lua"), url]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, WRK_METHOD: method, WRK_BODY_FILE: bodyFile || "", WRK_HEADERS: headers, WRK_OUT: outFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => { err += d; });
    child.stdout.on("data", () => {});
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 || !fs.existsSync(outFile)) return reject(new Error(`wrk failed (${code}): ${err}`));
      const r = JSON.parse(fs.readFileSync(outFile, "utf8"));
      fs.unlinkSync(outFile);
      resolve(r);
    });
  });
}

async function measure(target, url, opts, expectErrors = false) {
  await runWrk(url, { ...opts, seconds: WARMUP });
  const pids = target?.pids || [];
  const c0 = cpuTicks(pids);
  const stop = rssSampler(pids, 200);
  const r = await runWrk(url, { ...opts, seconds: DURATION });
  const peak = stop();
  const c1 = cpuTicks(pids);
  const secs = r.duration_us / 1e6;
  const bad = r.errors.status + r.errors.read + r.errors.write + r.errors.timeout + r.errors.connect;
  return {
    rps: r.requests / secs, requests: r.requests, p50: r.p50_us / 1000, p99: r.p99_us / 1000,
    cpu_ms: pids.length && r.requests ? ((c1 - c0) / TICK) * 1000 / r.requests : null,
    cpu_util: pids.length ? ((c1 - c0) / TICK) / secs : null,
    rss: pids.length ? peak : null, errors: expectErrors ? 0 : bad, error_detail: r.errors, generator: opts.method === "HEAD" ? "undici" : "wrk",
  };
}

// ---------- helpers ----------
async function ok(resp, what) {
  if (!resp.ok) throw new Error(`${what}: ${resp.status} ${await resp.text()}`);
  return resp;
}
const mint = (args) => execFileSync(TOKEN_BIN, ["mint", "--keys", TOKEN_KEYS, "--bucket", BUCKET, "--ttl", "86400", ...args], { encoding: "utf8" }).trim();
const presignedDirect = async (method, key, ttl = 3600) => {
  const u = new URL(`${STORE_URL}/${BUCKET}/${key}`);
  u.searchParams.set("X-Amz-Expires", String(ttl));
  return (await store.sign(u.toString(), { method, aws: { signQuery: true } })).url;
};

async function untilCached(url, header, label = "HIT") {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.headers.get(header) === label) return;
    await sleep(100);
  }
  throw new Error(`${url} never became a cache ${label} (${header})`);
}

function curlPut(url, file, headers = []) {
  return new Promise((resolve, reject) => {
    const args = ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_upload}", "-H", "Expect:", "-H", "Content-Type: application/octet-stream", ...headers.flatMap((h) => ["-H", h]), "-T", file, url];
    const c = spawn("curl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    c.stdout.on("data", (d) => { out += d; });
    c.stderr.on("data", (d) => { err += d; });
    c.on("error", reject);
    c.on("close", () => {
      const [code, secs, size] = out.trim().split(" ");
      resolve({ status: Number(code), secs: Number(secs), bytes: Number(size), err });
    });
  });
}

// ---------- main ----------
async function main() {
  const result = { when: new Date().toISOString(), duration_s: DURATION, warmup_s: WARMUP, conns: CONNS };
  await store.fetch(`${STORE_URL}/${BUCKET}`, { method: "PUT" }); // 200 or 409: either is fine
  if (RUN_MAIN) {
    Object.assign(result, await mainScenarios(), { big_bytes: BIG });
    fs.writeFileSync(path.join(OUT, "results.json"), JSON.stringify(result, null, 2));
    log(`wrote ${path.join(OUT, "results.json")}`);
  }
  if (RUN_DISTANCE) {
    const d = { when: new Date().toISOString(), duration_s: DURATION, warmup_s: WARMUP, conns: CONNS, ...(await distanceScenarios()) };
    fs.writeFileSync(path.join(OUT, "distance.json"), JSON.stringify(d, null, 2));
    log(`wrote ${path.join(OUT, "distance.json")}`);
  }
}

async function mainScenarios() {
  const info = {};
  // Objects in the store.
  const objs = { "obj-1k": randomBytes(1024), "obj-1m": randomBytes(1024 * 1024), "pub/obj-1k": randomBytes(1024), "pub/obj-1m": randomBytes(1024 * 1024) };
  for (const [k, v] of Object.entries(objs)) await ok(await store.fetch(`${STORE_URL}/${BUCKET}/${k}`, { method: "PUT", body: v }), `store put ${k}`);
  const put1m = path.join(OUT, "put-1m.bin");
  fs.writeFileSync(put1m, randomBytes(1024 * 1024));
  const presignBody = path.join(OUT, "presign.json");
  fs.writeFileSync(presignBody, JSON.stringify({ key: "up/presigned.bin", content_type: "application/octet-stream", size: 1048576, method: "PUT" }));

  const tok = {
    k1: mint(["--key", "obj-1k", "--methods", "GET,HEAD"]),
    m1: mint(["--key", "obj-1m", "--methods", "GET,HEAD"]),
    put: mint(["--prefix", "up/", "--methods", "PUT"]),
  };

  const pub = { BAGROOM_PUBLIC_PREFIXES: "pub/" };
  const T = {};
  T.bagroom = await startWorker("bagroom", "bagroom", { ...pub });
  T["bagroom-nocache"] = await startWorker("bagroom-nocache", "bagroom", { ...pub, BAGROOM_CACHE: "false" });
  T.peer = await startWorker("peer", "peer", { PEER_CACHE: "true" });
  T["peer-nocache"] = await startWorker("peer-nocache", "peer", { PEER_CACHE: "false" });
  if (RUN_R2) {
    // bagroom on the R2 binding: the same objects, put straight into each instance's local R2
    fs.rmSync(R2_PERSIST, { recursive: true, force: true });
    T["bagroom-r2"] = await startWorker("bagroom-r2", "bagroom-r2", { ...pub });
    T["bagroom-r2-nocache"] = await startWorker("bagroom-r2-nocache", "bagroom-r2", { ...pub, BAGROOM_CACHE: "false" });
    // the R2 rows' baseline: a bare worker on the same kind of binding (no gateway)
    T["r2-bare"] = await startWorker("r2-bare", "r2-bare", {});
    for (const t of [T["bagroom-r2"], T["bagroom-r2-nocache"], T["r2-bare"]]) {
      const r2 = await t.mf.getR2Bucket("BAGROOM_R2");
      for (const [k, v] of Object.entries(objs)) await r2.put(k, v);
    }
  } else log(`no R2 rows (${process.env.BENCH_SKIP_R2 === "1" ? "BENCH_SKIP_R2=1" : `no ${WORKER_DIR_R2}/index.js`})`);

  const direct = {
    k1: await presignedDirect("GET", "obj-1k"), m1: await presignedDirect("GET", "obj-1m"), h1: await presignedDirect("HEAD", "obj-1k"),
  };
  const obj = (t, key, token) => `${t.url}/${BUCKET}/${key}?token=${token}`;

  // Sanity: every target answers correctly before any load.
  for (const t of Object.values(T)) {
    for (const [k, tk] of [["obj-1k", tok.k1], ["obj-1m", tok.m1]]) {
      const r = await ok(await fetch(obj(t, k, tk)), `${t.name} GET ${k}`);
      const b = Buffer.from(await r.arrayBuffer());
      if (!b.equals(objs[k])) throw new Error(`${t.name} GET ${k}: wrong body (${b.length} bytes)`);
    }
  }
  for (const [k, u] of [["obj-1k", direct.k1], ["obj-1m", direct.m1]]) {
    const b = Buffer.from(await (await ok(await fetch(u), `direct GET ${k}`)).arrayBuffer());
    if (!b.equals(objs[k])) throw new Error(`direct GET ${k}: wrong body`);
  }
  // bagroom's presign gives the direct PUT URL (and checks that route works).
  const pres = await (await ok(await fetch(`${T["bagroom-nocache"].url}/api/presign`, {
    method: "POST", headers: { authorization: `Bearer ${tok.put}`, "content-type": "application/json" }, body: fs.readFileSync(presignBody) }), "bagroom presign")).json();
  const peerPres = await (await ok(await fetch(`${T["peer-nocache"].url}/api/presign`, {
    method: "POST", headers: { authorization: `Bearer ${tok.put}`, "content-type": "application/json" }, body: fs.readFileSync(presignBody) }), "peer presign")).json();
  for (const [who, p] of [["bagroom", pres], ["peer", peerPres]]) {
    const r = await fetch(p.url, { method: "PUT", headers: { ...p.headers }, body: fs.readFileSync(put1m) });
    if (!r.ok) throw new Error(`${who}'s presigned PUT URL refused by the store: ${r.status} ${await r.text()}`);
  }
  const directPut = async (key, size) => {
    const body = JSON.stringify({ key, content_type: "application/octet-stream", size, method: "PUT" });
    const p = await (await ok(await fetch(`${T["bagroom-nocache"].url}/api/presign`, {
      method: "POST", headers: { authorization: `Bearer ${tok.put}`, "content-type": "application/json" }, body }), "presign")).json();
    return p.url;
  };
  for (const t of [T.bagroom, T.peer, T["bagroom-r2"]].filter(Boolean)) {
    const h = t.kind === "peer" ? "x-peer-cache" : "x-bagroom-cache";
    await untilCached(obj(t, "obj-1k", tok.k1), h);
    await untilCached(obj(t, "obj-1m", tok.m1), h);
  }
  log("sanity checks passed");

  // ---------- scenarios ----------
  const rows = [];
  const run = async (scenario, targetName, url, opts = {}) => {
    if (ONLY && !ONLY.test(scenario)) return;
    if (targetName && !T[targetName]) return;
    const t = T[targetName];
    log(`${scenario} / ${targetName || "direct"} ...`);
    const r = await measure(t, url, opts);
    const who = targetName ? targetName.replace("-nocache", "").replace("r2-bare", "r2-direct") : "direct";
    rows.push({ scenario, target: who, ...r });
    log(`  ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms cpu ${r.cpu_ms?.toFixed(3) ?? "-"} ms/req errors ${r.errors}`);
  };
  const putH = ["Content-Type: application/octet-stream"].join("|");
  const presH = [`Authorization: Bearer ${tok.put}`, "Content-Type: application/json"].join("|");

  const objR2 = (t, key, token) => (T[t] ? obj(T[t], key, token) : null);
  for (const [size, key, tk, d] of [["1 KiB", "obj-1k", tok.k1, direct.k1], ["1 MiB", "obj-1m", tok.m1, direct.m1]]) {
    await run(`GET ${size} miss`, "bagroom-nocache", obj(T["bagroom-nocache"], key, tk));
    await run(`GET ${size} miss`, "bagroom-r2-nocache", objR2("bagroom-r2-nocache", key, tk));
    await run(`GET ${size} miss`, "r2-bare", objR2("r2-bare", key, ""));
    await run(`GET ${size} miss`, "peer-nocache", obj(T["peer-nocache"], key, tk));
    await run(`GET ${size} miss`, null, d);
    await run(`GET ${size} hit`, "bagroom", obj(T.bagroom, key, tk));
    await run(`GET ${size} hit`, "bagroom-r2", objR2("bagroom-r2", key, tk));
    await run(`GET ${size} hit`, "peer", obj(T.peer, key, tk));
    await run(`GET ${size} hit`, null, d);
  }
  await run("HEAD 1 KiB", "bagroom-nocache", obj(T["bagroom-nocache"], "obj-1k", tok.k1), { method: "HEAD" });
  await run("HEAD 1 KiB", "peer-nocache", obj(T["peer-nocache"], "obj-1k", tok.k1), { method: "HEAD" });
  await run("HEAD 1 KiB", null, direct.h1, { method: "HEAD" });
  await run("presign (POST /api/presign)", "bagroom-nocache", `${T["bagroom-nocache"].url}/api/presign`, { method: "POST", bodyFile: presignBody, headers: presH });
  await run("presign (POST /api/presign)", "peer-nocache", `${T["peer-nocache"].url}/api/presign`, { method: "POST", bodyFile: presignBody, headers: presH });
  await run("PUT 1 MiB", "bagroom-nocache", obj(T["bagroom-nocache"], "up/put-1m.bin", tok.put), { method: "PUT", bodyFile: put1m, headers: putH });
  await run("PUT 1 MiB", "bagroom-r2-nocache", objR2("bagroom-r2-nocache", "up/put-1m.bin", tok.put), { method: "PUT", bodyFile: put1m, headers: putH });
  await run("PUT 1 MiB", "r2-bare", objR2("r2-bare", "up/put-1m.bin", ""), { method: "PUT", bodyFile: put1m, headers: putH });
  await run("PUT 1 MiB", "peer-nocache", obj(T["peer-nocache"], "up/put-1m.bin", tok.put), { method: "PUT", bodyFile: put1m, headers: putH });
  await run("PUT 1 MiB", null, await directPut("up/put-1m.bin", 1048576), { method: "PUT", bodyFile: put1m, headers: putH });

  // Profile: what a bagroom request costs without the token check (public prefix, anonymous),
  // and with no store round trip at all (unknown bucket: config load, routing, error answer).
  const prof = [];
  const runP = async (scenario, targetName, url, opts = {}, expectErrors = false) => {
    if (ONLY && !ONLY.test("profile")) return;
    const t = T[targetName];
    log(`profile: ${scenario} / ${targetName} ...`);
    const r = await measure(t, url, opts, expectErrors);
    prof.push({ scenario, target: targetName.replace(/-nocache|-manykeys|-nolog/, ""), ...r });
    log(`  ${r.rps.toFixed(0)} req/s cpu ${r.cpu_ms?.toFixed(3)} ms/req errors ${r.errors}`);
  };
  await runP("GET 1 KiB miss, token", "bagroom-nocache", obj(T["bagroom-nocache"], "obj-1k", tok.k1));
  await runP("GET 1 KiB miss, public prefix (no token)", "bagroom-nocache", `${T["bagroom-nocache"].url}/${BUCKET}/pub/obj-1k`);
  await runP("GET 1 KiB miss, bad token signature (no store fetch)", "bagroom-nocache", obj(T["bagroom-nocache"], "obj-1k", tok.k1.slice(0, -3) + (tok.k1.endsWith("AAA") ? "BBB" : "AAA")), {}, true);
  await runP("GET 1 KiB miss, bad token signature (no store fetch)", "peer-nocache", obj(T["peer-nocache"], "obj-1k", tok.k1.slice(0, -3) + (tok.k1.endsWith("AAA") ? "BBB" : "AAA")), {}, true);
  await runP("unknown bucket (config load + route + error, no store fetch)", "bagroom-nocache", `${T["bagroom-nocache"].url}/nosuchbucket/x`, {}, true);
  // bagroom reads and parses its whole configuration on every request (token keys are turned
  // into HMAC states, access keys parsed): the same probe with 16 token keys and 16 access keys.
  if (!ONLY || ONLY.test("profile")) {
    const many = Array.from({ length: 15 }, (_, i) => `k${i}:bench-token-key-${i}-0123456789abcdef`).join(",");
    const acc = Array.from({ length: 16 }, (_, i) => `BENCHKEY${String(i).padStart(12, "0")}:bench/secret/${i}/0123456789abcdefghij`).join(",");
    T["bagroom-manykeys"] = await startWorker("bagroom-manykeys", "bagroom", { BAGROOM_CACHE: "false", BAGROOM_TOKEN_KEYS: `${TOKEN_KEYS},${many}`, BAGROOM_ACCESS_KEYS: acc });
    await runP("unknown bucket, 16 token keys + 16 access keys configured", "bagroom-manykeys", `${T["bagroom-manykeys"].url}/nosuchbucket/x`, {}, true);
    // what the access line costs: the same probes without it
    T["bagroom-nolog"] = await startWorker("bagroom-nolog", "bagroom", { ...pub, BAGROOM_CACHE: "false", BAGROOM_ACCESS_LOG: "false" });
    await runP("unknown bucket, BAGROOM_ACCESS_LOG=false", "bagroom-nolog", `${T["bagroom-nolog"].url}/nosuchbucket/x`, {}, true);
    await runP("GET 1 KiB miss, token, BAGROOM_ACCESS_LOG=false", "bagroom-nolog", obj(T["bagroom-nolog"], "obj-1k", tok.k1));
  }
  await runP("unknown bucket (config load + route + error, no store fetch)", "peer-nocache", `${T["peer-nocache"].url}/nosuchbucket/x`, {}, true);

  const ms = RUN_MS ? await multistoreScenarios(T, objs) : [];

  // ---------- one big PUT: RSS growth and throughput ----------
  const big = [];
  if (!ONLY || ONLY.test("big")) {
    const bigFile = path.join(OUT, `big-${BIG}.bin`);
    if (!fs.existsSync(bigFile) || fs.statSync(bigFile).size !== BIG) {
      log(`writing ${BIG} random bytes to ${bigFile}`);
      const fd = fs.openSync(bigFile, "w");
      for (let left = BIG; left > 0; left -= 8 << 20) fs.writeSync(fd, randomBytes(Math.min(left, 8 << 20)));
      fs.closeSync(fd);
    }
    const bigKey = "up/big.bin";
    for (const [who, tn, url] of [
      ["bagroom", "bagroom-nocache", obj(T["bagroom-nocache"], bigKey, tok.put)],
      ...(T["bagroom-r2-nocache"] ? [["bagroom-r2", "bagroom-r2-nocache", obj(T["bagroom-r2-nocache"], bigKey, tok.put)],
        ["r2-direct", "r2-bare", obj(T["r2-bare"], bigKey, "")]] : []),
      ["peer", "peer-nocache", obj(T["peer-nocache"], bigKey, tok.put)],
      ["direct", null, await directPut(bigKey, BIG)],
    ]) {
      const pids = tn ? T[tn].pids : [];
      const rss0 = status(pids, "VmRSS");
      const stop = rssSampler(pids, 50);
      const c0 = cpuTicks(pids);
      log(`PUT ${BIG} bytes / ${who} ...`);
      const r = await curlPut(url, bigFile);
      const peak = stop();
      const c1 = cpuTicks(pids);
      const r2 = who === "bagroom-r2" || who === "r2-direct" ? await T[tn].mf.getR2Bucket("BAGROOM_R2") : null;
      const stored = r2 ? (await r2.head(bigKey))?.size
        : Number((await store.fetch(`${STORE_URL}/${BUCKET}/${bigKey}`, { method: "HEAD" })).headers.get("content-length"));
      if (r.status !== 200 || stored !== BIG) throw new Error(`big PUT via ${who}: HTTP ${r.status}, stored ${stored} bytes ${r.err}`);
      big.push({ target: who, secs: r.secs, mibps: BIG / 1048576 / r.secs, rss0: tn ? rss0 : null, rssPeak: tn ? peak : null,
        growth: tn ? peak - rss0 : null, cpu_s: tn ? (c1 - c0) / TICK : null });
      log(`  ${(BIG / 1048576 / r.secs).toFixed(0)} MiB/s, RSS ${tn ? ((peak - rss0) / 1048576).toFixed(1) + " MiB growth" : "-"}`);
      if (r2) await r2.delete(bigKey);
      else await store.fetch(`${STORE_URL}/${BUCKET}/${bigKey}`, { method: "DELETE" });
    }
  }

  for (const t of Object.values(T)) await t.mf.dispose();
  if (!RUN_MS) log(`no multistore rows (${process.env.BENCH_SKIP_MULTISTORE === "1" ? "BENCH_SKIP_MULTISTORE=1" : RUN_MS_BUILT ? "BENCH_ONLY" : `no ${MS_DIR}/index.js`})`);
  return { rows, prof, big, info, ...(RUN_MS ? { ms, ms_bundles: bundles() } : {}) };
}

// ---------- bagroom vs multistore ----------
// Both gateways with the cache off, on the same store bucket, side by side: anonymous GET
// (bagroom's public prefix `pub/`; multistore's bucket with `anonymous_access`) and SigV4
// header-signed GET (each gateway with its own access key), 1 KiB and 1 MiB.
function multistoreConfig() {
  return {
    buckets: [{
      name: BUCKET, backend_type: "s3", anonymous_access: true, allowed_roles: [],
      backend_options: { endpoint: STORE_URL, bucket_name: BUCKET, region: "us-east-1", access_key_id: STORE_KEY, secret_access_key: STORE_SECRET },
    }],
    credentials: [{
      access_key_id: MS_PEER_KEY.id, secret_access_key: MS_PEER_KEY.secret, principal_name: "bench", enabled: true,
      created_at: "2026-01-01T00:00:00Z", expires_at: null,
      allowed_scopes: [{ bucket: BUCKET, prefixes: [], actions: ["get_object", "head_object"] }],
    }],
  };
}
/** wrk headers for a SigV4 header-signed GET of `url` with `key`, signed now (x-amz-date fixed for the run). */
async function sigv4(url, key) {
  // both gateways accept a request dated at most 15 min away: the signed headers are replayed
  // for one scenario (warm-up + run) and signed again for the next
  if (WARMUP + DURATION > 600) throw new Error("BENCH_WARMUP + BENCH_DURATION > 10 min: SigV4 headers would near the 15 min skew limit");
  const c = new AwsClient({ accessKeyId: key.id, secretAccessKey: key.secret, service: "s3", region: "us-east-1" });
  const r = await c.sign(url, { method: "GET" });
  const h = {};
  for (const n of ["authorization", "x-amz-date", "x-amz-content-sha256"]) h[n] = r.headers.get(n);
  return { obj: h, wrk: Object.entries(h).map(([k, v]) => `${k}: ${v}`).join("|") };
}
async function multistoreScenarios(T, objs) {
  T["bagroom-vs-ms"] = await startWorker("bagroom-vs-ms", "bagroom", {
    BAGROOM_CACHE: "false", BAGROOM_PUBLIC_PREFIXES: "pub/", BAGROOM_ACCESS_KEYS: `${MS_BAGROOM_KEY.id}:${MS_BAGROOM_KEY.secret}`,
  });
  T.multistore = await startWorker("multistore", "multistore", { PROXY_CONFIG: JSON.stringify(multistoreConfig()) });
  const G = [["bagroom", T["bagroom-vs-ms"], MS_BAGROOM_KEY], ["multistore", T.multistore, MS_PEER_KEY]];
  const cases = [];
  for (const [size, k] of [["1 KiB", "1k"], ["1 MiB", "1m"]]) {
    cases.push({ scenario: `multistore: anonymous GET ${size}`, key: `pub/obj-${k}`, signed: false });
    cases.push({ scenario: `multistore: SigV4 GET ${size}`, key: `obj-${k}`, signed: true });
  }
  // Sanity: 200 and the stored bytes from both, and a refusal where there must be one (a
  // 403 benchmark is worthless, and so is one where the signature is not checked).
  for (const [who, t, key] of G) {
    for (const c of cases) {
      const url = `${t.url}/${BUCKET}/${c.key}`;
      const headers = c.signed ? (await sigv4(url, key)).obj : {};
      const r = await fetch(url, { headers });
      const b = Buffer.from(await r.arrayBuffer());
      if (r.status !== 200 || !b.equals(objs[c.key])) throw new Error(`${who} ${c.scenario}: ${r.status}, ${b.length} bytes: ${b.toString().slice(0, 300)}`);
      if (c.signed) {
        const bad = { ...headers, authorization: headers.authorization.replace(/Signature=(.)/, (_, ch) => `Signature=${ch === "0" ? "1" : "0"}`) };
        const rb = await fetch(url, { headers: bad });
        await rb.arrayBuffer();
        if (rb.status !== 403) throw new Error(`${who} ${c.scenario}: a bad signature got ${rb.status}, not 403`);
      }
    }
  }
  // bagroom serves unsigned reads under its public prefix only
  const priv = await fetch(`${T["bagroom-vs-ms"].url}/${BUCKET}/obj-1k`);
  await priv.arrayBuffer();
  if (priv.status !== 403) throw new Error(`bagroom anonymous GET outside pub/: ${priv.status}, not 403`);
  log("multistore: sanity checks passed");

  // Both workers are fresh, and the first load on a fresh isolate costs more (V8 is still tiering
  // up the wasm: the first scenario measured was each gateway's dearest, whichever it was): one
  // warm-up pass over every row before any is measured, besides measure()'s own warm-up.
  const todo = cases.filter((c) => !ONLY || ONLY.test(c.scenario));
  for (const c of todo) {
    for (const [, t, key] of G) {
      const url = `${t.url}/${BUCKET}/${c.key}`;
      await runWrk(url, { headers: c.signed ? (await sigv4(url, key)).wrk : "", seconds: WARMUP });
    }
  }
  const rows = [];
  for (const c of todo) {
    for (const [who, t, key] of G) {
      const url = `${t.url}/${BUCKET}/${c.key}`;
      log(`${c.scenario} / ${who} ...`);
      const headers = c.signed ? (await sigv4(url, key)).wrk : "";
      const r = await measure(t, url, { headers });
      rows.push({ scenario: c.scenario.replace("multistore: ", ""), target: who, ...r });
      log(`  ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms cpu ${r.cpu_ms?.toFixed(3) ?? "-"} ms/req errors ${r.errors}`);
    }
  }
  return rows;
}
/** Both bundles as built for the run: wrangler's "Total Upload" line, and the wasm raw and gzipped. */
function bundles() {
  const one = (dir, totalFile) => {
    const wasm = fs.readdirSync(dir).find((f) => f.endsWith(".wasm"));
    const w = fs.readFileSync(path.join(dir, wasm));
    let total = null;
    try {
      const m = /Total Upload:\s*([\d.]+) KiB \/ gzip:\s*([\d.]+) KiB/.exec(fs.readFileSync(totalFile, "utf8"));
      if (m) total = { kib: Number(m[1]), gzip_kib: Number(m[2]) };
    } catch { /* no build log */ }
    return { wasm_bytes: w.length, wasm_gzip_bytes: zlib.gzipSync(w, { level: 9 }).length, total };
  };
  return { bagroom: one(WORKER_DIR, path.join(OUT, "bundle.txt")), multistore: one(MS_DIR, path.join(MS_DIR, "bundle.txt")) };
}

// ---------- distance: the store far away ----------
// A user next to the edge, the store DISTANCE_MS away each way (bench/delay-proxy.mjs between the
// worker and the store, and between the user and the store for the direct baseline). GET 1 MiB as
// a `ttl` hit (no store request), a `revalidate` hit (a conditional request, 304), a miss (cache
// off) and direct (a presigned URL through the same proxy). Store bytes per request are counted at
// the proxy (everything the store sent, headers included).
async function distanceScenarios() {
  const key = "far/obj-1m";
  const body = randomBytes(1024 * 1024);
  await ok(await store.fetch(`${STORE_URL}/${BUCKET}/${key}`, { method: "PUT", body }), `store put ${key}`);
  const proxy = await startDelayProxy({ port: PORTS["delay-proxy"], target: { host: "127.0.0.1", port: STORE_PORT }, delayMs: DISTANCE_MS });
  log(`delay proxy ${proxy.url} -> ${STORE_URL}, ${DISTANCE_MS} ms each way`);
  const far = { STORE_ENDPOINT: proxy.url };
  const tk = mint(["--key", key, "--methods", "GET,HEAD"]);
  const T = {};
  // `revalidate` and `ttl=<s>` modes (BAGROOM_CACHE_RULES); a gateway without them refuses `=revalidate`
  T["far-revalidate"] = await startWorker("far-revalidate", "bagroom", { ...far, BAGROOM_CACHE_RULES: "=revalidate" });
  const probe = await fetch(`${T["far-revalidate"].url}/${BUCKET}/${key}?token=${tk}`);
  await probe.arrayBuffer();
  const modes = probe.status === 200;
  if (!modes) {
    log(`this bagroom has no cache modes (=revalidate: ${probe.status}): no revalidate row, ttl is the bare-seconds rule`);
    await T["far-revalidate"].mf.dispose();
    delete T["far-revalidate"];
  }
  T["far-ttl"] = await startWorker("far-ttl", "bagroom", { ...far, BAGROOM_CACHE_RULES: modes ? "=ttl=3600" : "=3600" });
  T["far-miss"] = await startWorker("far-miss", "bagroom", { ...far, BAGROOM_CACHE: "false" });
  const u = new URL(`${proxy.url}/${BUCKET}/${key}`);
  u.searchParams.set("X-Amz-Expires", "3600");
  const direct = (await store.sign(u.toString(), { method: "GET", aws: { signQuery: true } })).url;
  const url = (t) => `${T[t].url}/${BUCKET}/${key}?token=${tk}`;
  for (const [name, u2] of [["direct", direct], ...Object.keys(T).map((t) => [t, url(t)])]) {
    const b = Buffer.from(await (await ok(await fetch(u2), `${name} GET ${key}`)).arrayBuffer());
    if (!b.equals(body)) throw new Error(`${name} GET ${key}: wrong body (${b.length} bytes)`);
  }
  await untilCached(url("far-ttl"), "x-bagroom-cache", "HIT");
  if (T["far-revalidate"]) await untilCached(url("far-revalidate"), "x-bagroom-cache", "REVALIDATED");
  log("distance: sanity checks passed");

  const rows = [];
  const scenarios = [
    ["GET 1 MiB ttl hit", "far-ttl", "HIT"],
    ["GET 1 MiB revalidate hit", "far-revalidate", "REVALIDATED"],
    ["GET 1 MiB miss (cache off)", "far-miss", "BYPASS"],
    ["GET 1 MiB direct", null, null],
  ];
  for (const [scenario, t, label] of scenarios) {
    if (t && !T[t]) continue;
    const target = t ? T[t] : null;
    const u2 = t ? url(t) : direct;
    log(`distance: ${scenario} ...`);
    await runWrk(u2, { seconds: WARMUP });
    // what the answers say before and after the measured run (the run's own are not read)
    const before = t ? (await fetch(u2).then(async (r) => (await r.arrayBuffer(), r.headers.get("x-bagroom-cache")))) : null;
    proxy.reset();
    const c0 = cpuTicks(target?.pids || []);
    const r = await runWrk(u2, { seconds: DURATION });
    const c1 = cpuTicks(target?.pids || []);
    const st = { ...proxy.stats };
    const secs = r.duration_us / 1e6;
    const errors = r.errors.status + r.errors.read + r.errors.write + r.errors.timeout + r.errors.connect;
    const row = {
      scenario, target: t ? "bagroom" : "direct", label: before, expected: label, rps: r.requests / secs, requests: r.requests,
      p50: r.p50_us / 1000, p99: r.p99_us / 1000, store_bytes_per_req: r.requests ? st.down / r.requests : null,
      store_connections: st.connections, cpu_ms: target && r.requests ? ((c1 - c0) / TICK) * 1000 / r.requests : null, errors,
    };
    rows.push(row);
    log(`  ${row.rps.toFixed(0)} req/s p50 ${row.p50.toFixed(1)} ms p99 ${row.p99.toFixed(1)} ms, store ${row.store_bytes_per_req?.toFixed(0)} B/req, ` +
      `${st.connections} store connections, label ${before ?? "-"}, errors ${errors}`);
  }
  for (const t of Object.values(T)) await t.mf.dispose();
  await proxy.close();
  return { delay_ms: DISTANCE_MS, object_bytes: body.length, modes, rows };
}

main().catch((e) => { console.error(e); process.exit(1); });
