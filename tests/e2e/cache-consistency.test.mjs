// The edge cache when the store misbehaves, through a proxy that can hold, fail or drop the
// store's answers (tests/e2e/store-proxy.mjs):
// - a write whose outcome is unknown (the store took it but answered too late: 504; or answered
//   5xx; or could not be reached: 502) purges the cached copy before the error is answered, for
//   every write (PUT, copy, complete, DELETE, DeleteObjects, tagging), so the next GET answers
//   what the store holds, never the old copy (checked in `ttl` mode, where a copy left behind
//   would be served without asking the store);
// - a `revalidate` hit the store cannot confirm is served STALE within
//   BAGROOM_CACHE_STALE_IF_ERROR, and is the store's error without it; the copy is kept;
// - /healthz reports the consistency rules in force, and on *.workers.dev that nothing caches.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { randomBytes, createHash } from "node:crypto";
import {
  S3Client, PutObjectCommand, CopyObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  DeleteObjectCommand, DeleteObjectsCommand, PutObjectTaggingCommand, DeleteObjectTaggingCommand, GetObjectCommand,
} from "@aws-sdk/client-s3";
import { startGateway, createBucket, storePut, store, uniqueBucket, mint, xmlField, GW_KEY, GW_SECRET, untilLabel } from "./harness.mjs";
import { startStoreProxy } from "./store-proxy.mjs";

const bucket = uniqueBucket("consist");
const TIMEOUT_MS = 1500;
let proxy, T, S, t, s3;
const md5 = (b) => `"${createHash("md5").update(b).digest("hex")}"`;

before(async () => {
  await createBucket(bucket);
  proxy = await startStoreProxy();
  const common = { STORE_ENDPOINT: proxy.url, BAGROOM_STORE_TIMEOUT_MS: String(TIMEOUT_MS) };
  // T: ttl mode (hits never ask the store), except rv/ (revalidate without stale-if-error)
  T = await startGateway({ bucket, vars: { ...common, BAGROOM_CACHE_MODE: "ttl", BAGROOM_CACHE_RULES: "rv/=revalidate" } });
  // S: revalidate (the default) with a stale-if-error window
  S = await startGateway({ bucket, vars: { ...common, BAGROOM_CACHE_STALE_IF_ERROR: "600" } });
  T.name = "T";
  S.name = "S";
  t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD"]);
  s3 = new S3Client({
    endpoint: T.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET },
  });
});
after(async () => {
  await T?.close();
  await S?.close();
  await proxy?.close();
});

async function get(g, key, init = {}) {
  const r = await fetch(`${g.url}/${bucket}/${key}?token=${t}`, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, label: r.headers.get("x-bagroom-cache"), code: xmlField(body.toString(), "Code") };
}

const until = (g, key, label) => untilLabel(get, g, key, label);

/** What the store itself holds at `key`: status, bytes, tag count. */
async function inStore(key) {
  try {
    const r = await store.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { status: 200, body: Buffer.from(await r.Body.transformToByteArray()), tags: r.TagCount ?? 0 };
  } catch (e) {
    return { status: e.$metadata?.httpStatusCode ?? 0 };
  }
}

/** The gateway's status for an SDK call. */
async function statusOf(p) {
  try {
    const r = await p;
    return r.$metadata.httpStatusCode;
  } catch (e) {
    return e.$metadata?.httpStatusCode ?? `no answer: ${e.message}`;
  }
}

const isQuery = (name) => (r) => new URL(r.url, "http://x").searchParams.has(name);

// Every write the gateway makes, the store request that carries it (held, failed or dropped),
// and the keys whose cached copies it must purge.
const WRITES = [
  {
    name: "PutObject",
    keys: ["put"],
    store: (r) => r.method === "PUT" && !r.url.includes("?") && !r.headers["x-amz-copy-source"],
    run: ([k]) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: randomBytes(2048) })),
  },
  {
    name: "CopyObject",
    keys: ["copy"],
    setup: ([k]) => storePut(bucket, `${k}.src`, randomBytes(1500)),
    store: (r) => r.method === "PUT" && !!r.headers["x-amz-copy-source"],
    run: ([k]) => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: k, CopySource: `${bucket}/${k}.src` })),
  },
  {
    name: "CompleteMultipartUpload",
    keys: ["mp"],
    setup: async ([k], state) => {
      const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k }));
      const p = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: c.UploadId, PartNumber: 1, Body: randomBytes(3000) }));
      state.upload = { id: c.UploadId, etag: p.ETag };
    },
    store: (r) => r.method === "POST" && isQuery("uploadId")(r),
    run: ([k], state) => s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: k, UploadId: state.upload.id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: state.upload.etag }] },
    })),
  },
  {
    name: "DeleteObject",
    keys: ["del"],
    store: (r) => r.method === "DELETE" && !r.url.includes("?"),
    run: ([k]) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k })),
  },
  {
    name: "DeleteObjects",
    keys: ["dels-1", "dels-2"],
    store: (r) => r.method === "POST" && isQuery("delete")(r),
    run: (ks) => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ks.map((Key) => ({ Key })) } })),
  },
  {
    name: "PutObjectTagging",
    keys: ["tag"],
    store: (r) => r.method === "PUT" && isQuery("tagging")(r),
    run: ([k]) => s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: k, Tagging: { TagSet: [{ Key: "a", Value: "b" }] } })),
  },
  {
    name: "DeleteObjectTagging",
    keys: ["untag"],
    tagged: true,
    store: (r) => r.method === "DELETE" && isQuery("tagging")(r),
    run: ([k]) => s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: k })),
  },
];

// hold: the store did the write, the gateway timed out (504); fail: the store answered 503 (502);
// down: the connection dropped (502).
const MODES = [["hold", 504], ["fail", 502], ["down", 502]];

for (const [mode, expected] of MODES) {
  test(`a write whose outcome is unknown (${mode}: ${expected}) purges the cached copy: the next GET answers what the store holds`, async (ctx) => {
    for (const w of WRITES) {
      const keys = w.keys.map((k) => `w/${mode}/${k}.bin`);
      const state = {};
      for (const k of keys) await storePut(bucket, k, randomBytes(1000), w.tagged ? { Tagging: "x=y" } : {});
      if (w.setup) await w.setup(keys, state);
      for (const k of keys) await until(T, k, "HIT");
      proxy[mode]((r) => w.store(r));
      const status = await statusOf(w.run(keys, state));
      if (mode === "hold") await proxy.heldAnswers(1);
      proxy.pass();
      assert.equal(status, expected, `${w.name} (${mode})`);
      for (const k of keys) {
        const r = await get(T, k);
        const s = await inStore(k);
        ctx.diagnostic(`${w.name} ${mode}: ${k} → gateway ${r.status} ${r.label}, store ${s.status}`);
        assert.notEqual(r.label, "HIT", `${w.name} (${mode}): ${k} was purged`);
        assert.equal(r.status, s.status, `${w.name} (${mode}): ${k} status as in the store`);
        if (s.status === 200) {
          assert.ok(r.body.equals(s.body), `${w.name} (${mode}): ${k} bytes as in the store`);
          assert.equal(Number(r.headers.get("x-amz-tagging-count") ?? 0), s.tags, `${w.name} (${mode}): ${k} tag count`);
        }
      }
    }
  });
}

test("the store down, failing or too slow: a revalidate hit is STALE within BAGROOM_CACHE_STALE_IF_ERROR, else the error; the copy is kept", async () => {
  for (const [g, key, stale] of [[S, "s/stale.bin", true], [T, "rv/stale.bin", false]]) {
    const body = randomBytes(4000);
    await storePut(bucket, key, body);
    await until(g, key, "REVALIDATED");
    const probes = [
      [{}, (r) => assert.ok(r.status === 200 && r.body.equals(body))],
      [{ method: "HEAD" }, (r) => assert.equal(r.headers.get("content-length"), String(body.length))],
      [{ headers: { range: "bytes=5-14" } }, (r) => assert.ok(r.status === 206 && r.body.equals(body.subarray(5, 15)))],
      [{ headers: { "if-none-match": md5(body) } }, (r) => assert.equal(r.status, 304)],
    ];
    for (const [mode, status] of MODES) {
      proxy[mode]((r) => r.url.includes(key));
      for (const [init, check] of probes) {
        const r = await get(g, key, init);
        const what = `${g.name} ${mode} ${JSON.stringify(init)}`;
        if (stale) {
          assert.equal(r.label, "STALE", what);
          check(r);
        } else {
          assert.equal(r.status, status, what);
          if (init.method !== "HEAD") assert.equal(r.code, status === 504 ? "GatewayTimeout" : "BadGateway", what);
        }
      }
      proxy.pass();
      const back = await get(g, key);
      assert.equal(back.label, "REVALIDATED", `${g.name} after ${mode}: the copy was kept`);
      assert.ok(back.body.equals(body));
    }
  }
});

function rawGet(g, path, host) {
  const u = new URL(g.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      let d = "";
      res.on("data", (c) => (d += c));
      res.on("end", () => resolve({ status: res.statusCode, body: d }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("/healthz reports the consistency rules in force, and that *.workers.dev does not cache", async () => {
  const s = await (await fetch(`${S.url}/healthz`)).json();
  assert.deepEqual(s.cache, {
    enabled: true, edge_cache: true, default: { mode: "revalidate", ttl: 3600 }, rules: [], stale_if_error: 600, max_object_bytes: 104857600,
  });
  const tz = await (await fetch(`${T.url}/healthz`)).json();
  assert.deepEqual(tz.cache.default, { mode: "ttl", ttl: 3600 });
  assert.deepEqual(tz.cache.rules, [{ prefix: "rv/", mode: "revalidate", ttl: 3600 }]);
  assert.equal(tz.cache.stale_if_error, 0);
  const wd = await rawGet(S, "/healthz", "bagroom.example.workers.dev");
  const c = JSON.parse(wd.body).cache;
  assert.equal(c.edge_cache, false);
  assert.match(c.warning, /workers\.dev.*custom domain or route/);
});
