// Turn bench/out/results.json (+ bundle size, criterion output, machine and versions) into one
// markdown report: bench/out/results.md, and the generated block of BENCHMARKS.md (between the
// bench:results markers; the hand-written analysis around it is kept).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const OUT = process.env.BENCH_OUT || path.join(ROOT, "bench/out");
const R = JSON.parse(fs.readFileSync(path.join(OUT, "results.json"), "utf8"));
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(); } catch { return "?"; } };
const f = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(d));
const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
const MiB = 1048576;

// ---------- machine and versions ----------
const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [])[1] || "?";
const workerdBin = path.join(ROOT, "node_modules/.bin/workerd");
const machine = `${os.cpus().length} cores (nproc ${sh("nproc", [])}), ${cpu}, Linux ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`;
const versions = [
  `node ${process.version}`, `workerd ${sh(workerdBin, ["--version"]).replace(/^workerd\s*/, "")}`,
  `wrangler ${sh(path.join(ROOT, "node_modules/.bin/wrangler"), ["--version"]).split("\n").pop()}`,
  `miniflare ${JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/miniflare/package.json"), "utf8")).version}`,
  `aws4fetch ${JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/aws4fetch/package.json"), "utf8")).version}`,
  sh("rustc", ["--version"]), `wrk ${sh("dpkg-query", ["-W", "-f=${Version}", "wrk"])}`,
  `SeaweedFS ${(sh("weed", ["version"]).match(/\b(\d+\.\d+)\b/) || [])[1] || "?"}`,
].join(", ");

// ---------- bundle ----------
let bundle = { raw: null, gzip: null };
try {
  const m = /Total Upload:\s*([\d.]+) KiB \/ gzip:\s*([\d.]+) KiB/.exec(fs.readFileSync(path.join(OUT, "bundle.txt"), "utf8"));
  if (m) bundle = { raw: Number(m[1]), gzip: Number(m[2]) };
} catch { /* no build */ }
let peerBundle = null;
try {
  const b = fs.readFileSync(path.join(OUT, "peer/worker.js"));
  peerBundle = { raw: b.length / 1024, gzip: (await import("node:zlib")).gzipSync(b, { level: 9 }).length / 1024 };
} catch { /* none */ }

// ---------- criterion ----------
const native = [];
try {
  const txt = fs.readFileSync(path.join(OUT, "criterion.txt"), "utf8");
  const re = /^(\S[^\n]*?)\s*\n?\s*time:\s+\[(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\]/gm;
  for (const m of txt.matchAll(re)) {
    const name = m[1].replace(/^Benchmarking .*$/, "").trim();
    const us = Number(m[4]) * { ns: 1e-3, "µs": 1, us: 1, ms: 1e3 }[m[5]];
    if (name) native.push({ name, us });
  }
} catch { /* skipped */ }

// ---------- tables ----------
const rows = R.rows;
const get = (s, t) => rows.find((r) => r.scenario === s && r.target === t);
const scenarios = [...new Set(rows.map((r) => r.scenario))];
const L = [];
L.push(`Run ${R.when} on ${machine}.`, "");
L.push(`Versions: ${versions}.`, "");
L.push(`Load: ${R.duration_s} s per target after ${R.warmup_s} s warm-up, ${R.conns} connections, 127.0.0.1 (wrk 1 thread; HEAD with bench/load.mjs, undici). ` +
  "CPU/req = workerd utime+stime over the measured run / requests (it includes Miniflare's own entry worker and cache simulator, for both workers alike). " +
  "RSS = peak sampled VmRSS of that workerd process. `direct` = presigned URLs straight to SeaweedFS.", "");
L.push("| scenario | target | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MiB | req/s vs peer | CPU vs peer | req/s vs direct |");
L.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const s of scenarios) {
  const peer = get(s, "peer"), direct = get(s, "direct");
  for (const t of ["bagroom", "peer", "direct"]) {
    const r = get(s, t);
    if (!r) continue;
    const flag = r.errors ? ` (${r.errors} errors!)` : "";
    L.push(`| ${s} | ${t === "bagroom" ? "**bagroom**" : t} | ${f(r.rps)}${flag} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.cpu_ms, 3)} | ${r.rss ? f(r.rss / MiB, 0) : "–"} | ` +
      `${t === "bagroom" ? x(r.rps, peer?.rps) : ""} | ${t === "bagroom" ? x(r.cpu_ms, peer?.cpu_ms) : ""} | ${t !== "direct" ? x(r.rps, direct?.rps) : ""} |`);
  }
}
L.push("");
if (R.big.length) {
  const d = R.big.find((b) => b.target === "direct");
  L.push(`One proxied PUT of ${(R.big_bytes / MiB).toFixed(0)} MiB (curl -T, Content-Length), RSS of the worker's workerd process sampled every 50 ms:`, "");
  L.push("| target | MiB/s | seconds | workerd RSS before MiB | peak MiB | growth MiB | workerd CPU s | MiB/s vs direct |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const b of R.big) {
    L.push(`| ${b.target === "bagroom" ? "**bagroom**" : b.target} | ${f(b.mibps)} | ${f(b.secs, 1)} | ${b.rss0 ? f(b.rss0 / MiB, 0) : "–"} | ${b.rssPeak ? f(b.rssPeak / MiB, 0) : "–"} | ` +
      `${b.growth !== null ? f(b.growth / MiB, 1) : "–"} | ${f(b.cpu_s, 2)} | ${b.target !== "direct" ? x(b.mibps, d?.mibps) : ""} |`);
  }
  L.push("");
}
if (R.prof.length) {
  L.push("Profile rows (bagroom's costs broken down; 403/404 answers are the point here):", "");
  L.push("| probe | target | req/s | CPU ms/req |");
  L.push("| --- | --- | ---: | ---: |");
  for (const p of R.prof) L.push(`| ${p.scenario} | ${p.target} | ${f(p.rps)} | ${f(p.cpu_ms, 3)} |`);
  L.push("");
}
L.push(`Bundle (\`wrangler deploy --dry-run\`): **${f(bundle.raw, 2)} KiB / gzip ${f(bundle.gzip, 2)} KiB**` +
  (peerBundle ? `; the JS peer (esbuild, aws4fetch included): ${f(peerBundle.raw, 1)} KiB / gzip ${f(peerBundle.gzip, 1)} KiB.` : "."), "");
if (native.length) {
  L.push("Native (criterion, `cargo bench --bench verify|token|sign`, median):", "");
  L.push("| bench | µs/op |", "| --- | ---: |");
  for (const n of native) L.push(`| ${n.name} | ${n.us < 1 ? n.us.toFixed(3) : n.us.toFixed(2)} |`);
  L.push("");
}

// ---------- goals ----------
const goal = (name, ok, detail) => `| ${name} | ${ok === null ? "not measured" : ok ? "**met**" : "**missed**"} | ${detail} |`;
const ratio = (a, b) => (a && b ? a / b : null);
const G = [];
const hit1m = ratio(get("GET 1 MiB hit", "bagroom")?.rps, get("GET 1 MiB hit", "direct")?.rps);
G.push(goal("cache-hit GET 1 MiB ≥ 1.5× direct req/s", hit1m === null ? null : hit1m >= 1.5, `${f(hit1m, 2)}×`));
for (const s of ["GET 1 KiB miss", "GET 1 MiB miss"]) {
  const r = ratio(get(s, "bagroom")?.rps, get(s, "direct")?.rps);
  G.push(goal(`cache-miss ${s.replace(" miss", "")} ≥ 0.8× direct req/s`, r === null ? null : r >= 0.8, `${f(r, 2)}×`));
}
for (const s of ["GET 1 KiB miss", "GET 1 KiB hit"]) {
  const rr = ratio(get(s, "bagroom")?.rps, get(s, "peer")?.rps), cr = ratio(get(s, "bagroom")?.cpu_ms, get(s, "peer")?.cpu_ms);
  G.push(goal(`authorised ${s}: ≥ 1.2× peer req/s at ≤ 0.8× its CPU/req`, rr === null ? null : rr >= 1.2 && cr <= 0.8, `${f(rr, 2)}× req/s, ${f(cr, 2)}× CPU/req`));
}
const bb = R.big.find((b) => b.target === "bagroom"), bd = R.big.find((b) => b.target === "direct");
G.push(goal(`proxied ${(R.big_bytes / MiB).toFixed(0)} MiB PUT: workerd RSS growth ≤ 32 MB`, bb ? bb.growth <= 32e6 : null, bb ? `${f(bb.growth / 1e6, 1)} MB` : ""));
const bt = bb && bd ? bb.mibps / bd.mibps : null;
G.push(goal(`proxied ${(R.big_bytes / MiB).toFixed(0)} MiB PUT: throughput ≥ 0.8× direct`, bt === null ? null : bt >= 0.8, `${f(bt, 2)}×`));
G.push(goal("bundle ≤ 250 KiB gzip", bundle.gzip === null ? null : bundle.gzip <= 250, `${f(bundle.gzip, 2)} KiB`));
const nv = (re) => native.find((n) => re.test(n.name));
const ps = nv(/presigned SigV4/), tv = nv(/token\/verify get/);
G.push(goal("native presigned SigV4 verify ≤ 5 µs", ps ? ps.us <= 5 : null, ps ? `${ps.us.toFixed(2)} µs` : ""));
G.push(goal("native token verify ≤ 2 µs", tv ? tv.us <= 2 : null, tv ? `${tv.us.toFixed(2)} µs` : ""));
L.push("Goals (this run):", "", "| goal | status | measured |", "| --- | --- | --- |", ...G, "");

const block = L.join("\n");
fs.writeFileSync(path.join(OUT, "results.md"), block + "\n");
const bm = path.join(ROOT, "BENCHMARKS.md");
const START = "<!-- bench:results:start (generated by bench/report.mjs) -->", END = "<!-- bench:results:end -->";
let doc = fs.existsSync(bm) ? fs.readFileSync(bm, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
if (!doc.includes(START)) doc += `\n${START}\n${END}\n`;
doc = doc.slice(0, doc.indexOf(START) + START.length) + "\n" + block + "\n" + doc.slice(doc.indexOf(END));
fs.writeFileSync(bm, doc);
console.log(block);
