// Shared helpers for the browser suite: Debian's Chromium via playwright-core, a tiny static
// server, console-error capture, and an optional dev override (BAGROOM_BROWSER_URL +
// BAGROOM_BROWSER_BUCKET run the suite against an already running gateway instead of a fresh one).
// BAGROOM_BROWSER_BACKEND=r2 runs the suite on the gateway built for wrangler.toml's [env.r2]
// (.bagroom/worker-out-r2, its store the R2 binding BAGROOM_R2 in Miniflare's local R2) instead
// of the S3 test store; scripts/test.sh browser runs it once per backend.
import { chromium } from "playwright-core";
import { createTestHarness } from "wrangler";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import * as harness from "../e2e/harness.mjs";
import { startGateway, createBucket, storeGet, ROOT, GW_KEY, GW_SECRET, TOKEN_KEYS } from "../e2e/harness.mjs";

/** "s3" (the SeaweedFS test store) or "r2" (the R2 binding). */
export const BACKEND = process.env.BAGROOM_BROWSER_BACKEND || "s3";
if (!["s3", "r2"].includes(BACKEND)) throw new Error(`BAGROOM_BROWSER_BACKEND must be s3 or r2, not ${BACKEND}`);
export const R2_WORKER_DIR = "./.bagroom/worker-out-r2";
// When the e2e harness runs on R2 itself (BAGROOM_TEST_BACKEND=r2, which scripts/test.sh sets
// alongside), its startGateway/createBucket/storeGet already are the R2 ones: use them.
const HARNESS_R2 = BACKEND === "r2" && harness.BACKEND === "r2";

export const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

export function launch() {
  return chromium.launch({ executablePath: process.env.BAGROOM_CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A gateway for `bucket` (or the dev override), on the suite's backend. */
export async function gateway(bucket, vars = {}) {
  if (process.env.BAGROOM_BROWSER_URL) return { url: process.env.BAGROOM_BROWSER_URL.replace(/\/$/, ""), close: async () => {} };
  return BACKEND === "r2" && !HARNESS_R2 ? startR2Gateway({ bucket, vars }) : startGateway({ bucket, vars });
}

/**
 * The gateway of wrangler.toml's [env.r2] (prebuilt by `wrangler deploy --dry-run --env r2
 * --outdir .bagroom/worker-out-r2`): public bucket `bucket` on the binding BAGROOM_R2, the test
 * suite's access key and token keys. `r2()` is the binding itself (to check what was stored).
 */
export async function startR2Gateway({ bucket, vars = {}, secrets = {} }) {
  if (!fs.existsSync(path.join(ROOT, R2_WORKER_DIR, "index.js"))) {
    throw new Error(`no R2 build: run npx wrangler deploy --dry-run --env r2 --outdir ${R2_WORKER_DIR}`);
  }
  const server = createTestHarness({
    root: ROOT,
    workers: [{
      configPath: "./wrangler.toml", env: "r2", prebuiltWorkerDir: R2_WORKER_DIR,
      vars: { BAGROOM_BUCKET: bucket, BAGROOM_REGION: "us-east-1", ...vars },
      secrets: { BAGROOM_ACCESS_KEYS: `${GW_KEY}:${GW_SECRET}`, BAGROOM_TOKEN_KEYS: TOKEN_KEYS, ...secrets },
    }],
  });
  const { url } = await server.listen();
  const r2 = async () => (await server.getWorker().getEnv()).BAGROOM_R2;
  return { url: url.href.replace(/\/$/, ""), server, backend: "r2", r2, close: () => server.close() };
}

/** Make `bucket` on the backend (R2: nothing to make, the binding is the bucket). */
export async function makeBucket(bucket) {
  if (BACKEND === "s3" || HARNESS_R2) await createBucket(bucket);
}

/** The bytes the backend holds for `key` (S3: the test store's `bucket`; R2: through the binding of `gw`). */
export async function objectBytes(gw, bucket, key) {
  if (BACKEND === "s3" || HARNESS_R2) return storeGet(bucket, key);
  const o = await (await gw.r2()).get(key);
  if (!o) throw new Error(`R2: no object ${key}`);
  return Buffer.from(await o.arrayBuffer());
}

export function testBucket(fallback) {
  return process.env.BAGROOM_BROWSER_BUCKET || fallback;
}

/** Collect console errors and uncaught page errors. */
export function watchConsole(page, sink = []) {
  page.on("console", (m) => { if (m.type() === "error") sink.push(`console.error: ${m.text()} @ ${JSON.stringify(m.location())}`); });
  page.on("pageerror", (e) => sink.push(`pageerror: ${e.message}`));
  return sink;
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png" };

/** Serve a directory on 127.0.0.1 (a random port). Returns { url, close }. */
export async function serveDir(dir) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, "http://x");
    const rel = decodeURIComponent(u.pathname).replace(/^\/+/, "") || "index.html";
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404, { "content-type": "text/plain" });
      return res.end("not found");
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream", "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** A small PNG (a gradient), so the page has an image to preview. */
export async function gradientPng(w = 96, h = 64) {
  const zlib = await import("node:zlib");
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round((x / w) * 255); raw[o + 1] = Math.round((y / h) * 200); raw[o + 2] = 180;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
