// Two data centres: two workerd instances (two harnesses, each with its own Cache API storage, as
// two Cloudflare data centres have) in front of one store bucket, through a counting proxy. A
// `cache.delete` purges only the gateway that wrote. In `revalidate` mode (the default) every
// hit is confirmed with the store (If-None-Match), so a write or DELETE through A, or straight to
// the store, is what B answers at once, for GET, HEAD, ranges and conditions; a confirmed hit
// fetches no body from the store. In `ttl` mode (`fixed/=ttl=3600` here) B serves its copy
// without asking until its TTL ends: the documented stale window, while A, which purged
// locally, is fresh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { startGateway, createBucket, storePut, store, uniqueBucket, mint, xmlField, untilLabel } from "./harness.mjs";
import { startStoreProxy } from "./store-proxy.mjs";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";

const bucket = uniqueBucket("2dc");
let proxy, A, B, t;
const md5 = (b) => `"${createHash("md5").update(b).digest("hex")}"`;

before(async () => {
  await createBucket(bucket);
  proxy = await startStoreProxy();
  const vars = { STORE_ENDPOINT: proxy.url, BAGROOM_CACHE_RULES: "fixed/=ttl=3600" };
  A = await startGateway({ bucket, vars });
  B = await startGateway({ bucket, vars });
  A.name = "A";
  B.name = "B";
  t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD,PUT,DELETE"]);
});
after(async () => {
  await A?.close();
  await B?.close();
  await proxy?.close();
});

const url = (g, key) => `${g.url}/${bucket}/${key}?token=${t}`;

async function get(g, key, init = {}) {
  const r = await fetch(url(g, key), init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, label: r.headers.get("x-bagroom-cache"), code: xmlField(body.toString(), "Code") };
}

/** GET until the label is `label` (a fill runs in the background after the answer). */
const until = (g, key, label) => untilLabel(get, g, key, label);

async function put(g, key, body) {
  const r = await fetch(url(g, key), { method: "PUT", body });
  assert.equal(r.status, 200, `PUT through ${g.name}: ${await r.text()}`);
  return r.headers.get("etag");
}

async function del(g, key) {
  const r = await fetch(url(g, key), { method: "DELETE" });
  assert.equal(r.status, 204, `DELETE through ${g.name}`);
}

test("the two gateways have separate caches (a HIT on A is a MISS on B)", async () => {
  for (const [key, label] of [["fixed/separate.bin", "HIT"], ["r/separate.bin", "REVALIDATED"]]) {
    await storePut(bucket, key, randomBytes(3000));
    const a1 = await get(A, key);
    assert.equal(a1.label, "MISS", `A's first GET of ${key}`);
    await until(A, key, label);
    const b1 = await get(B, key);
    assert.equal(b1.label, "MISS", `B's first GET of ${key} after A cached it: B has its own cache`);
    await until(B, key, label);
  }
});

test("revalidate: a write through one gateway is what the other answers at once, for GET, HEAD, ranges and conditions", async (ctx) => {
  const key = "r/object.bin";
  let cur = randomBytes(5000);
  await storePut(bucket, key, cur);
  // each probe is the first request to the reader after the writer changed the object
  const probes = [
    ["GET", {}, (r, now) => assert.ok(r.status === 200 && r.body.equals(now.body), "new bytes")],
    ["HEAD", { method: "HEAD" }, (r, now) => {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("etag"), now.etag);
      assert.equal(r.headers.get("content-length"), String(now.body.length));
    }],
    ["Range", { headers: { range: "bytes=10-19" } }, (r, now) => {
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("content-range"), `bytes 10-19/${now.body.length}`);
      assert.ok(r.body.equals(now.body.subarray(10, 20)), "the new object's range");
    }],
    ["HEAD Range", { method: "HEAD", headers: { range: "bytes=0-0" } }, (r, now) => {
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("content-range"), `bytes 0-0/${now.body.length}`);
    }],
    ["If-None-Match: the old ETag", (old) => ({ headers: { "if-none-match": old.etag } }), (r, now) => {
      assert.equal(r.status, 200, "the object changed: not a 304");
      assert.ok(r.body.equals(now.body));
    }],
    ["If-None-Match: the new ETag", (old, now) => ({ headers: { "if-none-match": now.etag } }), (r, now) => {
      assert.equal(r.status, 304);
      assert.equal(r.headers.get("etag"), now.etag);
    }],
    ["If-Match: the old ETag", (old) => ({ headers: { "if-match": old.etag } }), (r) => {
      assert.equal(r.status, 412);
      assert.equal(r.code, "PreconditionFailed");
    }],
    ["If-Range: the old ETag", (old) => ({ headers: { range: "bytes=0-9", "if-range": old.etag } }), (r, now) => {
      assert.equal(r.status, 200, "If-Range does not hold for the new object: all of it");
      assert.ok(r.body.equals(now.body));
    }],
  ];
  for (const [writer, reader] of [[A, B], [B, A]]) {
    for (const [name, init, check] of probes) {
      // both hold the current object, confirmed
      const old = { body: cur, etag: md5(cur) };
      for (const g of [writer, reader]) assert.ok((await until(g, key, "REVALIDATED")).body.equals(cur));
      cur = randomBytes(4000 + Math.floor(Math.random() * 2000));
      const now = { body: cur, etag: await put(writer, key, cur) };
      assert.equal(now.etag, md5(cur));
      const r = await get(reader, key, typeof init === "function" ? init(old, now) : init);
      ctx.diagnostic(`${name} through ${reader.name}: ${r.status} ${r.label}`);
      check(r, now);
      assert.notEqual(r.label, "REVALIDATED", `${name} through ${reader.name}: the changed object is no confirmed hit`);
      // and the writer, which purged locally, agrees
      const w = await get(writer, key);
      assert.ok(w.body.equals(cur), `${name}: ${writer.name} reads its own write`);
    }
  }
  // once refilled, the reader's new copy is confirmed
  assert.ok((await until(A, key, "REVALIDATED")).body.equals(cur));
});

test("revalidate: a DELETE through A is a 404 NoSuchKey through B at once (GET, HEAD, range)", async () => {
  for (const probe of [{}, { method: "HEAD" }, { headers: { range: "bytes=0-3" } }, { headers: { "if-none-match": '"x"' } }]) {
    const key = "r/deleted.bin";
    const body = randomBytes(2000);
    await storePut(bucket, key, body);
    for (const g of [A, B]) await until(g, key, "REVALIDATED");
    await del(A, key);
    const r = await get(B, key, probe);
    assert.equal(r.status, 404, `${JSON.stringify(probe)} through B after the DELETE through A`);
    if (probe.method !== "HEAD") assert.equal(r.code, "NoSuchKey");
    const a = await get(A, key, probe);
    assert.equal(a.status, 404);
    // B dropped its copy: the object written again straight to the store is a MISS with its bytes
    const again = randomBytes(1000);
    await storePut(bucket, key, again);
    const b2 = await get(B, key);
    assert.equal(b2.label, "MISS");
    assert.ok(b2.body.equals(again));
    await del(B, key);
  }
});

test("revalidate: writes straight to the store (bypassing both gateways) are seen by both", async () => {
  const key = "r/direct.bin";
  await storePut(bucket, key, randomBytes(3000));
  for (const g of [A, B]) await until(g, key, "REVALIDATED");
  const v2 = randomBytes(3500);
  await storePut(bucket, key, v2);
  for (const g of [A, B]) {
    const r = await get(g, key);
    assert.ok(r.body.equals(v2), `${g.name} reads the store's new bytes`);
    assert.equal(r.label, "MISS");
    const h = await get(g, key, { method: "HEAD" });
    assert.equal(h.headers.get("etag"), md5(v2));
  }
  for (const g of [A, B]) await until(g, key, "REVALIDATED");
  await store.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  for (const g of [A, B]) {
    const r = await get(g, key);
    assert.equal(r.status, 404, `${g.name} after the store's DELETE`);
    assert.equal(r.code, "NoSuchKey");
  }
});

test("ttl (fixed/=ttl=3600): B serves its copy without asking the store, the documented stale window; A purged locally and is fresh", async () => {
  const key = "fixed/object.bin";
  const v1 = randomBytes(6000);
  await storePut(bucket, key, v1);
  for (const g of [A, B]) await until(g, key, "HIT");
  const v2 = randomBytes(6100);
  const e2 = await put(A, key, v2);
  const a = await get(A, key);
  assert.equal(a.label, "MISS", "A purged its copy when the write went through it");
  assert.ok(a.body.equals(v2));
  proxy.reset();
  // B: the old copy, consistently, for every kind of request, and not one store request
  const b = await get(B, key);
  assert.equal(b.label, "HIT");
  assert.ok(b.body.equals(v1), "B serves the old bytes until its TTL ends");
  const bh = await get(B, key, { method: "HEAD" });
  assert.equal(bh.headers.get("etag"), md5(v1));
  assert.equal(bh.label, "HIT");
  const br = await get(B, key, { headers: { range: "bytes=0-9" } });
  assert.equal(br.status, 206);
  assert.ok(br.body.equals(v1.subarray(0, 10)));
  assert.equal(br.label, "HIT");
  const b304 = await get(B, key, { headers: { "if-none-match": md5(v1) } });
  assert.equal(b304.status, 304);
  const bNew = await get(B, key, { headers: { "if-none-match": e2 } });
  assert.equal(bNew.status, 200);
  assert.ok(bNew.body.equals(v1));
  assert.deepEqual(proxy.log.map((e) => `${e.method} ${e.url}`), [], "a ttl hit never asks the store");
  // a DELETE through A: A answers 404, B still serves its copy
  await del(A, key);
  assert.equal((await get(A, key)).status, 404);
  const bd = await get(B, key);
  assert.equal(bd.status, 200);
  assert.equal(bd.label, "HIT");
  assert.ok(bd.body.equals(v1));
});

test("a revalidated 1 MiB hit fetches no body from the store; a miss fetches it all", async (ctx) => {
  const key = "r/one-mib.bin";
  const big = randomBytes(1024 * 1024);
  await storePut(bucket, key, big);
  proxy.reset();
  const miss = await get(B, key);
  assert.equal(miss.label, "MISS");
  const missBytes = proxy.log.filter((e) => e.method === "GET").reduce((n, e) => n + e.bytes, 0);
  assert.ok(missBytes >= big.length, `a miss fetched ${missBytes} bytes`);
  await until(B, key, "REVALIDATED");
  proxy.reset();
  const n = 5;
  for (let i = 0; i < n; i++) {
    const r = await get(B, key);
    assert.equal(r.label, "REVALIDATED");
    assert.ok(r.body.equals(big));
  }
  const asked = proxy.log.map((e) => [e.method, e.status, e.ifNoneMatch]);
  assert.deepEqual(asked, Array(n).fill(["GET", 304, md5(big)]), "one conditional GET per hit, each a 304");
  const perHit = proxy.bytes() / n;
  ctx.diagnostic(`store body bytes per revalidated 1 MiB hit: ${perHit}`);
  assert.ok(perHit <= big.length / 100, `store body bytes per revalidated hit: ${perHit} (≤ 1% of ${big.length})`);
});
