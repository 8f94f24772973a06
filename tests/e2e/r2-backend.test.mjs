// The R2 backend, what only it shows (issue #12): the gateway on an R2 binding (wrangler.toml's
// [env.r2], the harness's BAGROOM_TEST_BACKEND=r2) writes objects into the binding with their
// httpMetadata and customMetadata; objects put into the binding directly are served with S3's
// ETag, Last-Modified, Content-Type and x-amz-meta-*; ranges and conditions (206, 304, 412) come
// from the binding; a STORE_R2_BINDING naming an absent binding is a 500 InvalidConfiguration
// naming it; /api/session says uploads cannot go straight to the store. Runs only in R2 mode
// (scripts/test.sh runs it there); under the S3 backend every test is skipped.
// backends: r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { AwsClient } from "aws4fetch";
import { startGateway, createBucket, uniqueBucket, mint, xmlField, BACKEND, GW_KEY, GW_SECRET, ROOT } from "./harness.mjs";

const R2 = BACKEND === "r2";
const opts = { skip: R2 ? false : "R2 backend only (BAGROOM_TEST_BACKEND=r2)" };
const bucket = uniqueBucket("r2");
const signer = new AwsClient({ accessKeyId: GW_KEY, secretAccessKey: GW_SECRET, service: "s3", region: "us-east-1" });
let gw, r2, token;

before(async () => {
  if (!R2) return;
  await createBucket(bucket);
  r2 = await (await import("./r2-local.mjs")).r2Bucket(ROOT, bucket);
  gw = await startGateway({ bucket });
  token = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD,PUT,LIST"]);
});
after(async () => gw?.close());

const url = (key, q = "") => `${gw.url}/${bucket}/${key}${q}`;

test("a PUT through the gateway lands in the binding with its httpMetadata and customMetadata", opts, async () => {
  const body = randomBytes(4321);
  const req = await signer.sign(new Request(url("w/put.bin"), {
    method: "PUT", body,
    headers: {
      "content-type": "application/x-bagroom-r2", "cache-control": "max-age=60", "content-disposition": 'attachment; filename="p.bin"',
      "content-language": "de", "x-amz-meta-owner": "alice", "x-amz-meta-Colour": "blue",
    },
  }));
  const r = await fetch(req);
  assert.equal(r.status, 200, await r.text());
  const etag = r.headers.get("etag");
  const o = await r2.get("w/put.bin");
  assert.ok(o, "the object is in the binding");
  assert.ok(Buffer.from(await o.arrayBuffer()).equals(body));
  assert.equal(o.httpMetadata.contentType, "application/x-bagroom-r2");
  assert.equal(o.httpMetadata.cacheControl, "max-age=60");
  assert.equal(o.httpMetadata.contentDisposition, 'attachment; filename="p.bin"');
  assert.equal(o.httpMetadata.contentLanguage, "de");
  assert.deepEqual(o.customMetadata, { owner: "alice", colour: "blue" });
  assert.equal(etag, `"${o.etag}"`, "the PUT's ETag is the binding's");
});

test("an object put into the binding is served with ETag, Last-Modified, Content-Type and x-amz-meta-*", opts, async () => {
  const body = randomBytes(20_000);
  const o = await r2.put("seed/obj.bin", body, {
    httpMetadata: { contentType: "image/x-r2", cacheControl: "no-transform", contentDisposition: "inline", contentEncoding: "identity" },
    customMetadata: { owner: "bob", n: "7" },
  });
  for (const method of ["GET", "HEAD"]) {
    const r = await fetch(url("seed/obj.bin", `?token=${token}`), { method });
    const got = Buffer.from(await r.arrayBuffer());
    assert.equal(r.status, 200, `${method}: ${got}`);
    assert.equal(r.headers.get("etag"), `"${o.etag}"`, method);
    assert.equal(r.headers.get("last-modified"), o.uploaded.toUTCString(), method);
    assert.equal(r.headers.get("content-type"), "image/x-r2", method);
    assert.equal(r.headers.get("cache-control"), "no-transform", method);
    assert.equal(r.headers.get("content-disposition"), "inline", method);
    assert.equal(r.headers.get("x-amz-meta-owner"), "bob", method);
    assert.equal(r.headers.get("x-amz-meta-n"), "7", method);
    assert.equal(r.headers.get("content-length"), String(body.length), method);
    if (method === "GET") assert.ok(got.equals(body));
    else assert.equal(got.length, 0);
  }
});

test("ranges and conditions from the binding: 206, 416, 304, 412", opts, async () => {
  const body = randomBytes(10_000);
  const o = await r2.put("cond/obj.bin", body, { httpMetadata: { contentType: "application/octet-stream" } });
  const etag = `"${o.etag}"`;
  const lm = o.uploaded.toUTCString();
  // a caching-off gateway too, so every answer here is the binding's, not the edge cache's
  const nc = await startGateway({ bucket, vars: { BAGROOM_CACHE: "false" } });
  try {
    for (const g of [gw, nc]) {
      const u = `${g.url}/${bucket}/cond/obj.bin?token=${token}`;
      const r = await fetch(u, { headers: { range: "bytes=100-199" } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("content-range"), `bytes 100-199/${body.length}`);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(body.subarray(100, 200)));
      const suffix = await fetch(u, { headers: { range: "bytes=-10" } });
      assert.equal(suffix.status, 206);
      assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(body.length - 10)));
      const bad = await fetch(u, { headers: { range: `bytes=${body.length}-` } });
      assert.equal(bad.status, 416);
      assert.equal(xmlField(await bad.text(), "Code"), "InvalidRange");
      const cases = [
        [{ "if-none-match": etag }, 304],
        [{ "if-none-match": '"0000"' }, 200],
        [{ "if-match": etag }, 200],
        [{ "if-match": '"0000"' }, 412],
        [{ "if-modified-since": lm }, 304],
        [{ "if-unmodified-since": new Date(Date.parse(lm) - 86_400_000).toUTCString() }, 412],
      ];
      for (const [headers, status] of cases) {
        for (const method of ["GET", "HEAD"]) {
          const c = await fetch(u, { method, headers });
          const text = await c.text();
          assert.equal(c.status, status, `${g === nc ? "no cache" : "cache"} ${method} ${JSON.stringify(headers)}: ${text}`);
          if (status === 304) assert.equal(c.headers.get("etag"), etag);
          if (status === 412 && method === "GET") assert.equal(xmlField(text, "Code"), "PreconditionFailed");
        }
      }
    }
  } finally {
    await nc.close();
  }
});

test("a missing object is 404 NoSuchKey; a listing shows the binding's keys", opts, async () => {
  await r2.put("list/a.txt", "a");
  await r2.put("list/b/c.txt", "c");
  const miss = await fetch(url("list/none.txt", `?token=${token}`));
  assert.equal(miss.status, 404);
  assert.equal(xmlField(await miss.text(), "Code"), "NoSuchKey");
  const l = await fetch(`${gw.url}/${bucket}?list-type=2&prefix=list/&delimiter=/&token=${token}`);
  const xml = await l.text();
  assert.equal(l.status, 200, xml);
  assert.match(xml, /<Key>list\/a\.txt<\/Key>/);
  assert.match(xml, /<Prefix>list\/b\/<\/Prefix>/);
});

test("STORE_R2_BINDING naming an absent binding answers 500 InvalidConfiguration naming it", opts, async () => {
  const g = await startGateway({ bucket, vars: { STORE_R2_BINDING: "NO_SUCH_R2" } });
  try {
    const r = await fetch(`${g.url}/${bucket}/seed/obj.bin?token=${token}`);
    const text = await r.text();
    assert.equal(r.status, 500, text);
    assert.equal(xmlField(text, "Code"), "InvalidConfiguration");
    assert.match(text, /NO_SUCH_R2/);
  } finally {
    await g.close();
  }
});

test("/api/session: uploads cannot go straight to the store (no presigned URLs, no POST policy)", opts, async () => {
  const t = mint(["--bucket", bucket, "--prefix", "up/", "--methods", "GET,PUT"]);
  const r = await fetch(`${gw.url}/api/session`, { headers: { authorization: `Bearer ${t}` } });
  const j = await r.json();
  assert.equal(r.status, 200, JSON.stringify(j));
  assert.equal(j.direct_uploads, false);
  assert.equal(j.post_policy, false);
  assert.equal(j.store_url, null);
});
