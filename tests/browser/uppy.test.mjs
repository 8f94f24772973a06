// An unmodified Uppy (@uppy/core + @uppy/dashboard + @uppy/aws-s3 v6) on its own origin uploads
// through bagroom's Companion-compatible multipart signing routes (token in the path:
// companionEndpoint = gateway + "/t/" + token). The page is bundled here with esbuild.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { uniqueBucket, mint, tmpFile, ROOT } from "../e2e/harness.mjs";
import { launch, gateway, testBucket, watchConsole, serveDir, makeBucket, objectBytes } from "./lib.mjs";

const MiB = 1024 * 1024;
const bucket = testBucket(uniqueBucket("uppy"));
const PAGE_DIR = path.join(ROOT, ".bagroom/uppy-page");
let gw, site, browser;

before(async () => {
  fs.rmSync(PAGE_DIR, { recursive: true, force: true });
  fs.mkdirSync(PAGE_DIR, { recursive: true });
  execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), [
    path.join(ROOT, "tests/uppy/main.js"), "--bundle", "--format=esm", `--outdir=${PAGE_DIR}`, "--log-level=warning",
    "--loader:.svg=dataurl", "--loader:.woff=dataurl", "--loader:.woff2=dataurl",
  ], { cwd: ROOT, stdio: "inherit" });
  fs.copyFileSync(path.join(ROOT, "tests/uppy/index.html"), path.join(PAGE_DIR, "index.html"));
  if (!process.env.BAGROOM_BROWSER_BUCKET) await makeBucket(bucket);
  gw = await gateway(bucket);
  site = await serveDir(PAGE_DIR);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await gw?.close();
});

test("stock Uppy uploads a multipart file through bagroom's signing routes, byte-for-byte", async () => {
  const token = mint(["--bucket", bucket, "--prefix", "uploads/", "--methods", "GET,HEAD,PUT,POST,DELETE,LIST,SHARE", "--ttl", "3600"]);
  assert.notEqual(new URL(site.url).origin, new URL(gw.url).origin, "the page is cross-origin to the gateway");
  const bytes = randomBytes(20 * MiB + 12345);
  const file = tmpFile("uppy-multipart.bin", bytes);
  const page = await (await browser.newContext()).newPage();
  const errors = watchConsole(page);
  const signing = [];
  page.on("request", (r) => { if (r.url().startsWith(`${gw.url}/t/`)) signing.push(`${r.method()} ${new URL(r.url()).pathname.replace(/^\/t\/[^/]+/, "/t/…")}`); });
  await page.goto(`${site.url}/?${new URLSearchParams({ gateway: gw.url, token })}`);
  await page.waitForSelector(".uppy-Dashboard-input", { state: "attached" });
  await page.setInputFiles(".uppy-Dashboard-input >> nth=0", file);
  await page.click(".uppy-StatusBar-actionBtn--upload");
  const result = await (await page.waitForFunction(() => window.__result, null, { timeout: 120_000 })).jsonValue();
  assert.deepEqual(result.failed, [], JSON.stringify(await page.evaluate(() => window.__events)));
  assert.equal(result.successful.length, 1);
  assert.ok(signing.some((s) => s === "POST /t/…/s3/multipart"), signing.join("\n"));
  assert.ok(signing.some((s) => /\/complete$/.test(s)), signing.join("\n"));
  const got = await objectBytes(gw, bucket, "uploads/uppy-multipart.bin");
  assert.equal(got.length, bytes.length);
  assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(bytes).digest("hex"));
  assert.deepEqual(errors, []);
});
