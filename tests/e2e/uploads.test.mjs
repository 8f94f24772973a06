// Edge uploads, end to end: the real worker under workerd in front of the real store, with real
// clients (fetch, curl, boto3, aws-cli, the JS SDK). Every upload is checked byte for byte in the
// store itself; every refused upload leaves the store unchanged (no object, no multipart upload).
// backends: s3 r2
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import fs from "node:fs";
import zlib from "node:zlib";
import { Readable } from "node:stream";
import { S3Client, ListMultipartUploadsCommand, CreateMultipartUploadCommand, HeadObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  startGateway, createBucket, uniqueBucket, mint, storeGet, storeKeys, storePut, store, python, aws, curl,
  tmpFile, xmlField, workerdPids, rssBytes, GW_KEY, GW_SECRET, STORE_URL,
  storeHead, storeBody, BACKEND, onlyS3,
} from "./harness.mjs";

const MiB = 1024 * 1024;
const sha = (b) => createHash("sha256").update(b).digest("hex");
// aws-cli 1.46 rejects an empty AWS_CA_BUNDLE (the harness sets one): drop it.
const AWS_ENV = { AWS_CA_BUNDLE: undefined };

const bucket = uniqueBucket("up");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

// ---------------------------------------------------------------- helpers

/** Every multipart upload in progress in the store under `prefix` (null on R2: the binding cannot list them). */
async function storeUploads(b, prefix = "") {
  if (BACKEND === "r2") return null;
  const r = await store.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: prefix }));
  return (r.Uploads || []).map((u) => ({ key: u.Key, id: u.UploadId }));
}

async function storeSha(b, key) {
  return sha(await storeGet(b, key));
}

async function storeHas(b, key) {
  return (await storeKeys(b, key)).includes(key);
}

/** The store holds nothing at `prefix`: no object, no multipart upload. */
async function assertStoreEmpty(b, prefix, what) {
  assert.deepEqual(await storeKeys(b, prefix), [], `${what}: no object under ${prefix}`);
  await assertNoUploads(b, prefix, what);
}

/** No multipart upload in progress under `prefix` (not checked on R2: the binding cannot list uploads). */
async function assertNoUploads(b, prefix, what = "") {
  const uploads = await storeUploads(b, prefix);
  if (uploads !== null) assert.deepEqual(uploads, [], `${what}: no multipart upload under ${prefix}`);
}

/** The error code bagroom answered (its x-bagroom-error header, the XML or the JSON body). */
async function errCode(r) {
  const text = await r.text();
  const fromBody = xmlField(text, "Code") ?? (() => { try { return JSON.parse(text).error.code; } catch { return undefined; } })();
  return r.headers.get("x-bagroom-error") ?? fromBody;
}

const url = (key, q = "") => `${gw.url}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}${q}`;

/** `size` random bytes made on the fly in `chunk`-sized pieces (never held whole), with a running sha256. */
function randomSource(size, chunk = 256 * 1024) {
  const hash = createHash("sha256");
  async function* gen() {
    for (let left = size; left > 0;) {
      const b = randomBytes(Math.min(chunk, left));
      hash.update(b);
      left -= b.length;
      yield b;
    }
  }
  return { gen, digest: () => hash.digest("hex") };
}

/** boto3 client preamble for the gateway (path style, the gateway's own access key). */
function boto(extraConfig = "") {
  return `
import boto3, hashlib, os, sys, json
from botocore.config import Config
URL = os.environ["GW_URL"]; B = os.environ["BUCKET"]
s3 = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="${GW_KEY}",
    aws_secret_access_key="${GW_SECRET}", config=Config(s3={"addressing_style": "path"}${extraConfig}))
`;
}
const pyEnv = () => ({ GW_URL: gw.url, BUCKET: bucket });

// ---------------------------------------------------------------- proxied PUT

const SIZES = [0, 1, 10 * MiB];

describe("proxied PUT, byte for byte", () => {
  for (const size of SIZES) {
    test(`token in ?token=: ${size} B`, async () => {
      const key = `put/query-${size}.bin`;
      const body = randomBytes(size);
      const t = mint(["--bucket", bucket, "--prefix", "put/", "--methods", "PUT"]);
      const r = await fetch(url(key, `?token=${t}`), { method: "PUT", body, headers: { "content-type": "application/x-test" } });
      assert.equal(r.status, 200, await r.clone().text());
      assert.match(r.headers.get("etag"), /^"[0-9a-f-]+"$/);
      await r.arrayBuffer();
      const got = await storeGet(bucket, key);
      assert.equal(got.length, size);
      assert.equal(sha(got), sha(body));
      const head = await storeHead(bucket, key);
      assert.equal(head.ContentType, "application/x-test");
    });

    test(`token as Authorization: Bearer: ${size} B`, async () => {
      const key = `put/bearer-${size}.bin`;
      const body = randomBytes(size);
      const t = mint(["--bucket", bucket, "--key", key, "--methods", "PUT"]);
      const r = await fetch(url(key), { method: "PUT", body, headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.status, 200, await r.clone().text());
      await r.arrayBuffer();
      assert.equal(await storeSha(bucket, key), sha(body));
    });
  }

  test("SigV4 from boto3 put_object: 0 B, 1 B, 10 MiB", async () => {
    const files = SIZES.map((n) => {
      const body = randomBytes(n);
      return { n, key: `put/boto-${n}.bin`, path: tmpFile(`boto-${n}-${bucket}.bin`, body), sha: sha(body) };
    });
    // Each put on its own connection: after boto3's empty PUT (sent with Expect: 100-continue),
    // its next request on the same connection stalls until its read timeout when the gateway is
    // served by wrangler's test harness (this process's node server), and boto3 then retries it.
    // Not the worker's: the same sequence against the worker under Miniflare, or against the
    // store directly, answers at once.
    const out = await python(boto() + `
for p, k in json.loads(os.environ["FILES"]):
    s3 = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="${GW_KEY}",
        aws_secret_access_key="${GW_SECRET}", config=Config(s3={"addressing_style": "path"}))
    with open(p, "rb") as f:
        r = s3.put_object(Bucket=B, Key=k, Body=f.read())
    print(k, r["ETag"])
`, { ...pyEnv(), FILES: JSON.stringify(files.map((f) => [f.path, f.key])) });
    assert.equal(out.trim().split("\n").length, 3, out);
    for (const f of files) assert.equal(await storeSha(bucket, f.key), f.sha, f.key);
  });

  test("boto3 put_object with ChecksumAlgorithm SHA256 / CRC32C / CRC32, as a header and as an aws-chunked trailer", async () => {
    const body = randomBytes(MiB + 17);
    const p = tmpFile(`cks-${bucket}.bin`, body);
    // botocore computes CRC32C only with awscrt (not in the test venv): give it a pure-Python
    // CRC32C. Over plain HTTP botocore signs the payload and sends the checksum as a header; over
    // HTTPS (as to AWS) it sends aws-chunked with the checksum as a trailer and an unsigned
    // payload: the second pass makes it take that path to the plain-HTTP gateway.
    const out = await python(boto() + `
from botocore import httpchecksum as hc
from urllib.parse import urlparse
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
class Crc32c(hc.BaseChecksum):
    def __init__(self): self._c = 0xFFFFFFFF
    def update(self, chunk):
        c = self._c
        for b in chunk: c = T[(c ^ b) & 0xFF] ^ (c >> 8)
        self._c = c
    def digest(self): return (self._c ^ 0xFFFFFFFF).to_bytes(4, "big")
hc._CHECKSUM_CLS["crc32c"] = Crc32c
hc._SUPPORTED_CHECKSUM_ALGORITHMS.append("crc32c")
data = open(os.environ["FILE"], "rb").read()
seen = []
s3.meta.events.register("before-send.s3.PutObject", lambda request, **kw: seen.append(
    (request.headers.get("Content-Encoding"), request.headers.get("x-amz-content-sha256"), request.headers.get("x-amz-trailer"))))
for mode in ["header", "trailer"]:
    if mode == "trailer":
        hc.urlparse = lambda u: urlparse(u.replace("http://", "https://", 1))
    for algo in ["SHA256", "CRC32C", "CRC32"]:
        r = s3.put_object(Bucket=B, Key="cks/%s-%s.bin" % (mode, algo), Body=data, ChecksumAlgorithm=algo)
        h = seen[-1]
        if mode == "trailer":
            assert h[0] == b"aws-chunked" and h[1] == b"STREAMING-UNSIGNED-PAYLOAD-TRAILER" and h[2] == ("x-amz-checksum-%s" % algo.lower()).encode(), h
        else:
            assert h[0] is None and len(h[1]) == 64, h
        print(mode, algo, r["ETag"], r.get("Checksum" + algo), h)
`, { ...pyEnv(), FILE: p });
    console.log(out.trim());
    for (const mode of ["header", "trailer"]) {
      for (const algo of ["SHA256", "CRC32C", "CRC32"]) {
        assert.equal(await storeSha(bucket, `cks/${mode}-${algo}.bin`), sha(body), `${mode} ${algo}`);
      }
    }
  });

  test("a wrong trailing checksum is refused (BadDigest) and nothing is stored", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "cks/bad/", "--methods", "PUT"]);
    const body = randomBytes(100_000);
    const framed = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")]);
    const r = await fetch(url("cks/bad/one.bin", `?token=${t}`), {
      method: "PUT", body: framed,
      headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": String(body.length), "x-amz-trailer": "x-amz-checksum-crc32" },
    });
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), "BadDigest");
    await assertStoreEmpty(bucket, "cks/bad/", "bad trailing checksum");
  });

  test("JS SDK PutObject of a stream (aws-chunked, CRC32 trailer) through the filter", async () => {
    const client = new S3Client({
      endpoint: gw.url, region: "us-east-1", forcePathStyle: true,
      credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET },
    });
    const seen = [];
    client.middlewareStack.add((next) => async (args) => { seen.push({ ...args.request.headers }); return next(args); }, { step: "finalizeRequest", name: "capture", priority: "low" });
    const body = randomBytes(3 * MiB + 5);
    const r = await client.send(new PutObjectCommand({ Bucket: bucket, Key: "cks/js-stream.bin", Body: Readable.from([body.subarray(0, MiB), body.subarray(MiB)]), ContentLength: body.length }));
    assert.ok(r.ETag);
    const h = seen.at(-1);
    console.log("JS SDK stream PUT headers:", h["content-encoding"], h["x-amz-content-sha256"], h["x-amz-trailer"]);
    assert.equal(await storeSha(bucket, "cks/js-stream.bin"), sha(body));
  });

  for (const mode of ["raw", "aws-chunked"]) {
    test(`200 MiB streamed PUT (${mode === "raw" ? "fast path: the body is handed to the store" : "aws-chunked + CRC32 trailer: through the Rust filter"}): byte for byte, workerd's memory stays flat`, async () => {
      const size = 200 * MiB;
      const key = `put/big-200MiB-${mode}.bin`;
      const t = mint(["--bucket", bucket, "--key", key, "--methods", "PUT"]);
      const pids = workerdPids();
      assert.ok(pids.length > 0, "workerd runs under this process");
      const rss = () => pids.reduce((s, p) => s + rssBytes(p), 0);
      const base = rss();
      let peak = base;
      const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 50);
      const src = randomSource(size);
      let stream = src.gen(), length = size;
      const headers = { authorization: `Bearer ${t}`, "content-type": "application/octet-stream" };
      if (mode === "aws-chunked") {
        // frame every chunk on the fly; the CRC32 trailer is computed while streaming
        const chunk = 256 * 1024;
        const n = Math.ceil(size / chunk);
        const head = `${chunk.toString(16)}\r\n`.length;
        const trailer = (crc) => `0\r\nx-amz-checksum-crc32:${Buffer.from(Uint32Array.of(crc).buffer).reverse().toString("base64")}\r\n\r\n`;
        length = size + n * (head + 2) + trailer(0).length;
        let crc = 0;
        stream = (async function* () {
          for await (const c of src.gen()) {
            crc = zlib.crc32(c, crc);
            yield Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")]);
          }
          yield Buffer.from(trailer(crc));
        })();
        Object.assign(headers, { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
          "x-amz-decoded-content-length": String(size), "x-amz-trailer": "x-amz-checksum-crc32" });
      }
      headers["content-length"] = String(length);
      const t0 = Date.now();
      try {
        const r = await fetch(url(key), { method: "PUT", body: ReadableStream.from(stream), duplex: "half", headers });
        assert.equal(r.status, 200, await r.clone().text());
        await r.arrayBuffer();
      } finally {
        clearInterval(timer);
      }
      const secs = (Date.now() - t0) / 1000;
      peak = Math.max(peak, rss());
      const growth = peak - base;
      console.log(`200 MiB PUT (${mode}): workerd RSS ${(base / MiB).toFixed(1)} MiB -> peak ${(peak / MiB).toFixed(1)} MiB (growth ${(growth / MiB).toFixed(1)} MiB), ${(size / MiB / secs).toFixed(1)} MiB/s`);
      if (mode === "raw") {
        // the body is handed from the client's stream to the store's without entering JS
        assert.ok(growth < 64 * MiB, `workerd grew by ${(growth / MiB).toFixed(1)} MiB while streaming 200 MiB`);
      } else {
        // Every piece passes through JS (the worker's own pump reads up to 512 KiB at a time
        // into the Rust filter): workerd frees those pieces only at GC, so RSS rises to a
        // high-water mark (measured: ~40 MiB for a 200 MiB body, ~70-110 MiB when the pump was a
        // TransformStream of 4 KiB chunks). Not flat, but never the whole body.
        assert.ok(growth < size / 2, `workerd grew by ${(growth / MiB).toFixed(1)} MiB while streaming 200 MiB through the filter`);
      }
      // the store holds the same bytes (hashed while streaming, never buffered here either)
      const got = createHash("sha256");
      let n = 0;
      for await (const c of await storeBody(bucket, key)) { got.update(c); n += c.length; }
      assert.equal(n, size);
      assert.equal(got.digest("hex"), src.digest());
    });
  }
});

describe("store time limit", () => {
  // Filtered bodies (aws-chunked) start the store's deadline when the body ends; the fast path
  // (the runtime's own stream, no per-chunk work) allows the store's time plus the body at
  // 16 KiB/s. Both bodies here take 3 s against a 1 s limit, at ~40 KiB/s.
  test("an upload that takes longer to send than BAGROOM_STORE_TIMEOUT_MS still completes (the limit is for the store's answer)", async () => {
    const g = await startGateway({ bucket, vars: { BAGROOM_STORE_TIMEOUT_MS: "1000" } });
    try {
      for (const chunked of [false, true]) {
        const key = `slow/${chunked ? "chunked" : "raw"}.bin`;
        const t = mint(["--bucket", bucket, "--key", key, "--methods", "PUT"]);
        const parts = Array.from({ length: 6 }, () => randomBytes(20_000));
        const whole = Buffer.concat(parts);
        async function* slow() {
          for (const p of parts) {
            await new Promise((r) => setTimeout(r, 500));
            yield chunked ? Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]) : p;
          }
          if (chunked) yield Buffer.from("0\r\n\r\n");
        }
        const headers = { authorization: `Bearer ${t}` };
        if (chunked) {
          Object.assign(headers, { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD", "x-amz-decoded-content-length": String(whole.length),
            "content-length": String(whole.length + 6 * (`${(20_000).toString(16)}\r\n`.length + 2) + 5) });
        } else {
          headers["content-length"] = String(whole.length);
        }
        const r = await fetch(`${g.url}/${bucket}/${key}`, { method: "PUT", body: ReadableStream.from(slow()), duplex: "half", headers });
        assert.equal(r.status, 200, `${key}: ${await r.clone().text()}`);
        await r.arrayBuffer();
        assert.equal(await storeSha(bucket, key), sha(whole), key);
      }
    } finally {
      await g.close();
    }
  });
});

// ---------------------------------------------------------------- multipart clients through bagroom

describe("multipart clients through bagroom", () => {
  test("aws s3 cp of a 50 MiB file (multipart)", async () => {
    const body = randomBytes(50 * MiB);
    const p = tmpFile(`cp-${bucket}.bin`, body);
    const r = await aws(["s3", "cp", p, `s3://${bucket}/mp/awscli-50MiB.bin`], gw.url, AWS_ENV);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const head = await storeHead(bucket, "mp/awscli-50MiB.bin");
    assert.match(head.ETag, /-\d+"$/, "a multipart ETag");
    assert.equal(await storeSha(bucket, "mp/awscli-50MiB.bin"), sha(body));
    await assertNoUploads(bucket, "mp/awscli");
  });

  test("boto3 upload_file with a small multipart threshold", async () => {
    const body = randomBytes(17 * MiB + 3);
    const p = tmpFile(`uf-${bucket}.bin`, body);
    await python(boto() + `
from boto3.s3.transfer import TransferConfig
s3.upload_file(os.environ["FILE"], B, "mp/boto-upload-file.bin", Config=TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024, max_concurrency=3))
`, { ...pyEnv(), FILE: p });
    const head = await storeHead(bucket, "mp/boto-upload-file.bin");
    assert.match(head.ETag, /-4"$/, "4 parts");
    assert.equal(await storeSha(bucket, "mp/boto-upload-file.bin"), sha(body));
  });

  test("boto3 upload_file as it talks to an HTTPS gateway: parts as aws-chunked with CRC32 trailers, checksums in CompleteMultipartUpload", async () => {
    const body = randomBytes(11 * MiB + 3);
    const p = tmpFile(`uft-${bucket}.bin`, body);
    const out = await python(boto() + `
from boto3.s3.transfer import TransferConfig
from botocore import httpchecksum as hc
from urllib.parse import urlparse
hc.urlparse = lambda u: urlparse(u.replace("http://", "https://", 1))
seen = []
s3.meta.events.register("before-send.s3.UploadPart", lambda request, **kw: seen.append(request.headers.get("x-amz-trailer")))
s3.meta.events.register("before-send.s3.CompleteMultipartUpload", lambda request, **kw: seen.append("complete with part checksums: %s" % (b"ChecksumCRC32" in (request.body or b""))))
s3.upload_file(os.environ["FILE"], B, "mp/boto-trailers.bin", Config=TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024, max_concurrency=2))
print(seen)
`, { ...pyEnv(), FILE: p });
    console.log(out.trim());
    assert.match(out, /x-amz-checksum-crc32/, out);
    assert.equal(await storeSha(bucket, "mp/boto-trailers.bin"), sha(body));
  });

  test("JS SDK Upload (@aws-sdk/lib-storage)", async () => {
    const body = randomBytes(12 * MiB + 5);
    const client = new S3Client({
      endpoint: gw.url, region: "us-east-1", forcePathStyle: true,
      credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET },
    });
    const up = new Upload({ client, params: { Bucket: bucket, Key: "mp/js-sdk.bin", Body: body, ContentType: "application/x-js" }, partSize: 5 * MiB, queueSize: 2 });
    const res = await up.done();
    assert.ok(res.ETag);
    assert.equal(await storeSha(bucket, "mp/js-sdk.bin"), sha(body));
    const head = await storeHead(bucket, "mp/js-sdk.bin");
    assert.equal(head.ContentType, "application/x-js");
    assert.match(head.ETag, /-3"$/);
  });
});

// ---------------------------------------------------------------- straight to the store

async function api(path, token, body) {
  return fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("straight to the store", onlyS3("presigned PUTs and POST policies go to the store's S3 endpoint; an R2 binding has none (/api/session: direct_uploads false)"), () => {
  test("presigned PUT from /api/presign, uploaded with curl -T", async () => {
    const body = randomBytes(2 * MiB + 1);
    const p = tmpFile(`presign-${bucket}.bin`, body);
    const t = mint(["--bucket", bucket, "--prefix", "direct/", "--methods", "PUT", "--max-bytes", String(10 * MiB)]);
    const r = await api("/api/presign", t, { key: "direct/presigned.bin", content_type: "application/x-pre", size: body.length });
    assert.equal(r.status, 200, await r.clone().text());
    const j = await r.json();
    assert.ok(j.url.startsWith(STORE_URL), j.url);
    const args = ["-o", "/dev/null", "-w", "%{http_code}", "-T", p];
    for (const [k, v] of Object.entries(j.headers)) args.push("-H", `${k}: ${v}`);
    const c = await curl([...args, j.url]);
    assert.equal(c.stdout, "200", c.stderr);
    assert.equal(await storeSha(bucket, "direct/presigned.bin"), sha(body));
    const head = await storeHead(bucket, "direct/presigned.bin");
    assert.equal(head.ContentType, "application/x-pre");
  });

  test("POST policy form from /api/presign, uploaded with curl -F", async () => {
    const body = randomBytes(MiB + 7);
    const p = tmpFile(`post-${bucket}.bin`, body);
    const t = mint(["--bucket", bucket, "--prefix", "direct/", "--methods", "POST"]);
    const r = await api("/api/presign", t, { key: "direct/posted.bin", content_type: "application/x-post", method: "POST" });
    assert.equal(r.status, 200, await r.clone().text());
    const j = await r.json();
    const args = ["-o", "/dev/null", "-w", "%{http_code}"];
    for (const [k, v] of Object.entries(j.fields)) args.push("-F", `${k}=${v}`);
    const c = await curl([...args, "-F", `file=@${p};type=application/x-post`, j.url]);
    assert.equal(c.stdout, "201", c.stderr);
    assert.equal(await storeSha(bucket, "direct/posted.bin"), sha(body));
  });
});

// ---------------------------------------------------------------- Uppy-style multipart

async function uppy(method, path, token, body) {
  const init = { method, headers: { authorization: `Bearer ${token}` } };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers["content-type"] = "application/json"; }
  return fetch(`${gw.url}/s3/${path}`, init);
}

async function uppyJson(method, path, token, body) {
  const r = await uppy(method, path, token, body);
  const text = await r.text();
  assert.equal(r.status, 200, `${method} /s3/${path}: ${text}`);
  return JSON.parse(text);
}

async function putPart(token, key, uploadId, n, bytes, via = "") {
  const q = `key=${encodeURIComponent(key)}&size=${bytes.length}${via}`;
  const { url: partUrl, headers = {} } = await uppyJson("GET", `multipart/${encodeURIComponent(uploadId)}/${n}?${q}`, token);
  const r = await fetch(partUrl, { method: "PUT", body: bytes, headers });
  const text = await r.text();
  assert.equal(r.status, 200, `part ${n}: ${text}`);
  const etag = r.headers.get("etag");
  assert.ok(etag, "the part's ETag is readable");
  return { url: partUrl, etag };
}

describe("Uppy Companion-compatible multipart", () => {
  for (const via of ["", "&via=edge"]) {
    test(`create, parts (one retried), list, resume, complete${via ? " — parts through bagroom" : " — parts straight to the store"}`,
      onlyS3(via ? "the resume step lists the parts (ListParts), which an R2 binding lacks" : "parts presigned straight to the store's S3 endpoint"), async () => {
      const t = mint(["--bucket", bucket, "--prefix", "uppy/", "--methods", "PUT"]);
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
      const whole = Buffer.concat(parts);
      const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: `movie${via ? "-edge" : ""}.bin`, type: "video/x-test" });
      assert.equal(key, `uppy/movie${via ? "-edge" : ""}.bin`);
      assert.ok(uploadId);
      const p1 = await putPart(t, key, uploadId, 1, parts[0], via);
      if (!via) assert.ok(p1.url.startsWith(STORE_URL), "presigned straight to the store");
      else assert.ok(p1.url.startsWith(gw.url), "through the edge");
      // part 2 sent twice (as a client does when the first answer is lost). SeaweedFS keeps and
      // lists every attempt, with 1 s LastModified resolution: the gateway lists each part once.
      // (Attempts with *different* bytes in the same second cannot be told apart from a listing;
      // a client completing with its own ETags gets exactly those: see the retried-part limit test.)
      const p2first = await putPart(t, key, uploadId, 2, parts[1], via);
      const p2 = await putPart(t, key, uploadId, 2, parts[1], via);
      assert.equal(p2first.etag, p2.etag);
      // the "page reloads": ask the gateway what is there and upload only what is missing
      const listed = await uppyJson("GET", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t);
      assert.deepEqual(listed.map((p) => p.PartNumber), [1, 2]);
      assert.equal(listed[1].ETag.replaceAll('"', ""), p2.etag.replaceAll('"', ""));
      assert.equal(listed[0].Size, 5 * MiB);
      const done = new Map(listed.map((p) => [p.PartNumber, p.ETag]));
      for (let n = 1; n <= parts.length; n++) {
        if (!done.has(n)) done.set(n, (await putPart(t, key, uploadId, n, parts[n - 1], via)).etag);
      }
      const body = { parts: [...done].map(([PartNumber, ETag]) => ({ PartNumber, ETag })) };
      const c = await uppyJson("POST", `multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`, t, body);
      assert.equal(c.key, key);
      assert.equal(c.size, whole.length);
      assert.ok(c.location.endsWith(`/${bucket}/uppy/movie${via ? "-edge" : ""}.bin`), c.location);
      assert.equal(await storeSha(bucket, key), sha(whole));
      const head = await storeHead(bucket, key);
      assert.equal(head.ContentType, "video/x-test");
      await assertNoUploads(bucket, key);
    });
  }

  test("DELETE /s3/multipart/:id aborts", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "uppy/", "--methods", "PUT"]);
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "aborted.bin", type: "application/octet-stream" });
    await putPart(t, key, uploadId, 1, randomBytes(1000));
    const uploads = await storeUploads(bucket, key);
    if (uploads !== null) assert.equal(uploads.length, 1);
    const r = await uppy("DELETE", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t);
    assert.equal(r.status, 200, await r.text());
    await assertStoreEmpty(bucket, key, "aborted");
  });
});

// ---------------------------------------------------------------- limits

describe("limits, on every path, leave the store unchanged", () => {
  test("--max-bytes: proxied PUT refused up front (EntityTooLarge)", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/size/", "--methods", "PUT", "--max-bytes", "1000"]);
    const ok = await fetch(url("lim/size/ok.bin", `?token=${t}`), { method: "PUT", body: randomBytes(1000) });
    assert.equal(ok.status, 200, await ok.text());
    const r = await fetch(url("lim/size/big.bin", `?token=${t}`), { method: "PUT", body: randomBytes(1001) });
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), "EntityTooLarge");
    await assertStoreEmpty(bucket, "lim/size/big", "proxied PUT over the limit");
    // an aws-chunked body that declares less than it carries is cut at the limit too
    const body = randomBytes(1500);
    const framed = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]);
    const c = await fetch(url("lim/size/chunked.bin", `?token=${t}`), {
      method: "PUT", body: framed,
      headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": "900" },
    });
    assert.equal(c.status, 400);
    assert.ok(["EntityTooLarge", "IncompleteBody"].includes(await errCode(c)));
    await assertStoreEmpty(bucket, "lim/size/chunked", "aws-chunked body over its declared length");
  });

  test("--max-bytes: presigned PUT signs the length (the store refuses another), presign refuses a bigger size", onlyS3("presigned PUTs to the store: an R2 binding has no S3 endpoint"), async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/pre/", "--methods", "PUT", "--max-bytes", "1000"]);
    const big = await api("/api/presign", t, { key: "lim/pre/big.bin", size: 1001 });
    assert.equal(big.status, 400);
    assert.equal(await errCode(big), "EntityTooLarge");
    const nosize = await api("/api/presign", t, { key: "lim/pre/nosize.bin" });
    assert.equal(nosize.status, 411);
    const r = await api("/api/presign", t, { key: "lim/pre/lie.bin", size: 100 });
    assert.equal(r.status, 200);
    const j = await r.json();
    const p = tmpFile(`lie-${bucket}.bin`, randomBytes(5000));
    const args = ["-o", "/dev/null", "-w", "%{http_code}", "-T", p];
    for (const [k, v] of Object.entries(j.headers)) args.push("-H", `${k}: ${v}`);
    const c = await curl([...args, j.url]);
    assert.match(c.stdout, /^4\d\d$/, `the store must refuse a body longer than signed, got ${c.stdout}`);
    await assertStoreEmpty(bucket, "lim/pre/", "presigned PUT with a longer body");
  });

  test("--max-bytes: POST policy content-length-range is enforced by the store", onlyS3("POST policy forms to the store: an R2 binding has no S3 endpoint"), async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/post/", "--methods", "POST", "--max-bytes", "1000"]);
    const r = await api("/api/presign", t, { key: "lim/post/big.bin", method: "POST" });
    assert.equal(r.status, 200, await r.clone().text());
    const j = await r.json();
    const p = tmpFile(`postbig-${bucket}.bin`, randomBytes(5000));
    const args = ["-w", "\n%{http_code}"];
    for (const [k, v] of Object.entries(j.fields)) args.push("-F", `${k}=${v}`);
    const c = await curl([...args, "-F", `file=@${p}`, j.url]);
    const status = c.stdout.trim().split("\n").pop();
    assert.equal(status, "400", c.stdout);
    assert.equal(xmlField(c.stdout, "Code"), "EntityTooLarge", c.stdout);
    await assertStoreEmpty(bucket, "lim/post/", "POST form over content-length-range");
  });

  test("--max-bytes: multipart over the limit is refused at complete (EntityTooLarge) and aborted", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/mp/", "--methods", "PUT", "--max-bytes", String(6 * MiB)]);
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "big.bin", type: "application/octet-stream" });
    const p1 = await putPart(t, key, uploadId, 1, randomBytes(5 * MiB));
    const p2 = await putPart(t, key, uploadId, 2, randomBytes(2 * MiB));
    const r = await uppy("POST", `multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`, t,
      { parts: [{ PartNumber: 1, ETag: p1.etag }, { PartNumber: 2, ETag: p2.etag }] });
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), "EntityTooLarge");
    await assertStoreEmpty(bucket, "lim/mp/", "multipart over the limit");

    // the same through the S3 API (boto3 with a token is not possible: UploadPart via ?token=)
    const c = await fetch(url("lim/mp/s3.bin", `?uploads&token=${t}`), { method: "POST" });
    assert.equal(c.status, 200);
    const id = xmlField(await c.text(), "UploadId");
    const etags = [];
    for (const [n, size] of [[1, 5 * MiB], [2, 2 * MiB]]) {
      const pr = await fetch(url("lim/mp/s3.bin", `?partNumber=${n}&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: randomBytes(size) });
      assert.equal(pr.status, 200, await pr.clone().text());
      etags.push(pr.headers.get("etag"));
      await pr.arrayBuffer();
    }
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    const done = await fetch(url("lim/mp/s3.bin", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: xml });
    assert.equal(done.status, 400);
    assert.equal(await errCode(done), "EntityTooLarge");
    await assertStoreEmpty(bucket, "lim/mp/", "S3 multipart over the limit");
  });

  test("--max-bytes: a retried part is counted as the attempt being completed (no bypass with a small earlier attempt)",
    onlyS3("the test lists the parts (Uppy's GET /s3/multipart/:id, ListParts), which an R2 binding lacks"), async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/retry/", "--methods", "PUT", "--max-bytes", String(6 * MiB)]);
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "sneaky.bin", type: "application/octet-stream" });
    const p1 = await putPart(t, key, uploadId, 1, randomBytes(5 * MiB));
    // small attempts of part 2, then the one completed: 3 MiB (the part URL binds no size when none is given)
    for (let i = 0; i < 4; i++) await putPart(t, key, uploadId, 2, randomBytes(10 + i));
    const { url: u } = await uppyJson("GET", `multipart/${encodeURIComponent(uploadId)}/2?key=${encodeURIComponent(key)}`, t);
    const big = await fetch(u, { method: "PUT", body: randomBytes(3 * MiB) });
    assert.equal(big.status, 200);
    await big.arrayBuffer();
    const listed = await uppyJson("GET", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t);
    assert.deepEqual(listed.map((p) => p.PartNumber), [1, 2], "one entry per part number");
    const r = await uppy("POST", `multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`, t,
      { parts: [{ PartNumber: 1, ETag: p1.etag }, { PartNumber: 2, ETag: big.headers.get("etag") }] });
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), "EntityTooLarge");
    await assertStoreEmpty(bucket, "lim/retry/", "retried part over the limit");
  });

  test("--max-bytes: a part bigger than the limit is refused", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/part/", "--methods", "PUT", "--max-bytes", "1000"]);
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "p.bin", type: "application/octet-stream" });
    const r = await uppy("GET", `multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&size=2000`, t);
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), "EntityTooLarge");
    const e = await fetch(url(key, `?partNumber=1&uploadId=${encodeURIComponent(uploadId)}&token=${t}`), { method: "PUT", body: randomBytes(2000) });
    assert.equal(e.status, 400);
    assert.equal(await errCode(e), "EntityTooLarge");
    assert.equal((await uppy("DELETE", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t)).status, 200);
    await assertStoreEmpty(bucket, "lim/part/", "oversized part");
  });

  test("--content-type image/*: text/plain refused (403) on PUT, presign, POST form and multipart create", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/ct/", "--methods", "PUT,POST", "--content-type", "image/*"]);
    const ok = await fetch(url("lim/ct/ok.png", `?token=${t}`), { method: "PUT", body: "png", headers: { "content-type": "image/png" } });
    assert.equal(ok.status, 200, await ok.text());
    const r = await fetch(url("lim/ct/no.txt", `?token=${t}`), { method: "PUT", body: "text", headers: { "content-type": "text/plain" } });
    assert.equal(r.status, 403);
    assert.equal(await errCode(r), "AccessDenied");
    const none = await fetch(url("lim/ct/none.bin", `?token=${t}`), { method: "PUT", body: new Uint8Array(3) });
    assert.equal(none.status, 403, "no content type is not an image either");
    await none.arrayBuffer();
    for (const method of ["PUT", "POST"]) {
      const p = await api("/api/presign", t, { key: "lim/ct/no.txt", content_type: "text/plain", size: 4, method });
      assert.equal(p.status, 403, method);
      assert.equal(await errCode(p), "AccessDenied");
    }
    const c = await uppy("POST", "multipart", t, { filename: "no.txt", type: "text/plain" });
    assert.equal(c.status, 403);
    assert.equal(await errCode(c), "AccessDenied");
    const s = await fetch(url("lim/ct/no2.txt", `?uploads&token=${t}`), { method: "POST", headers: { "content-type": "text/plain" } });
    assert.equal(s.status, 403);
    assert.equal(await errCode(s), "AccessDenied");
    assert.deepEqual(await storeKeys(bucket, "lim/ct/"), ["lim/ct/ok.png"]);
    await assertNoUploads(bucket, "lim/ct/");
  });

  test("prefix scope: a key outside is 403 on every path", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/scope/in/", "--methods", "PUT,POST,DELETE"]);
    const r = await fetch(url("lim/scope/out.bin", `?token=${t}`), { method: "PUT", body: "x" });
    assert.equal(r.status, 403);
    assert.equal(await errCode(r), "AccessDenied");
    for (const method of ["PUT", "POST"]) {
      const p = await api("/api/presign", t, { key: "lim/scope/out.bin", size: 1, method });
      assert.equal(p.status, 403, method);
      assert.equal(await errCode(p), "AccessDenied");
    }
    const s = await fetch(url("lim/scope/out.bin", `?uploads&token=${t}`), { method: "POST" });
    assert.equal(s.status, 403);
    await s.arrayBuffer();
    // an Uppy file name is placed inside the prefix, and one that climbs out of it is refused
    const climb = await uppy("POST", "multipart", t, { filename: "../../out.bin" });
    assert.equal(climb.status, 403);
    assert.equal(await errCode(climb), "AccessDenied");
    // signing or listing parts for a key outside is refused
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "in.bin" });
    assert.equal(key, "lim/scope/in/in.bin");
    for (const path of [`multipart/${encodeURIComponent(uploadId)}/1?key=lim/scope/out.bin`, `multipart/${encodeURIComponent(uploadId)}/1?key=lim/scope/out.bin&via=edge`, `multipart/${encodeURIComponent(uploadId)}?key=lim/scope/out.bin`]) {
      const u = await uppy("GET", path, t);
      assert.equal(u.status, 403, path);
      assert.equal(await errCode(u), "AccessDenied");
    }
    const a = await uppy("DELETE", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t);
    assert.equal(a.status, 200);
    await a.arrayBuffer();
    await assertStoreEmpty(bucket, "lim/scope/", "outside the scope");
  });

  test("--no-overwrite: the second write of a key is 412 PreconditionFailed (the store's conditional write)", async () => {
    const t = mint(["--bucket", bucket, "--prefix", "lim/once/", "--methods", "PUT,POST", "--no-overwrite"]);
    const first = randomBytes(100);
    const a = await fetch(url("lim/once/a.bin", `?token=${t}`), { method: "PUT", body: first });
    assert.equal(a.status, 200, await a.text());
    const b = await fetch(url("lim/once/a.bin", `?token=${t}`), { method: "PUT", body: randomBytes(100) });
    assert.equal(b.status, 412, "proxied PUT");
    assert.equal(await errCode(b), "PreconditionFailed");
    assert.equal(await storeSha(bucket, "lim/once/a.bin"), sha(first), "the first object is untouched");

    // presigned PUT: If-None-Match is signed in, the store refuses the overwrite (S3 backend only:
    // an R2 binding has no endpoint to presign for)
    if (BACKEND === "s3") {
      const p = await api("/api/presign", t, { key: "lim/once/a.bin", size: 100 });
      assert.equal(p.status, 200);
      const j = await p.json();
      assert.equal(j.headers["if-none-match"], "*");
      const f = tmpFile(`once-${bucket}.bin`, randomBytes(100));
      const args = ["-w", "\n%{http_code}", "-T", f];
      for (const [k, v] of Object.entries(j.headers)) args.push("-H", `${k}: ${v}`);
      const c = await curl([...args, j.url]);
      assert.equal(c.stdout.trim().split("\n").pop(), "412", c.stdout);
      // a POST form cannot carry the condition: refused
      const pf = await api("/api/presign", t, { key: "lim/once/b.bin", method: "POST" });
      assert.equal(pf.status, 403);
      await pf.arrayBuffer();
    }
    // multipart: complete onto an existing key is refused
    const { key, uploadId } = await uppyJson("POST", "multipart", t, { filename: "a.bin" });
    assert.equal(key, "lim/once/a.bin");
    const p1 = await putPart(t, key, uploadId, 1, randomBytes(100));
    const d = await uppy("POST", `multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`, t, { parts: [{ PartNumber: 1, ETag: p1.etag }] });
    if (BACKEND === "s3") {
      assert.equal(d.status, 412);
      assert.equal(await errCode(d), "PreconditionFailed");
    } else {
      // R2: a conditional CompleteMultipartUpload is refused, not ignored (README: the R2 binding)
      assert.equal(d.status, 501);
      assert.equal(await errCode(d), "NotImplemented");
    }
    assert.equal(await storeSha(bucket, "lim/once/a.bin"), sha(first), "the first object is still untouched");
    await uppy("DELETE", `multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`, t);
    assert.deepEqual(await storeKeys(bucket, "lim/once/"), ["lim/once/a.bin"]);
    await assertNoUploads(bucket, "lim/once/");
  });

  test("a body whose signed x-amz-content-sha256 does not match: 400 XAmzContentSHA256Mismatch, no object", async () => {
    const out = await python(boto() + `
import urllib.request, urllib.error
from botocore.awsrequest import AWSRequest
from botocore.auth import S3SigV4Auth
from botocore.credentials import Credentials
results = []
for key, size in [("lim/sha/small.bin", 13), ("lim/sha/big.bin", 3*1024*1024)]:
    signed = os.urandom(size)
    sent = bytearray(signed); sent[-1] ^= 1; sent = bytes(sent)   # same length, one bit off at the very end
    u = "%s/%s/%s" % (URL, B, key)
    req = AWSRequest(method="PUT", url=u, data=signed)
    S3SigV4Auth(Credentials("${GW_KEY}", "${GW_SECRET}"), "s3", "us-east-1").add_auth(req)
    assert req.headers["X-Amz-Content-SHA256"] == hashlib.sha256(signed).hexdigest()
    h = {k: v for k, v in req.headers.items()}
    try:
        r = urllib.request.urlopen(urllib.request.Request(u, data=sent, method="PUT", headers=h))
        results.append([key, r.status, r.read().decode()])
    except urllib.error.HTTPError as e:
        results.append([key, e.code, e.read().decode()])
print(json.dumps(results))
`, pyEnv());
    for (const [key, status, body] of JSON.parse(out)) {
      assert.equal(status, 400, `${key}: ${body}`);
      assert.equal(xmlField(body, "Code"), "XAmzContentSHA256Mismatch", body);
    }
    await assertStoreEmpty(bucket, "lim/sha/", "hash mismatch");
  });
});

// ---------------------------------------------------------------- delete and cache purge

describe("DELETE and the edge cache", () => {
  test("boto3 delete_object and a DELETE token remove the object; GET after PUT/DELETE reflects it", async () => {
    const key = "del/cached.txt";
    const t = mint(["--bucket", bucket, "--prefix", "del/", "--methods", "GET,HEAD,PUT,DELETE"]);
    const get = async () => {
      const r = await fetch(url(key, `?token=${t}`));
      return [r.status, r.status === 200 ? await r.text() : (await r.arrayBuffer(), "")];
    };
    assert.equal((await fetch(url(key, `?token=${t}`), { method: "PUT", body: "version one" })).status, 200);
    assert.deepEqual(await get(), [200, "version one"]);
    assert.deepEqual(await get(), [200, "version one"], "now cached");
    assert.equal((await fetch(url(key, `?token=${t}`), { method: "PUT", body: "version two!" })).status, 200);
    assert.deepEqual(await get(), [200, "version two!"], "the PUT purged the cached copy");
    const d = await fetch(url(key, `?token=${t}`), { method: "DELETE" });
    assert.equal(d.status, 204);
    assert.equal(await storeHas(bucket, key), false);
    assert.equal((await get())[0], 404, "the DELETE purged the cached copy");

    // a token without DELETE may not
    await storePut(bucket, "del/keep.txt", "keep");
    const ro = mint(["--bucket", bucket, "--prefix", "del/", "--methods", "GET,PUT"]);
    const no = await fetch(url("del/keep.txt", `?token=${ro}`), { method: "DELETE" });
    assert.equal(no.status, 403);
    await no.arrayBuffer();
    assert.equal(await storeHas(bucket, "del/keep.txt"), true);

    // boto3 (SigV4) delete_object, after a cached GET through the gateway
    assert.deepEqual((await fetch(url("del/keep.txt", `?token=${t}`)).then(async (r) => [r.status, await r.text()])), [200, "keep"]);
    await python(boto() + `s3.delete_object(Bucket=B, Key="del/keep.txt")\n`, pyEnv());
    assert.equal(await storeHas(bucket, "del/keep.txt"), false);
    const after = await fetch(url("del/keep.txt", `?token=${t}`));
    assert.equal(after.status, 404);
    await after.arrayBuffer();
  });
});

// ---------------------------------------------------------------- webhook

describe("upload events", () => {
  test("the webhook gets exactly one JSON event per completed upload (PUT and multipart)", async () => {
    const events = [];
    const hook = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        events.push({ type: req.headers["content-type"], body: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(204).end();
      });
    });
    await new Promise((r) => hook.listen(0, "127.0.0.1", r));
    const hb = uniqueBucket("hook");
    await createBucket(hb);
    const g = await startGateway({ bucket: hb, vars: { BAGROOM_WEBHOOK_URL: `http://127.0.0.1:${hook.address().port}/events` } });
    try {
      const t = mint(["--bucket", hb, "--prefix", "in/", "--methods", "PUT"]);
      const body = randomBytes(1234);
      const r = await fetch(`${g.url}/${hb}/in/one.bin?token=${t}`, { method: "PUT", body, headers: { "content-type": "application/x-one" } });
      assert.equal(r.status, 200);
      const putEtag = r.headers.get("etag");
      // a refused upload sends nothing
      const no = await fetch(`${g.url}/${hb}/out.bin?token=${t}`, { method: "PUT", body });
      assert.equal(no.status, 403);
      await no.arrayBuffer();
      // multipart through the Uppy routes
      const { key, uploadId } = await (await fetch(`${g.url}/s3/multipart`, { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ filename: "two.bin" }) })).json();
      const parts = [randomBytes(5 * MiB), randomBytes(10)];
      const list = [];
      for (let i = 0; i < parts.length; i++) {
        const { url: u } = await (await fetch(`${g.url}/s3/multipart/${encodeURIComponent(uploadId)}/${i + 1}?key=${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${t}` } })).json();
        const pr = await fetch(u, { method: "PUT", body: parts[i] });
        assert.equal(pr.status, 200);
        list.push({ PartNumber: i + 1, ETag: pr.headers.get("etag") });
        await pr.arrayBuffer();
      }
      const c = await fetch(`${g.url}/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${encodeURIComponent(key)}`, {
        method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ parts: list }) });
      assert.equal(c.status, 200);
      const cj = await c.json();
      // events are sent in the background: wait for them (bounded), then check there are no extras
      for (let i = 0; i < 100 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(events.length, 2, JSON.stringify(events));
      const byKey = Object.fromEntries(events.map((e) => [e.body.key, e]));
      const p = byKey["in/one.bin"];
      assert.ok(p, JSON.stringify(events));
      assert.match(p.type, /^application\/json/);
      assert.equal(p.body.bucket, hb);
      assert.equal(p.body.size, 1234);
      assert.equal(p.body.etag, putEtag);
      assert.equal(p.body.event, "ObjectCreated");
      const m = byKey["in/two.bin"];
      assert.ok(m, JSON.stringify(events));
      assert.equal(m.body.bucket, hb);
      assert.equal(m.body.size, 5 * MiB + 10);
      assert.equal(m.body.etag.replaceAll('"', ""), cj.etag.replaceAll('"', ""));
      assert.match(m.body.etag, /-2"?$/);
    } finally {
      await g.close();
      hook.close();
    }
  });
});

// ---------------------------------------------------------------- cron cleanup

describe("scheduled cleanup", onlyS3("the cron handler lists multipart uploads (ListMultipartUploads) and the test starts one in the S3 store"), () => {
  test("the cron handler aborts an old incomplete multipart upload", async () => {
    const cb = uniqueBucket("cron");
    await createBucket(cb);
    const g = await startGateway({ bucket: cb, vars: { BAGROOM_MULTIPART_MAX_AGE_HOURS: "0" } });
    try {
      const created = await store.send(new CreateMultipartUploadCommand({ Bucket: cb, Key: "old/upload.bin" }));
      assert.deepEqual(await storeUploads(cb), [{ key: "old/upload.bin", id: created.UploadId }]);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await g.server.getWorker().scheduled({ cron: "17 * * * *", scheduledTime: new Date() });
      assert.equal(res.outcome, "ok", JSON.stringify(res));
      await assertNoUploads(cb);
    } finally {
      await g.close();
    }
  });
});
