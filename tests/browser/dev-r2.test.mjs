// `BAGROOM_BACKEND=r2 scripts/dev.sh` (what `BAGROOM_BACKEND=r2 make dev` runs after setup) on a
// free port with its own local R2 folder and dev.env: it comes up, the printed download and share
// links answer the seeded hello.txt, the printed demo page uploads a file through the edge into
// wrangler's local R2 (read back through the gateway and with `wrangler r2 object get --local`),
// dev.env has no STORE_* lines, and Ctrl-C (SIGINT to its process group) stops everything.
// Runs in the R2 pass of `scripts/test.sh browser` (BAGROOM_BROWSER_BACKEND=r2) only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT, tmpFile } from "../e2e/harness.mjs";
import { launch, watchConsole, BACKEND } from "./lib.mjs";

const skip = BACKEND !== "r2" && "runs in the R2 pass (BAGROOM_BROWSER_BACKEND=r2)";
const HELLO = "Hello from bagroom: this object lives in the store and reaches you through the edge.\n";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bagroom-dev-r2-"));
const PERSIST = path.join(work, "r2");
const DEV_ENV = path.join(work, "dev.env");
let dev, out = "", port, links = {}, browser;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const listening = (p) => new Promise((resolve) => {
  const s = net.connect(p, "127.0.0.1");
  s.once("connect", () => { s.destroy(); resolve(true); });
  s.once("error", () => resolve(false));
});
async function freePort() {
  for (;;) {
    const p = await new Promise((resolve) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => { const { port: q } = s.address(); s.close(() => resolve(q)); });
    });
    // dev.sh also takes PORT+442 (the inspector)
    if (p + 442 < 65536 && !(await listening(p + 442))) return p;
  }
}
/** Processes still in the dev script's process group. */
function groupMembers(pgid) {
  const out = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid && f[0] !== "Z") out.push(`${d} ${s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"))}`);
    } catch { /* gone */ }
  }
  return out;
}

before(async () => {
  if (skip) return;
  port = await freePort();
  dev = spawn(path.join(ROOT, "scripts/dev.sh"), [], {
    cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BAGROOM_BACKEND: "r2", BAGROOM_DEV_PORT: String(port), BAGROOM_DEV_R2_PERSIST: PERSIST, BAGROOM_DEV_ENV_FILE: DEV_ENV },
  });
  dev.stdout.on("data", (d) => { out += d; });
  dev.stderr.on("data", (d) => { out += d; });
  const t0 = Date.now();
  while (!/share link:\s+\S+/.test(out)) {
    if (dev.exitCode !== null) throw new Error(`dev.sh exited (${dev.exitCode}):\n${out}`);
    if (Date.now() - t0 > 240_000) throw new Error(`dev.sh did not come up in 240 s:\n${out}`);
    await sleep(250);
  }
  for (const name of ["demo page", "download link", "share link"]) links[name] = new RegExp(`${name}:\\s+(\\S+)`).exec(out)[1];
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (dev && dev.exitCode === null) { try { process.kill(-dev.pid, "SIGKILL"); } catch { /* gone */ } }
  fs.rmSync(work, { recursive: true, force: true });
});

test("dev.sh (R2) prints the three links on the chosen port, no store started", { skip }, () => {
  assert.match(out, /R2 backend: wrangler's local R2/);
  assert.doesNotMatch(out, /starting the store/);
  for (const [name, url] of Object.entries(links)) assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), `${name}: ${url}`);
  assert.match(links["download link"], /\/demo\/hello\.txt\?token=/);
});

test("the download link and the share link answer the seeded hello.txt", { skip }, async () => {
  const r = await fetch(links["download link"]);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), HELLO);
  const s = await fetch(links["share link"]);
  assert.equal(s.status, 200);
  assert.equal(await s.text(), HELLO);
});

test("dev.env: the gateway's URL, key and token; no STORE_* lines", { skip }, () => {
  const env = fs.readFileSync(DEV_ENV, "utf8");
  assert.match(env, new RegExp(`^BAGROOM_URL=http://127\\.0\\.0\\.1:${port}$`, "m"));
  for (const k of ["BAGROOM_BUCKET", "BAGROOM_ACCESS_KEY_ID", "BAGROOM_SECRET_ACCESS_KEY", "BAGROOM_UPLOAD_TOKEN"]) assert.match(env, new RegExp(`^${k}=.+$`, "m"));
  assert.doesNotMatch(env, /^STORE_/m);
  assert.equal(fs.statSync(DEV_ENV).mode & 0o077, 0, "dev.env is private");
});

test("the demo page uploads through the edge into the local R2", { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  const errors = watchConsole(page);
  await page.goto(links["demo page"]);
  await page.waitForFunction(() => document.body.dataset.ready === "true" || !document.getElementById("banner").hidden, null, { timeout: 20_000 });
  assert.equal(await page.isHidden("#banner"), true, await page.textContent("#banner"));
  assert.equal(await page.isDisabled('input[name="route"][value="direct"]'), true, "R2: no uploads straight to the store");
  const name = `dev-r2-${randomBytes(4).toString("hex")}.txt`;
  const body = `uploaded through the demo page on the R2 backend ${randomBytes(8).toString("hex")}\n`;
  await page.setInputFiles("#file-input", tmpFile(name, Buffer.from(body)));
  const r = await (await page.waitForFunction((n) => {
    const li = [...document.querySelectorAll("#queue li.item")].find((x) => x.dataset.name === n);
    return li && ["done", "failed", "cancelled"].includes(li.dataset.state) ? { state: li.dataset.state, status: li.querySelector(".status").textContent } : null;
  }, name, { timeout: 60_000, polling: 100 })).jsonValue();
  assert.equal(r.state, "done", r.status);
  assert.match(r.status, /through the edge/);
  assert.deepEqual(errors, []);
  // back through the gateway with the page's token
  const tok = new URL(links["demo page"]).searchParams.get("token");
  const g = await fetch(`http://127.0.0.1:${port}/demo/${name}`, { headers: { Authorization: `Bearer ${tok}` } });
  assert.equal(g.status, 200);
  assert.equal(await g.text(), body);
  // and in wrangler's local R2 itself
  const got = await new Promise((resolve, reject) => execFile(path.join(ROOT, "node_modules/.bin/wrangler"),
    ["r2", "object", "get", `bagroom-demo/${name}`, "--env", "r2", "--local", "--persist-to", PERSIST, "--pipe"],
    { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } }, (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout))));
  assert.equal(got, body);
});

test("Ctrl-C stops the worker: the script exits, the port closes, nothing is left in its group", { skip }, async () => {
  process.kill(-dev.pid, "SIGINT");
  const t0 = Date.now();
  while (dev.exitCode === null && dev.signalCode === null) {
    if (Date.now() - t0 > 30_000) throw new Error(`dev.sh still running 30 s after SIGINT:\n${out.slice(-2000)}`);
    await sleep(100);
  }
  assert.match(out, /\[dev\].* stopping/);
  for (let i = 0; i < 50 && (await listening(port)); i++) await sleep(100);
  assert.equal(await listening(port), false, `port ${port} still answers`);
  let left = groupMembers(dev.pid);
  for (let i = 0; i < 50 && left.length; i++) { await sleep(100); left = groupMembers(dev.pid); }
  assert.deepEqual(left, [], "processes left behind");
});
