// Foundation slice: healthz, token-authorised GET/HEAD streamed from the store, S3-style errors,
// configuration errors that name the setting.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startGateway, createBucket, storePut, uniqueBucket, mint, xmlField } from "./harness.mjs";

const bucket = uniqueBucket("found");
let gw;
const body = randomBytes(200_000);

before(async () => {
  await createBucket(bucket);
  await storePut(bucket, "docs/report.bin", body, { ContentType: "application/x-test" });
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

test("healthz reports version, commit and the store", async () => {
  const r = await fetch(`${gw.url}/healthz`);
  assert.equal(r.status, 200);
  const j = await r.json();
  assert.equal(j.service, "bagroom");
  assert.match(j.version, /^\d+\.\d+\.\d+/);
  assert.ok(j.commit);
  assert.equal(j.ok, true);
  assert.equal(j.stores[0].ok, true);
});

test("GET with a token streams the object with the store's metadata", async () => {
  const t = mint(["--bucket", bucket, "--key", "docs/report.bin", "--methods", "GET,HEAD"]);
  const r = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${t}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/x-test");
  assert.equal(r.headers.get("content-length"), String(body.length));
  assert.match(r.headers.get("etag"), /^"[0-9a-f]+"$/);
  assert.ok(r.headers.get("last-modified"));
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), body);
});

test("HEAD with a token gives the same headers and no body", async () => {
  const t = mint(["--bucket", bucket, "--key", "docs/report.bin", "--methods", "GET"]);
  const g = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${t}`);
  await g.arrayBuffer();
  const h = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${t}`, { method: "HEAD" });
  assert.equal(h.status, 200);
  for (const name of ["content-type", "content-length", "etag", "last-modified"]) {
    assert.equal(h.headers.get(name), g.headers.get(name), name);
  }
  assert.equal((await h.arrayBuffer()).byteLength, 0);
});

test("missing, tampered and expired tokens are 403 with an S3 error saying why", async () => {
  const none = await fetch(`${gw.url}/${bucket}/docs/report.bin`);
  assert.equal(none.status, 403);
  assert.equal(xmlField(await none.text(), "Code"), "AccessDenied");

  const t = mint(["--bucket", bucket, "--key", "docs/report.bin"]);
  const bad = t.slice(0, -3) + (t.endsWith("AAA") ? "BBB" : "AAA");
  const tampered = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${bad}`);
  assert.equal(tampered.status, 403);
  const tx = await tampered.text();
  assert.equal(xmlField(tx, "Code"), "AccessDenied");
  assert.match(xmlField(tx, "Message"), /token/i);
  assert.ok(!tx.includes("test-token-key"), "the error must not leak the secret");

  const expired = mint(["--bucket", bucket, "--key", "docs/report.bin", "--exp", "1000"]);
  const e = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${expired}`);
  assert.equal(e.status, 403);
  assert.match(xmlField(await e.text(), "Message"), /expired/);

  const other = mint(["--bucket", bucket, "--key", "docs/other.bin"]);
  const o = await fetch(`${gw.url}/${bucket}/docs/report.bin?token=${other}`);
  assert.equal(o.status, 403);
  assert.match(xmlField(await o.text(), "Message"), /scope/);
});

test("a missing object is a 404 NoSuchKey", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "docs/"]);
  const r = await fetch(`${gw.url}/${bucket}/docs/nope.txt?token=${t}`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get("content-type"), "application/xml");
  assert.equal(xmlField(await r.text(), "Code"), "NoSuchKey");
});

test("an unknown bucket is a 404 NoSuchBucket", async () => {
  const t = mint(["--prefix", ""]);
  const r = await fetch(`${gw.url}/not-a-bucket/x?token=${t}`);
  assert.equal(r.status, 404);
  assert.equal(xmlField(await r.text(), "Code"), "NoSuchBucket");
});

test("CORS: a preflight allows any method and header; every answer, errors too, may be read from any origin", async () => {
  const origin = "https://app.example";
  const pre = await fetch(`${gw.url}/${bucket}/docs/report.bin`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "x-amz-content-sha256, content-type" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-methods"), /\bPUT\b/);
  assert.equal(pre.headers.get("access-control-allow-headers"), "*");
  assert.equal(pre.headers.get("access-control-max-age"), "3600");
  const t = mint(["--bucket", bucket, "--key", "docs/report.bin", "--methods", "GET,HEAD"]);
  for (const [url, status] of [[`${gw.url}/${bucket}/docs/report.bin?token=${t}`, 200], [`${gw.url}/${bucket}/docs/report.bin?token=${t}x`, 403]]) {
    const r = await fetch(url, { headers: { origin } });
    await r.arrayBuffer();
    assert.equal(r.status, status);
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    const exposed = r.headers.get("access-control-expose-headers").toLowerCase().split(/\s*,\s*/);
    for (const name of ["etag", "content-length", "content-range", "x-amz-request-id", "x-amz-version-id"]) assert.ok(exposed.includes(name), name);
    // what only a preflight's answer is read for is not repeated on every answer
    assert.equal(r.headers.get("access-control-allow-methods"), null);
  }
});

test("a missing or malformed setting answers 500 naming the setting", async () => {
  const broken = await startGateway({ bucket, vars: { STORE_ENDPOINT: "ftp://nope" } });
  try {
    const r = await fetch(`${broken.url}/${bucket}/docs/report.bin`);
    assert.equal(r.status, 500);
    assert.match(await r.text(), /STORE_ENDPOINT/);
  } finally {
    await broken.close();
  }
});
