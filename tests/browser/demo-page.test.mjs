// The demo page (www/) in Debian's Chromium against a real gateway and the real test store:
// uploads through every path (edge PUT, presigned PUT, POST policy, multipart direct, multipart
// via the edge), resume after a reload (only the missing parts go again), share links that
// download the same bytes in a fresh browser context, plain error messages, no console errors.
// On the R2 backend (BAGROOM_BROWSER_BACKEND=r2) the page offers the edge routes only (no store
// credentials, so nothing to presign): the direct paths are skipped and a test checks the page says so.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ListPartsCommand } from "@aws-sdk/client-s3";
import { uniqueBucket, mint, tmpFile, store, ROOT, STORE_URL } from "../e2e/harness.mjs";
import { launch, gateway, testBucket, watchConsole, gradientPng, makeBucket, objectBytes, BACKEND } from "./lib.mjs";

const MiB = 1024 * 1024;
const PART_SIZE = 5 * MiB;
const bucket = testBucket(uniqueBucket("page"));
const ARTIFACTS = path.join(ROOT, "tests/artifacts");
let gw, browser, context, page, token;
const consoleErrors = [];
const uploaded = new Map(); // key -> bytes

const PATHS = [
  { id: "edge", route: "edge", kind: "put", label: /one PUT through the edge/ },
  { id: "presigned-put", route: "direct", kind: "put", label: /one presigned PUT straight to the store/ },
  { id: "post-policy", route: "direct", kind: "post", label: /one POST form straight to the store/ },
  { id: "multipart-direct", route: "direct", kind: "multipart", label: /multipart, parts straight to the store/ },
  { id: "multipart-edge", route: "edge", kind: "multipart", label: /multipart, parts through the edge/ },
];

const R2 = BACKEND === "r2";
const NO_DIRECT = R2 ? "R2 backend: no uploads straight to the store" : false;
const sha = (b) => createHash("sha256").update(b).digest("hex");
const storeGet = (b, key) => objectBytes(gw, b, key);
const pageToken = () => mint(["--bucket", bucket, "--prefix", "uploads/", "--methods", "GET,HEAD,PUT,POST,DELETE,LIST,SHARE", "--ttl", "3600"]);

before(async () => {
  if (!process.env.BAGROOM_BROWSER_BUCKET) await makeBucket(bucket);
  gw = await gateway(bucket, { BAGROOM_MULTIPART_PART_SIZE: String(PART_SIZE) });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.on("dialog", (d) => d.accept()); // "leave the page while uploading?" on reload
  watchConsole(page, consoleErrors);
  token = pageToken();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

async function openPage(p = page, t = token) {
  await p.goto(`${gw.url}/?token=${encodeURIComponent(t)}`);
}

async function ready(p = page) {
  await p.waitForFunction(() => document.body.dataset.ready === "true" || !document.getElementById("banner").hidden, null, { timeout: 20_000 });
}

async function setMode(route, kind, p = page) {
  await p.check(`input[name="route"][value="${route}"]`);
  await p.check(`input[name="kind"][value="${kind}"]`);
}

/** Wait for the newest queue item for `name` to finish; returns its final state and message. */
async function settled(name, p = page, timeout = 180_000) {
  const h = await p.waitForFunction((n) => {
    const li = [...document.querySelectorAll("#queue li.item")].find((x) => x.dataset.name === n);
    return li && ["done", "failed", "cancelled"].includes(li.dataset.state)
      ? { state: li.dataset.state, status: li.querySelector(".status").textContent, stats: li.querySelector(".stats").textContent }
      : null;
  }, name, { timeout, polling: 100 });
  return h.jsonValue();
}

async function expectDone(name, p = page) {
  const r = await settled(name, p);
  assert.equal(r.state, "done", `${name}: ${r.state}: ${r.status}`);
  return r;
}

test("the page loads the session and lists the scope", async () => {
  await openPage();
  await ready();
  assert.equal(await page.isHidden("#banner"), true, await page.textContent("#banner"));
  const s = await page.textContent("#session");
  assert.match(s, /uploads\//);
  assert.match(s, new RegExp(bucket));
  assert.match(await page.textContent("#files-status"), /No files yet|file/);
});

for (const route of ["direct", "edge"]) {
  test(`multipart (${route}): reload mid-upload, resume uploads only the missing parts`, { skip: route === "direct" && NO_DIRECT }, async () => {
    const name = `resume-${route}.bin`;
    const bytes = randomBytes(40 * MiB);
    const file = tmpFile(name, bytes);
    const totalParts = Math.ceil(bytes.length / PART_SIZE);
    const isPart = (u) => /[?&](partNumber|uploadId)=/.test(u) || /\/edge-part\//.test(u);
    const puts = [];
    const onRequest = (r) => { if (r.method() === "PUT" && isPart(r.url())) puts.push(r.url()); };
    page.on("request", onRequest);
    const cdp = await context.newCDPSession(page);
    try {
      await cdp.send("Network.enable");
      // Slow the upload so the reload lands mid-way (about 8 MiB/s).
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * MiB });
      await setMode(route, "multipart");
      const firstPart = page.waitForResponse((r) => r.request().method() === "PUT" && isPart(r.url()) && r.status() === 200, { timeout: 60_000 });
      await page.setInputFiles("#file-input", file);
      await firstPart;
      await page.reload();
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await ready();
      await page.waitForSelector(`#resume-list li[data-name="${name}"]`, { timeout: 10_000 });
      const pending = await page.evaluate(() => JSON.parse(localStorage.getItem("bagroom.pending-uploads.v1") || "[]"));
      const entry = pending.find((e) => e.name === name);
      assert.ok(entry, "the unfinished upload is remembered across the reload");
      await new Promise((r) => setTimeout(r, 500)); // let the aborted parts settle in the store
      // What the gateway lists (the page's view): whole parts only, each part once. An R2 binding
      // cannot list an upload's parts (501 NotImplemented): there the page goes by the parts it noted.
      const lr = await fetch(`${gw.url}/s3/multipart/${encodeURIComponent(entry.uploadId)}?${new URLSearchParams({ key: entry.key })}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(lr.status, R2 ? 501 : 200);
      const listed = R2 ? Object.entries(entry.parts || {}).map(([n, x]) => ({ PartNumber: n, Size: x.size })) : await lr.json();
      const sizeOf = (n) => Math.min(PART_SIZE, bytes.length - (n - 1) * PART_SIZE);
      const have = new Set(listed.filter((x) => Number(x.Size) === sizeOf(Number(x.PartNumber))).map((x) => Number(x.PartNumber))).size;
      if (!R2) { // (an R2 binding cannot list an upload's parts: the gateway's listing above is all there is)
        const inStore = await store.send(new ListPartsCommand({ Bucket: bucket, Key: entry.key, UploadId: entry.uploadId }));
        assert.ok((inStore.Parts || []).length >= 1, "the store holds the parts sent before the reload");
      }
      assert.ok(have >= 1 && have < totalParts, `mid-upload: ${have} of ${totalParts} parts in the store`);
      await page.waitForFunction((n) => /already in the store/.test(document.querySelector(`#resume-list li[data-name="${n}"] .note`)?.textContent || ""), name);

      puts.length = 0;
      await page.setInputFiles(`#resume-list li[data-name="${name}"] input[type="file"]`, file);
      const r = await expectDone(name);
      assert.match(r.status, /Done/);
      assert.equal(puts.length, totalParts - have, `only the ${totalParts - have} missing parts go again (sent ${puts.length})`);
      const got = await storeGet(bucket, entry.key);
      assert.equal(sha(got), sha(bytes), "the resumed object is byte-for-byte the file");
      uploaded.set(entry.key, bytes);
      const after = await page.evaluate(() => JSON.parse(localStorage.getItem("bagroom.pending-uploads.v1") || "[]"));
      assert.ok(!after.some((e) => e.uploadId === entry.uploadId), "the finished upload is forgotten");
      assert.equal(await page.isHidden("#resume-section"), true);
    } finally {
      page.off("request", onRequest);
      await cdp.detach().catch(() => {});
    }
  });
}

for (const p of PATHS) {
  test(`upload a small text file and a 40 MiB file: ${p.id}`, { skip: p.route === "direct" && NO_DIRECT }, async () => {
    const small = Buffer.from(`hello from the ${p.id} path\n${randomBytes(8).toString("hex")}\n`.repeat(20));
    const big = randomBytes(40 * MiB);
    const files = [tmpFile(`note-${p.id}.txt`, small), tmpFile(`big-${p.id}.bin`, big)];
    await setMode(p.route, p.kind);
    const note = await page.textContent("#method-note");
    assert.ok(note.length > 10, note);
    const toStore = [], elsewhere = [];
    const onRequest = (r) => {
      if (!["PUT", "POST"].includes(r.method())) return;
      if (r.url().startsWith(STORE_URL + "/")) toStore.push(r.method());
      if (!r.url().startsWith(gw.url + "/")) elsewhere.push(`${r.method()} ${r.url()}`);
    };
    page.on("request", onRequest);
    try {
      await page.setInputFiles("#file-input", files);
      for (const f of files) assert.match((await expectDone(path.basename(f))).status, p.label);
    } finally {
      page.off("request", onRequest);
    }
    if (p.route === "direct") assert.ok(toStore.length >= 2, `the bytes went straight to the store (${toStore.length} requests)`);
    else {
      assert.deepEqual(toStore, [], "through the edge: the page never talks to the store");
      assert.deepEqual(elsewhere, [], "through the edge: every upload request goes to the gateway");
    }
    for (const [f, bytes] of [[files[0], small], [files[1], big]]) {
      const key = `uploads/${path.basename(f)}`;
      const got = await storeGet(bucket, key);
      assert.equal(got.length, bytes.length, key);
      assert.equal(sha(got), sha(bytes), `${key}: the store holds other bytes`);
      uploaded.set(key, bytes);
    }
  });
}

test("R2 backend: the page offers only the edge routes", { skip: !R2 && "S3 backend" }, async () => {
  const s = await (await fetch(`${gw.url}/api/session`, { headers: { Authorization: `Bearer ${token}` } })).json();
  assert.equal(s.direct_uploads, false, `the session says there are no direct uploads: ${JSON.stringify(s)}`);
  assert.equal(await page.isDisabled('input[name="route"][value="direct"]'), true, "the direct route cannot be chosen");
  assert.equal(await page.isChecked('input[name="route"][value="edge"]'), true);
  assert.match(await page.textContent("#route-note"), /through the edge/i);
  for (const kind of ["auto", "put", "multipart"]) {
    await setMode("edge", kind);
    assert.doesNotMatch(await page.textContent("#method-note"), /straight to the store/, kind);
  }
  assert.equal(await page.isDisabled('input[name="kind"][value="post"]'), true, "no POST form (it goes to the store)");
});

test("an image (for the preview) through the edge", async () => {
  const png = await gradientPng();
  await setMode("edge", "auto");
  await page.setInputFiles("#file-input", tmpFile("gradient.png", png));
  await expectDone("gradient.png");
  assert.deepEqual(await storeGet(bucket, "uploads/gradient.png"), png);
  uploaded.set("uploads/gradient.png", png);
});

test("every file is listed; its share link downloads the same bytes in a fresh context", async () => {
  await page.click("#refresh");
  await page.waitForFunction((n) => document.querySelectorAll("#files tbody tr[data-key]").length >= n, uploaded.size, { timeout: 10_000 });
  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(`${gw.url}/healthz`);
    const ttls = ["3600", "86400", "604800"];
    let i = 0;
    for (const [key, bytes] of uploaded) {
      const row = page.locator(`#files tbody tr[data-key="${key}"]`);
      await row.locator("select").selectOption(ttls[i++ % 3]);
      await row.getByRole("button", { name: /Get a share link/ }).click();
      const link = row.locator("input.link");
      await link.waitFor({ state: "visible" });
      const url = await link.inputValue();
      assert.match(url, /^https?:\/\//);
      assert.ok(!url.includes(token), "a share link never carries the page's own token");
      // it ends with the file's name, which a browser saves the download under
      assert.equal(decodeURIComponent(new URL(url).pathname.split("/").pop()), key.split("/").pop(), url);
      assert.match(await row.locator(".share-note").textContent(), /Works until/);
      const got = await other.evaluate(async (u) => {
        const r = await fetch(u);
        const buf = await r.arrayBuffer();
        const d = await crypto.subtle.digest("SHA-256", buf);
        return { status: r.status, length: buf.byteLength, sha: [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("") };
      }, url);
      assert.equal(got.status, 200, `${key}: share link ${got.status}`);
      assert.equal(got.length, bytes.length, key);
      assert.equal(got.sha, sha(bytes), `${key}: the share link downloads other bytes`);
    }
    // The Download link of one file, clicked for real.
    const key = "uploads/note-edge.txt";
    const row = page.locator(`#files tbody tr[data-key="${key}"]`);
    const [dl] = await Promise.all([page.waitForEvent("download"), row.getByRole("link", { name: /Download/ }).click()]);
    assert.deepEqual(fs.readFileSync(await dl.path()), uploaded.get(key));
  } finally {
    await fresh.close();
  }
});

test("a refresh keeps the share links just made (a refresh landing mid-click loses nothing)", async () => {
  const [key] = uploaded.keys();
  const link = page.locator(`#files tbody tr[data-key="${key}"]`).locator("input.link");
  const before = await link.inputValue();
  assert.match(before, /^https?:\/\//, "the test before made a link for every file");
  await page.evaluate(() => { document.querySelector("#files-status").textContent = ""; });
  await page.click("#refresh");
  await page.waitForFunction(() => /files?\.$/.test(document.querySelector("#files-status").textContent), null, { timeout: 10_000 });
  assert.equal(await page.locator(`#files tbody tr[data-key="${key}"]`).count(), 1);
  assert.ok(await link.isVisible(), "the link is still shown after the refresh");
  assert.equal(await link.inputValue(), before);
});

test("previews: text inline, images inline", async () => {
  const row = page.locator('#files tbody tr[data-key="uploads/note-edge.txt"]');
  await row.getByRole("button", { name: /Preview/ }).click();
  const pre = page.locator("#files tr.preview-row pre").first();
  await pre.waitFor();
  assert.equal(await pre.textContent(), uploaded.get("uploads/note-edge.txt").toString());
  const img = page.locator('#files tbody tr[data-key="uploads/gradient.png"]');
  await img.getByRole("button", { name: /Preview/ }).click();
  await page.waitForFunction(() => { const i = document.querySelector("#files tr.preview-row img"); return i && i.complete && i.naturalWidth === 96; });
});

test("a key with a . or .. segment is never put in a URL path (the browser would resolve it into another key)", async () => {
  const out = await page.evaluate(async () => {
    const { keyPath, hasDotSegment } = await import("/_bagroom/api.js");
    const path = (k) => { try { return keyPath(k); } catch (e) { return `refused: ${e.code}`; } };
    return {
      paths: ["up/x/../victim.txt", "up/./z.txt", "up/%2E%2E/v", "a\\..\\b", "a b/c?d#e.txt", "up/.hidden/x", "up/...", "x..y"].map(path),
      dots: ["up/..", "up/.", "up/%2e%2E/x", "up/a.b", "up/.../x"].map(hasDotSegment),
    };
  });
  assert.deepEqual(out.paths, ["refused: InvalidArgument", "refused: InvalidArgument", "refused: InvalidArgument", "refused: InvalidArgument",
    "a%20b/c%3Fd%23e.txt", "up/.hidden/x", "up/...", "x..y"]);
  assert.deepEqual(out.dots, [true, true, true, false, false]);
});

test("a file can be deleted from the list (a second click confirms); the store no longer has it", async () => {
  await setMode("edge", "put");
  await page.setInputFiles("#file-input", tmpFile("delete-me.txt", Buffer.from("bye\n")));
  await expectDone("delete-me.txt");
  await page.click("#refresh");
  const row = page.locator('#files tbody tr[data-key="uploads/delete-me.txt"]');
  await row.waitFor({ state: "visible" });
  const del = row.getByRole("button", { name: /Delete/ });
  await del.click();
  assert.match(await del.textContent(), /again/, "the first click only asks");
  assert.deepEqual(await objectBytes(gw, bucket, "uploads/delete-me.txt"), Buffer.from("bye\n"), "one click deleted the file");
  await del.click();
  await row.waitFor({ state: "detached" });
  await assert.rejects(objectBytes(gw, bucket, "uploads/delete-me.txt"), "the store still has the deleted file");
});

test("screenshots; no console errors", async () => {
  await page.screenshot({ path: path.join(ARTIFACTS, "demo-page.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, "demo-page-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
  assert.equal(overflow, false, "no horizontal scrolling at desktop width");
  assert.deepEqual(consoleErrors, []);
});

test("phone width: nothing overflows sideways", async () => {
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  try {
    const p = await phone.newPage();
    const errs = watchConsole(p);
    await openPage(p);
    await ready(p);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    assert.deepEqual(errs, []);
  } finally {
    await phone.close();
  }
});

test("keyboard: the file picker, the options and the share controls are reachable with Tab", async () => {
  await openPage();
  await ready();
  const seen = new Set();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const d = await page.evaluate(() => {
      const a = document.activeElement;
      return a ? `${a.tagName}#${a.id}|${a.getAttribute("name") || ""}|${a.textContent.trim().slice(0, 20)}|${a.getAttribute("aria-label") || ""}` : "";
    });
    seen.add(d);
  }
  const all = [...seen].join("\n");
  assert.match(all, /INPUT#file-input/);
  assert.match(all, /\|route\|/);
  assert.match(all, /\|kind\|/);
  assert.match(all, /Get a share link/);
});

test("plain messages: an expired link, a wrong type, the store down", async () => {
  // Opened after it expired: the page says so, no stack trace.
  const p = await context.newPage();
  try {
    await openPage(p, mint(["--bucket", bucket, "--prefix", "uploads/", "--methods", "GET,PUT,LIST", "--exp", "1000"]));
    await ready(p);
    const text = await p.textContent("#banner");
    assert.match(text, /expired/i);
    assert.doesNotMatch(text, /at .*\.js|Error:|\{/);

    // Expires while the page is open: the upload says so and offers a retry.
    await openPage(p, mint(["--bucket", bucket, "--prefix", "uploads/", "--methods", "GET,PUT,LIST", "--ttl", "3"]));
    await ready(p);
    await new Promise((r) => setTimeout(r, 4000));
    await setMode("edge", "put", p);
    await p.setInputFiles("#file-input", tmpFile("late.txt", Buffer.from("too late\n")));
    const late = await settled("late.txt", p);
    assert.equal(late.state, "failed");
    assert.match(late.status, /access link has expired/i);
    assert.equal(await p.locator('#queue li[data-name="late.txt"] button', { hasText: "Retry" }).isVisible(), true);

    // A type the link does not allow.
    await openPage(p, mint(["--bucket", bucket, "--prefix", "uploads/", "--methods", "GET,PUT,LIST", "--content-type", "image/png"]));
    await ready(p);
    await p.setInputFiles("#file-input", tmpFile("wrong.txt", Buffer.from("not an image\n")));
    const wrong = await settled("wrong.txt", p);
    assert.equal(wrong.state, "failed");
    assert.match(wrong.status, /type of file is not allowed/i);
    // the same file cannot pass under this link: no Retry that could never succeed
    assert.equal(await p.locator('#queue li[data-name="wrong.txt"] button', { hasText: "Retry" }).isVisible(), false);
  } finally {
    await p.close();
  }
  if (process.env.BAGROOM_BROWSER_URL || R2) return; // (an R2 binding has no endpoint to take down)
  // The store down: a gateway whose store does not answer.
  const down = await gateway(bucket, { STORE_ENDPOINT: "http://127.0.0.1:9", BAGROOM_STORE_TIMEOUT_MS: "2000" });
  const q = await context.newPage();
  try {
    await q.goto(`${down.url}/?token=${encodeURIComponent(token)}`);
    await ready(q);
    await setMode("edge", "put", q);
    await q.setInputFiles("#file-input", tmpFile("nowhere.txt", Buffer.from("store down\n")));
    const r = await settled("nowhere.txt", q);
    assert.equal(r.state, "failed");
    assert.match(r.status, /storage service is not responding/i);
  } finally {
    await q.close();
    await down.close();
  }
});
