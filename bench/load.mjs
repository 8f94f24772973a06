// A small closed-loop load generator (undici, keep-alive), for what wrk cannot do: HEAD (wrk's
// parser waits for a body that never comes). Same output as bench/wrk.lua's done(). Used for all
// three targets of a scenario alike.
//   node bench/load.mjs METHOD URL SECONDS CONNECTIONS OUT.json
import { Pool } from "undici";
const [method, url, seconds, conns, out] = process.argv.slice(2);
const u = new URL(url);
const pool = new Pool(u.origin, { connections: Number(conns), pipelining: 1 });
const lat = [];
let errors = 0, bytes = 0;
const t0 = performance.now();
const end = t0 + Number(seconds) * 1000;
async function worker() {
  while (performance.now() < end) {
    const s = performance.now();
    try {
      const r = await pool.request({ method, path: u.pathname + u.search });
      for await (const c of r.body) bytes += c.length;
      if (r.statusCode >= 400) errors++;
      lat.push(performance.now() - s);
    } catch { errors++; }
  }
}
await Promise.all(Array.from({ length: Number(conns) }, worker));
const dur = performance.now() - t0;
await pool.close();
lat.sort((a, b) => a - b);
const p = (q) => Math.round((lat[Math.min(lat.length - 1, Math.floor((q / 100) * lat.length))] || 0) * 1000);
const res = { requests: lat.length, duration_us: Math.round(dur * 1000), bytes, p50_us: p(50), p90_us: p(90), p99_us: p(99),
  max_us: Math.round((lat[lat.length - 1] || 0) * 1000), errors: { connect: 0, read: 0, write: 0, status: errors, timeout: 0 } };
(await import("node:fs")).writeFileSync(out, JSON.stringify(res) + "\n");
