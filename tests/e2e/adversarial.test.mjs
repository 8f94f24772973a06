// Adversarial suite: one test() per attack on the gateway, end to end (the real worker under
// workerd in front of the real store). Every test asserts the HTTP status and the error code the
// gateway answers, and checks on the store directly (not through the gateway) that nothing was read
// or written: the object is absent or unchanged, no multipart upload is left behind, and the bytes
// of objects the attacker may not read never appear in any response body.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  HeadObjectCommand, GetObjectTaggingCommand, GetObjectAclCommand, ListMultipartUploadsCommand, ListPartsCommand,
  AbortMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, DeleteObjectCommand,
} from "@aws-sdk/client-s3";
import {
  startGateway, createBucket, uniqueBucket, mint, storeGet, storeKeys, storePut, store, python, xmlField,
  GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET, TOKEN_KEYS, TOKEN_BIN, awsEncode, pctDecodeBytes,
} from "./harness.mjs";
import { execFileSync } from "node:child_process";

const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const md5b64 = (b) => createHash("md5").update(b).digest("base64");
const EMPTY_SHA = sha256("");

// ---------------------------------------------------------------------------------------------
// Fixtures: one bucket the gateways serve (B), one store bucket no gateway exposes (OTHER).

const B = uniqueBucket("adv");
const OTHER = uniqueBucket("advo");
const SECRET = Buffer.from(`PAYROLL-SECRET-${randomBytes(12).toString("hex")}`);
const OTHER_SECRET = Buffer.from(`OTHER-BUCKET-SECRET-${randomBytes(12).toString("hex")}`);
/** Byte strings that must never come back to an attacker. */
const SECRETS = [SECRET.toString(), OTHER_SECRET.toString()];
const REVOKED_ID = "deadbeef" + randomBytes(4).toString("hex");
const ROT_REVOKED_ID = "cafebabe" + randomBytes(4).toString("hex");
const T0_FIRST = TOKEN_KEYS.split(",").reverse().join(","); // t0 signs
const ONLY_T1 = TOKEN_KEYS.split(",")[0];
const MAX_UPLOAD = 6 * 1024 * 1024; // BAGROOM_MAX_UPLOAD_BYTES of the main gateway
const CACHE_MAX = 100_000; // BAGROOM_CACHE_MAX_OBJECT_BYTES of the main and the proxied gateway

let gw; // main gateway: public prefix pub/, a revoked id, small upload and cache limits
let gwRot; // the same bucket, BAGROOM_TOKEN_KEYS without t0
let gwProxy; // the same bucket, reaching the store through a counting proxy (class 11)
let proxy; // { url, log: [{method, path, range}], close }

// ---------------------------------------------------------------------------------------------
// Helpers

/** S3 path-style URL on gateway `g` (default: the main one); key segments percent-encoded. */
function u(key, q = "", g = gw) {
  const enc = key.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())).join("/");
  return `${g.url}/${B}/${enc}${q}`;
}
/** Same with the raw (already encoded) path. */
const raw = (p, g = gw) => `${g.url}${p}`;

/** fetch that never throws on a slow gateway (20 s cap) and keeps the body. */
async function req(url, init = {}) {
  const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(init.timeout ?? 20000), ...init });
  const body = Buffer.from(await r.arrayBuffer());
  const text = body.toString("latin1");
  return { status: r.status, headers: r.headers, body, text, code: errorCode(text, r.headers) };
}

function errorCode(text, headers) {
  const x = xmlField(text, "Code");
  if (x) return x;
  try {
    const j = JSON.parse(text);
    if (j && j.error && j.error.code) return j.error.code;
  } catch { /* not JSON */ }
  const h = headers && (headers.get ? headers.get("x-bagroom-error") : headers["x-bagroom-error"]);
  return h || undefined;
}

function assertNoSecret(r, what = "") {
  const t = Buffer.isBuffer(r) ? r.toString("latin1") : typeof r === "string" ? r : r.body.toString("latin1");
  for (const s of SECRETS) assert.ok(!t.includes(s), `${what}: a secret came back in the response`);
}

/** The gateway refused: status (one or a list) and error code (one or a list), no secret in the body. */
function expectRefused(res, status, code) {
  const statuses = [status].flat();
  const codes = code === undefined ? undefined : [code].flat();
  assert.ok(statuses.includes(res.status), `expected status ${statuses.join("/")}, got ${res.status} ${res.code ?? ""}: ${res.text.slice(0, 400)}`);
  if (codes) assert.ok(codes.includes(res.code), `expected code ${codes.join("/")}, got ${res.code} (status ${res.status}): ${res.text.slice(0, 400)}`);
  assertNoSecret(res);
  return res;
}

async function storeHead(bucket, key) {
  try {
    return await store.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    if (e.$metadata?.httpStatusCode === 404 || e.name === "NotFound" || e.name === "NoSuchKey") return null;
    throw e;
  }
}
async function storeHas(bucket, key) {
  return (await storeKeys(bucket, key)).includes(key);
}
async function assertAbsent(key, what = "") {
  assert.equal(await storeHas(B, key), false, `${what}: ${key} must not exist in the store`);
}
async function assertUnchanged(key, bytes, what = "") {
  const got = await storeGet(B, key);
  assert.ok(got.equals(Buffer.from(bytes)), `${what}: ${key} changed in the store (${got.length} bytes: ${got.toString("latin1").slice(0, 80)})`);
}
async function storeUploads(bucket, prefix = "") {
  const r = await store.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (r.Uploads || []).map((x) => ({ key: x.Key, id: x.UploadId }));
}
async function storeParts(key, uploadId) {
  try {
    const r = await store.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: uploadId }));
    return (r.Parts || []).map((p) => ({ n: p.PartNumber, size: p.Size, etag: p.ETag }));
  } catch (e) {
    if (e.name === "NoSuchUpload" || e.$metadata?.httpStatusCode === 404) return [];
    throw e;
  }
}
async function storeAbort(key, uploadId) {
  try { await store.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId: uploadId })); } catch { /* gone */ }
}
async function assertNoUploads(prefix, what = "") {
  assert.deepEqual(await storeUploads(B, prefix), [], `${what}: no multipart upload may be left under ${prefix}`);
}

/** Mint with the real CLI. `opts`: prefix|key, methods, and any extra CLI flags. */
function tok({ prefix, key, methods = "GET,HEAD", bucket = B, extra = [], keys } = {}) {
  const args = ["--bucket", bucket, "--methods", methods, ...extra];
  if (key !== undefined) args.push("--key", key);
  else args.push("--prefix", prefix ?? "");
  return mint(args, keys);
}

function inspect(token) {
  return JSON.parse(execFileSync(TOKEN_BIN, ["inspect", token], { encoding: "utf8" }));
}

/** CreateMultipartUpload through the gateway with a token; returns the upload id. */
async function gwCreateUpload(key, t, headers = {}) {
  const r = await req(u(key, `?uploads&token=${t}`), { method: "POST", headers });
  assert.equal(r.status, 200, `create upload: ${r.text}`);
  return xmlField(r.text, "UploadId");
}

/** A raw HTTP/1.1 request over a socket: exact method, path, header names and values. */
function rawHttp(g, { method = "GET", path: p, headers = {}, body, host } = {}) {
  const url = new URL(g.url);
  return new Promise((resolve, reject) => {
    const r = http.request({
      host: url.hostname, port: url.port, method, path: p, setHost: false,
      headers: { host: host ?? url.host, ...headers },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const b = Buffer.concat(chunks);
        const text = b.toString("latin1");
        resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), body: b, text, code: errorCode(text) });
      });
    });
    r.setTimeout(20000, () => r.destroy(new Error("timeout")));
    r.on("error", reject);
    if (body !== undefined) r.end(body); else r.end();
  });
}

/**
 * Send a (big) body over a raw socket: the first 64 kB, a 1.5 s pause, then the rest, stopping as
 * soon as the gateway answers (a gateway that authenticates and caps before reading answers during
 * the pause). Resolves to the answer (status 0 if none came) and how long it took.
 */
async function sendBig(url, opts) {
  const r = await sendBigOnce(url, opts);
  if (r.status !== 0 || !r.socketError) return r;
  // no answer and the socket was reset: the gateway's close of a connection with unread body
  // bytes can reset it before the answer is read (a race of the loopback, seen once in CI on a
  // loaded machine). Once more; a gateway that never answers fails both times.
  return sendBigOnce(url, opts);
}

function sendBigOnce(url, { method = "POST", headers = {}, body, first = 64 * 1024, chunked = false }) {
  const target = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(Number(target.port), target.hostname);
    const got = [];
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      const all = Buffer.concat(got).toString("latin1");
      const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(all) || [])[1] || 0);
      const i = all.indexOf("\r\n\r\n");
      const text = i >= 0 ? all.slice(i + 4) : "";
      const head = i >= 0 ? all.slice(0, i) : all;
      const h = new Headers();
      for (const line of head.split("\r\n").slice(1)) { const c = line.indexOf(":"); if (c > 0) h.append(line.slice(0, c).trim(), line.slice(c + 1).trim()); }
      const shown = status ? text : `(no answer after ${Date.now() - t0} ms, ${off} body bytes sent${socketError ? `: ${socketError}` : ""}) ${text}`;
      resolve({ status, headers: h, body: Buffer.from(text, "latin1"), text: shown, code: errorCode(text, h), ms: Date.now() - t0, socketError });
    };
    let socketError = "";
    let off = 0;
    const timer = setTimeout(finish, 30000);
    const complete = () => {
      const all = Buffer.concat(got).toString("latin1");
      const i = all.indexOf("\r\n\r\n");
      if (i < 0) return false;
      const m = /content-length:\s*(\d+)/i.exec(all.slice(0, i));
      return m ? all.length - i - 4 >= Number(m[1]) : /transfer-encoding:\s*chunked/i.test(all.slice(0, i)) ? /\r\n0\r\n\r\n$/.test(all) : false;
    };
    s.on("data", (c) => { got.push(c); if (complete()) finish(); });
    s.on("error", (e) => { socketError = e.code || e.message; finish(); });
    s.on("close", finish);
    const lines = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${body.length}`, "Connection: close",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    s.write(lines.join("\r\n") + "\r\n\r\n");
    // the first 64 kB, then a pause: a gateway that authenticates before reading answers now
    const frame = (b) => (chunked ? Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]) : b);
    off = Math.min(first, body.length);
    s.write(frame(body.subarray(0, off)));
    const pump = () => {
      while (!finished && got.length === 0 && off < body.length) {
        const piece = body.subarray(off, off + 256 * 1024);
        off += piece.length;
        if (!s.write(frame(piece))) { s.once("drain", pump); return; }
      }
      if (chunked && off >= body.length && !finished) s.write("0\r\n\r\n");
    };
    setTimeout(pump, 1500);
  });
}

/** Bytes straight to a socket (for framing the HTTP client would not send); resolves to the raw answer. */
function rawSocket(g, bytes, waitMs = 3000) {
  const url = new URL(g.url);
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname);
    const out = [];
    const done = () => { s.destroy(); const t = Buffer.concat(out).toString("latin1"); resolve({ text: t, status: Number((/^HTTP\/1\.[01] (\d{3})/.exec(t) || [])[1] || 0) }); };
    const timer = setTimeout(done, waitMs);
    s.on("data", (c) => { out.push(c); if (/\r\n\r\n/.test(Buffer.concat(out).toString("latin1"))) { clearTimeout(timer); setTimeout(done, 200); } });
    s.on("error", () => { clearTimeout(timer); done(); });
    s.on("close", () => { clearTimeout(timer); done(); });
    s.write(bytes);
  });
}

// ---- AWS signatures, computed here (exact control over what is signed and what is not)

function parseRawQuery(q) {
  return q.split("&").filter(Boolean).map((p) => {
    const i = p.indexOf("=");
    return i < 0 ? [pctDecodeBytes(p), Buffer.alloc(0)] : [pctDecodeBytes(p.slice(0, i)), pctDecodeBytes(p.slice(i + 1))];
  });
}
function canonicalQuery(rawQuery, skip = []) {
  return parseRawQuery(rawQuery)
    .filter(([k]) => !skip.includes(k.toString()))
    .map(([k, v]) => [awsEncode(k, false), awsEncode(v, false)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join("&");
}
const canonicalUri = (p) => p.split("/").map((s) => awsEncode(pctDecodeBytes(s), false)).join("/") || "/";
const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
function amzNow(offsetSec = 0) {
  const d = new Date(Date.now() + offsetSec * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { amz: d, day: d.slice(0, 8) };
}
function v4Signature({ method, path: p, rawQuery, headers, signed, payload, amz, day, region = "us-east-1", service = "s3", secret = GW_SECRET }) {
  const ch = signed.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, " ")}\n`).join("");
  const creq = [method, canonicalUri(p), canonicalQuery(rawQuery, ["X-Amz-Signature"]), ch, signed.join(";"), payload].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const sts = ["AWS4-HMAC-SHA256", amz, scope, sha256(creq)].join("\n");
  let k = hmac("AWS4" + secret, day);
  for (const m of [region, service, "aws4_request"]) k = hmac(k, m);
  return { sig: hmac(k, sts).toString("hex"), scope };
}

/**
 * Header-signed SigV4 request parts for gateway `g`: returns {url, headers} to send. `extra`
 * headers are signed too; add unsigned ones to the returned headers yourself.
 */
function signV4(g, method, pathAndQuery, { payload = EMPTY_SHA, extra = {}, region, service, skew = 0, akid = GW_KEY, secret } = {}) {
  const url = new URL(g.url + pathAndQuery);
  const { amz, day } = amzNow(skew);
  const headers = { host: url.host, "x-amz-date": amz, "x-amz-content-sha256": payload, ...extra };
  const signed = Object.keys(headers).map((k) => k.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const { sig, scope } = v4Signature({ method, path: url.pathname, rawQuery: url.search.slice(1), headers: lower, signed, payload, amz, day, region, service, secret });
  const out = { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${akid}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${sig}` };
  delete out.host;
  return { url: url.href, headers: out };
}

/** A SigV4 presigned URL (host signed, UNSIGNED-PAYLOAD), with extra signed query params. */
function presignV4(g, method, pathAndQuery, { expires = 300, skew = 0, region, service, akid = GW_KEY, secret, extraSignedHeaders = {} } = {}) {
  const url = new URL(g.url + pathAndQuery);
  const { amz, day } = amzNow(skew);
  const scope = `${day}/${region ?? "us-east-1"}/${service ?? "s3"}/aws4_request`;
  const headers = { host: url.host, ...extraSignedHeaders };
  const signed = Object.keys(headers).sort();
  const add = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${akid}/${scope}`)}&X-Amz-Date=${amz}&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=${encodeURIComponent(signed.join(";"))}`;
  const rq = url.search ? url.search.slice(1) + "&" + add : add;
  const { sig } = v4Signature({ method, path: url.pathname, rawQuery: rq, headers, signed, payload: "UNSIGNED-PAYLOAD", amz, day, region, service, secret });
  return `${url.origin}${url.pathname}?${rq}&X-Amz-Signature=${sig}`;
}

/** A SigV2 presigned URL; `rawQuery` (already encoded) goes before the auth parameters and is signed per SigV2 rules. */
function presignV2(g, method, rawPath, { rawQuery = "", expires = now() + 300, akid = GW_KEY, secret = GW_SECRET, contentType = "", md5 = "", amz = {} } = {}) {
  const SUBS = ["acl", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
    "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website"];
  const subs = rawQuery.split("&").filter(Boolean).map((p) => {
    const i = p.indexOf("=");
    return i < 0 ? [p, null] : [p.slice(0, i), pctDecodeBytes(p.slice(i + 1)).toString()];
  }).filter(([k]) => SUBS.includes(k)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const resource = rawPath + (subs.length ? "?" + subs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&") : "");
  const amzLines = Object.keys(amz).sort().map((k) => `${k}:${amz[k]}\n`).join("");
  const sts = `${method}\n${md5}\n${contentType}\n${expires}\n${amzLines}${resource}`;
  const sig = createHmac("sha1", secret).update(sts).digest("base64");
  const q = (rawQuery ? rawQuery + "&" : "") + `AWSAccessKeyId=${akid}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
  return `${g.url}${rawPath}?${q}`;
}

// ---- token bytes

const b64u = (buf) => Buffer.from(buf).toString("base64url");
const unb64u = (t) => Buffer.from(t, "base64url");

// ---- a counting proxy in front of the store (observe what the gateway asks the store for)

function startProxy() {
  const target = new URL(STORE_URL);
  const log = [];
  const srv = http.createServer((creq, cres) => {
    log.push({ method: creq.method, path: creq.url, range: creq.headers.range });
    const preq = http.request({ host: target.hostname, port: target.port, method: creq.method, path: creq.url, headers: creq.headers }, (pres) => {
      cres.writeHead(pres.statusCode, pres.headers);
      pres.pipe(cres);
    });
    preq.on("error", () => { cres.writeHead(502); cres.end(); });
    creq.pipe(preq);
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`, log, close: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(r); }),
  })));
}

/** GET until the cache answers `label` (HIT: a ttl hit; REVALIDATED: a hit the store confirmed). */
async function untilHit(url, init = {}, label = "HIT") {
  let last;
  for (let i = 0; i < 40; i++) {
    last = await req(url, init);
    if (last.headers.get("x-bagroom-cache") === label) return last;
    await sleep(100);
  }
  return last;
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  await createBucket(B);
  await createBucket(OTHER);
  await storePut(B, "private/payroll.csv", SECRET, { ContentType: "text/csv" });
  await storePut(OTHER, "secret.txt", OTHER_SECRET, { ContentType: "text/plain" });
  await storePut(OTHER, "private/payroll.csv", OTHER_SECRET, { ContentType: "text/plain" });
  await storePut(B, "pub/hello.txt", Buffer.from("hello, public"), { ContentType: "text/plain" });
  await storePut(B, "pubx/secret.txt", SECRET, { ContentType: "text/plain" });
  const vars = {
    BAGROOM_PUBLIC_PREFIXES: "pub/", BAGROOM_REVOKED_TOKENS: REVOKED_ID,
    BAGROOM_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), BAGROOM_CACHE_MAX_OBJECT_BYTES: String(CACHE_MAX),
    // the cache attacks are about what a hit served without the store serves and what a write
    // purges: ttl mode; rv/ is revalidate (the default) for the attacks run in both modes
    BAGROOM_CACHE_MODE: "ttl", BAGROOM_CACHE_RULES: "rv/=revalidate",
  };
  gw = await startGateway({ bucket: B, vars });
  gwRot = await startGateway({ bucket: B, vars: { ...vars, BAGROOM_REVOKED_TOKENS: ROT_REVOKED_ID }, secrets: { BAGROOM_TOKEN_KEYS: ONLY_T1 } });
  proxy = await startProxy();
  gwProxy = await startGateway({ bucket: B, vars: { ...vars, STORE_ENDPOINT: proxy.url } });
  // the fixtures work: a token reads what it may
  const ok = await req(u("pub/hello.txt"));
  assert.equal(ok.status, 200, `sanity: anonymous GET of the public prefix: ${ok.text}`);
});

after(async () => {
  await gw?.close();
  await gwRot?.close();
  await gwProxy?.close();
  await proxy?.close();
});

// =============================================================================================
describe("1. UploadPartCopy must not read what the token cannot", () => {
  const T = () => tok({ prefix: "uploads/", methods: "GET,HEAD,PUT,POST" });

  /**
   * Create an upload for `key`, send UploadPartCopy with `source` (and `more` headers), then try to
   * list, complete and read the result. Returns the refusal; asserts the secret never came back and
   * nothing landed in the store.
   */
  async function partCopy(key, source, { t = T(), more = {}, expect = [403], code = "AccessDenied" } = {}) {
    const id = await gwCreateUpload(key, t);
    try {
      const r = await req(u(key, `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), {
        method: "PUT", headers: { "x-amz-copy-source": source, ...more }, body: "",
      });
      const parts = await storeParts(key, id);
      // the attacker goes on as if it had worked: list, complete, read
      const list = await req(u(key, `?uploadId=${encodeURIComponent(id)}&token=${t}`));
      assertNoSecret(list, "list parts");
      const etag = xmlField(r.text, "ETag") || (parts[0] && parts[0].etag) || '"x"';
      const done = await req(u(key, `?uploadId=${encodeURIComponent(id)}&token=${t}`), {
        method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag.replace(/&quot;/g, '"')}</ETag></Part></CompleteMultipartUpload>`,
      });
      assertNoSecret(done, "complete");
      const got = await req(u(key, `?token=${t}`));
      assertNoSecret(got, "read back");
      if (await storeHas(B, key)) assertNoSecret(await storeGet(B, key), "stored object");
      expectRefused(r, expect, code);
      assert.deepEqual(parts, [], "no part may be copied into the upload");
      await assertAbsent(key, "UploadPartCopy");
      return r;
    } finally {
      await storeAbort(key, id);
    }
  }

  test("copy source outside the token's scope (/<b>/private/payroll.csv)", async () => {
    await partCopy("uploads/y1", `/${B}/private/payroll.csv`);
  });
  test("copy source in a store bucket the gateway does not expose", async () => {
    await partCopy("uploads/y2", `/${OTHER}/secret.txt`, { expect: [403, 404], code: ["AccessDenied", "NoSuchBucket"] });
  });
  test("copy source percent-encoded (%2F between bucket, prefix and key)", async () => {
    await partCopy("uploads/y3", `/${B}%2Fprivate%2Fpayroll.csv`);
  });
  test("copy source fully percent-encoded, letters too", async () => {
    const enc = [...`/${B}/private/payroll.csv`].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    await partCopy("uploads/y4", enc);
  });
  test("copy source with ?versionId=null", async () => {
    await partCopy("uploads/y5", `/${B}/private/payroll.csv?versionId=null`);
  });
  test("copy source without the leading slash", async () => {
    await partCopy("uploads/y6", `${B}/private/payroll.csv`);
  });
  test("copy source with doubled leading slashes", async () => {
    await partCopy("uploads/y7", `//${B}//private/payroll.csv`, { expect: [403, 400], code: ["AccessDenied", "InvalidArgument"] });
  });
  test("copy source with a trailing slash", async () => {
    await partCopy("uploads/y8", `/${B}/private/payroll.csv/`, { expect: [403, 404, 400], code: ["AccessDenied", "NoSuchKey", "InvalidArgument"] });
  });
  test("copy source with .. segments out of the token's prefix", async () => {
    await partCopy("uploads/y9", `/${B}/uploads/../private/payroll.csv`, { expect: [403, 400], code: ["AccessDenied", "InvalidArgument"] });
  });
  test("copy source with %2e%2e segments out of the token's prefix", async () => {
    await partCopy("uploads/y10", `/${B}/uploads/%2e%2e/private/payroll.csv`, { expect: [403, 400], code: ["AccessDenied", "InvalidArgument"] });
  });
  test("copy source with a byte range (x-amz-copy-source-range)", async () => {
    await partCopy("uploads/y11", `/${B}/private/payroll.csv`, { more: { "x-amz-copy-source-range": "bytes=0-15" } });
  });
  test("copy source from the other bucket's same key name", async () => {
    await partCopy("uploads/y12", `/${OTHER}/private/payroll.csv`, { expect: [403, 404], code: ["AccessDenied", "NoSuchBucket"] });
  });
  test("in-scope copy source with a PUT-only token (copying is reading)", async () => {
    await storePut(B, "uploads/readable.txt", SECRET);
    try {
      await partCopy("uploads/y13", `/${B}/uploads/readable.txt`, { t: tok({ prefix: "uploads/", methods: "PUT,POST" }) });
    } finally {
      await store.send(new DeleteObjectCommand({ Bucket: B, Key: "uploads/readable.txt" }));
    }
  });
  test("the token as Authorization: Bearer instead of ?token=", async () => {
    const t = T();
    const key = "uploads/y14";
    const id = await gwCreateUpload(key, t);
    try {
      const r = await req(u(key, `?partNumber=1&uploadId=${encodeURIComponent(id)}`), {
        method: "PUT", headers: { authorization: `Bearer ${t}`, "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "",
      });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts(key, id), []);
    } finally {
      await storeAbort(key, id);
    }
  });
  test("through the Uppy via=edge part URL", async () => {
    const t = T();
    const c = await req(raw("/s3/multipart"), { method: "POST", headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body: JSON.stringify({ filename: "y15", type: "text/plain" }) });
    assert.equal(c.status, 200, c.text);
    const { key, uploadId } = JSON.parse(c.text);
    try {
      const p = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&via=edge`), { headers: { authorization: `Bearer ${t}` } });
      assert.equal(p.status, 200, p.text);
      const r = await req(JSON.parse(p.text).url, { method: "PUT", headers: { "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "" });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts(key, uploadId), []);
    } finally {
      await storeAbort(key, uploadId);
    }
  });
});

// =============================================================================================
describe("2. SigV2 presigned URLs: unsigned response overrides and version selection", () => {
  const K = "v2/page.txt";
  const path2 = `/${B}/${K}`;
  before(async () => {
    await storePut(B, K, Buffer.from("plain text, not html"), { ContentType: "text/plain" });
    const ok = await req(presignV2(gw, "GET", path2));
    assert.equal(ok.status, 200, `sanity: a SigV2 URL made here verifies: ${ok.text}`);
  });
  const notHtml = (r) => assert.ok(!/html/i.test(r.headers.get("content-type") || ""), "served as html");
  const SIG = ["AccessDenied", "SignatureDoesNotMatch"];

  for (const [name, extra] of [
    ["Response-Content-Type (capitalised)", "Response-Content-Type=text/html"],
    ["RESPONSE-CONTENT-TYPE (upper case)", "RESPONSE-CONTENT-TYPE=text/html"],
    ["response-content-typ%65 (percent-encoded name)", "response-content-typ%65=text/html"],
    ["%72esponse-content-type (percent-encoded first letter)", "%72esponse-content-type=text/html"],
    ["response-content-type (lower case, unsigned)", "response-content-type=text/html"],
    ["Response-Content-Disposition=inline", "Response-Content-Disposition=inline"],
    ["Response-Cache-Control (capitalised)", "Response-Cache-Control=public%2C%20max-age%3D31536000"],
    ["response-content-encodin%67", "response-content-encodin%67=gzip"],
  ]) {
    test(`unsigned ${name} appended to a SigV2 URL`, async () => {
      const url = new URL(presignV2(gw, "GET", path2) + "&" + extra);
      const r = await rawHttp(gw, { path: url.pathname + url.search });
      expectRefused(r, 403, SIG);
      notHtml(r);
    });
  }
  test("unsigned Response-Content-Type placed before the signature parameters", async () => {
    const good = presignV2(gw, "GET", path2);
    const [base, q] = good.split("?");
    const r = await req(`${base}?Response-Content-Type=text%2Fhtml&${q}`);
    expectRefused(r, 403, SIG);
  });
  test("unsigned version%49d= (versionId, percent-encoded name)", async () => {
    const r = await req(presignV2(gw, "GET", path2) + "&version%49d=null");
    expectRefused(r, 403, SIG);
  });
  test("unsigned VersionId= (capitalised)", async () => {
    const r = await req(presignV2(gw, "GET", path2) + "&VersionId=null");
    expectRefused(r, 403, SIG);
  });
  test("a signed response-content-type=text/plain plus a second, unsigned one", async () => {
    const r = await req(presignV2(gw, "GET", path2, { rawQuery: "response-content-type=text%2Fplain" }) + "&response-content-type=text/html");
    expectRefused(r, 403, SIG);
  });
  test("boto3 signature_version='s3' URL + &Response-Content-Type=text/html", async () => {
    const url = (await python(`
import boto3, os
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["GW"], region_name="us-east-1", aws_access_key_id="${GW_KEY}",
    aws_secret_access_key="${GW_SECRET}", config=Config(signature_version="s3", s3={"addressing_style": "path"}))
print(s3.generate_presigned_url("get_object", Params={"Bucket": "${B}", "Key": "${K}"}, ExpiresIn=300))`, { GW: gw.url })).trim();
    assert.match(url, /AWSAccessKeyId=/);
    const ok = await req(url);
    assert.equal(ok.status, 200, `boto3's SigV2 URL itself: ${ok.text}`);
    const r = await req(url + "&Response-Content-Type=text/html");
    expectRefused(r, 403, SIG);
    notHtml(r);
  });
  test("a SigV2 URL with an unsigned token= next to the signature", async () => {
    const t = tok({ prefix: "", methods: "GET,HEAD,PUT,POST,DELETE,LIST" });
    expectRefused(await req(presignV2(gw, "GET", path2) + `&token=${t}`), 403, SIG);
  });
  test("a SigV2 GET URL with an unsigned uploadId= (turns it into ListParts)", async () => {
    expectRefused(await req(presignV2(gw, "GET", path2) + "&uploadId=abc"), 403, SIG);
  });
  test("a SigV2 GET URL with an unsigned acl / tagging sub-resource", async () => {
    expectRefused(await req(presignV2(gw, "GET", path2) + "&acl"), [403, 501], [...SIG, "NotImplemented"]);
    expectRefused(await req(presignV2(gw, "GET", path2) + "&tagging"), [403, 501], [...SIG, "NotImplemented"]);
  });
  test("an expired SigV2 URL", async () => {
    expectRefused(await req(presignV2(gw, "GET", path2, { expires: now() - 5 })), 403, "AccessDenied");
  });
  test("a SigV2 URL with an unknown access key id", async () => {
    expectRefused(await req(presignV2(gw, "GET", path2, { akid: "AKIDNOTKNOWN00000000" })), 403, "InvalidAccessKeyId");
  });
  test("a SigV2 URL signed for GET, used for PUT", async () => {
    const r = await req(presignV2(gw, "GET", `/${B}/v2/put-target.txt`), { method: "PUT", body: "evil" });
    expectRefused(r, 403, "SignatureDoesNotMatch");
    await assertAbsent("v2/put-target.txt");
  });
  test("a SigV2 URL for one key used on another (path changed)", async () => {
    const good = presignV2(gw, "GET", path2);
    const r = await req(good.replace(`/${K}?`, "/private/payroll.csv?"));
    expectRefused(r, 403, "SignatureDoesNotMatch");
  });
  test("a SigV2 URL with an unsigned x-amz-copy-source header on PUT", async () => {
    await storePut(B, "v2/copy-target.txt", Buffer.from("original"));
    const r = await req(presignV2(gw, "PUT", `/${B}/v2/copy-target.txt`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "" });
    expectRefused(r, 403, ["SignatureDoesNotMatch", "AccessDenied"]);
    await assertUnchanged("v2/copy-target.txt", "original");
  });
});

// =============================================================================================
describe("3. uploaded content must not run on the gateway's origin", () => {
  const IMG = () => tok({ prefix: "img/", methods: "GET,HEAD,PUT,POST", extra: ["--content-type", "image/*"] });
  const PLAIN = () => tok({ prefix: "up3/", methods: "GET,HEAD,PUT,POST" });
  const HTML = Buffer.from("<html><body><script>fetch('/api/share',{method:'POST'})</script></body></html>");

  for (const [i, ct] of ["image/svg+xml", "image/png;x=,text/html", "image/png,text/html", "IMAGE/SVG+XML; charset=utf-8", "image/png;,text/html"].entries()) {
    test(`image/* token PUT with Content-Type: ${ct}`, async () => {
      const key = `img/evil-${i}`;
      const r = await req(u(key, `?token=${IMG()}`), { method: "PUT", headers: { "content-type": ct }, body: HTML });
      expectRefused(r, 403, "AccessDenied");
      await assertAbsent(key);
    });
  }
  for (const [pattern, ct] of [["text/*", "text/html"], ["*/*", "image/svg+xml"], ["application/*", "application/xhtml+xml"], ["application/*", "application/javascript"], ["text/*", "text/xml"], ["text/plain", "text/plain,text/html"], ["text/plain", "text/plain; charset=utf-8, text/html"]]) {
    test(`a ${pattern} token uploading ${ct}`, async () => {
      const key = `img/wild-${randomBytes(3).toString("hex")}`;
      const t = tok({ prefix: "img/", methods: "PUT", extra: ["--content-type", pattern] });
      expectRefused(await req(u(key, `?token=${t}`), { method: "PUT", headers: { "content-type": ct }, body: HTML }), 403, "AccessDenied");
      await assertAbsent(key);
    });
  }
  test("a token naming image/svg+xml may store svg, which is then served as an inert attachment", async () => {
    const t = tok({ prefix: "img/", methods: "GET,PUT", extra: ["--content-type", "image/svg+xml"] });
    const p = await req(u("img/named.svg", `?token=${t}`), { method: "PUT", headers: { "content-type": "image/svg+xml" }, body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' });
    assert.equal(p.status, 200, p.text);
    assertInert(await req(u("img/named.svg", `?token=${t}`)), "GET svg");
  });
  test("image/* token CreateMultipartUpload with Content-Type: image/svg+xml", async () => {
    const r = await req(u("img/mp.svg", `?uploads&token=${IMG()}`), { method: "POST", headers: { "content-type": "image/svg+xml" } });
    expectRefused(r, 403, "AccessDenied");
    await assertNoUploads("img/mp.svg");
  });
  test("image/* token /api/presign for image/svg+xml", async () => {
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${IMG()}` }, body: JSON.stringify({ key: "img/p.svg", content_type: "image/svg+xml", size: 10 }) });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(!/"url"/.test(r.text));
  });
  test("image/* token /api/presign for image/png;x=,text/html", async () => {
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${IMG()}` }, body: JSON.stringify({ key: "img/p2.png", content_type: "image/png;x=,text/html", size: 10 }) });
    expectRefused(r, 403, "AccessDenied");
  });
  test("image/* token /s3/params?type=image/svg+xml", async () => {
    const r = await req(raw(`/s3/params?filename=a.svg&type=${encodeURIComponent("image/svg+xml")}`), { headers: { authorization: `Bearer ${IMG()}` } });
    expectRefused(r, 403, "AccessDenied");
  });
  test("image/* token POST /s3/multipart {type: image/svg+xml}", async () => {
    const r = await req(raw("/s3/multipart"), { method: "POST", headers: { authorization: `Bearer ${IMG()}` }, body: JSON.stringify({ filename: "m.svg", type: "image/svg+xml" }) });
    expectRefused(r, 403, "AccessDenied");
    await assertNoUploads("img/m.svg");
  });

  /** Headers that keep an object's bytes from running as a page on the gateway's origin. */
  function assertInert(r, what, { attachment = true } = {}) {
    assert.equal((r.headers.get("x-content-type-options") || "").toLowerCase(), "nosniff", `${what}: X-Content-Type-Options: nosniff`);
    assert.match(r.headers.get("content-security-policy") || "", /default-src 'none'|script-src 'none'|sandbox/i, `${what}: a script-free CSP`);
    if (attachment) {
      assert.match(r.headers.get("content-disposition") || "", /^\s*attachment/i, `${what}: Content-Disposition: attachment`);
      assert.match(r.headers.get("content-security-policy") || "", /sandbox/i, `${what}: a CSP with sandbox`);
    }
  }

  for (const [i, ct] of ["text/html", "image/svg+xml", "application/xhtml+xml", "image/png;x=,text/html", "TEXT/HTML; charset=utf-8", "text/xml"].entries()) {
    test(`a plain token stores ${ct}: GET serves it as an inert attachment`, async () => {
      const key = `up3/page-${i}`;
      const t = PLAIN();
      const p = await req(u(key, `?token=${t}`), { method: "PUT", headers: { "content-type": ct }, body: HTML });
      if (p.status !== 200) return expectRefused(p, [400, 403, 415]); // refusing active types outright is fine too
      const g = await req(u(key, `?token=${t}`));
      assert.equal(g.status, 200);
      assertInert(g, `GET ${ct}`);
    });
  }
  test("an html upload that asks for Content-Disposition: inline is still an attachment", async () => {
    const t = PLAIN();
    const p = await req(u("up3/inline.html", `?token=${t}`), { method: "PUT", headers: { "content-type": "text/html", "content-disposition": "inline" }, body: HTML });
    if (p.status !== 200) return expectRefused(p, [400, 403]);
    assertInert(await req(u("up3/inline.html", `?token=${t}`)), "GET");
  });
  test("html bytes uploaded with no Content-Type (the store may sniff text/html)", async () => {
    const t = PLAIN();
    const p = await rawHttp(gw, { method: "PUT", path: `/${B}/up3/noct?token=${t}`, headers: { "content-length": String(HTML.length) }, body: HTML });
    if (p.status !== 200) return;
    const g = await req(u("up3/noct", `?token=${t}`));
    assert.equal(g.status, 200);
    const ct = g.headers.get("content-type") || "";
    assertInert(g, `GET (stored as ${ct})`, { attachment: /html|xml|svg/i.test(ct) });
  });
  for (const [label, key] of [["HIT", "up3/direct.html"], ["REVALIDATED", "rv/up3/direct.html"]]) {
    test(`html put straight into the store, read through the gateway: MISS, ${label}, HEAD, 206, share link`, async () => {
      await storePut(B, key, HTML, { ContentType: "text/html" });
      const t = tok({ key, methods: "GET,HEAD" });
      const miss = await req(u(key, `?token=${t}`));
      assertInert(miss, `first GET (${miss.headers.get("x-bagroom-cache")})`);
      const hit = await untilHit(u(key, `?token=${t}`), {}, label);
      assert.equal(hit.headers.get("x-bagroom-cache"), label);
      assertInert(hit, `GET from the cache (${label})`);
      assertInert(await req(u(key, `?token=${t}`), { method: "HEAD" }), "HEAD");
      const part = await req(u(key, `?token=${t}`), { headers: { range: "bytes=0-5" } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("x-bagroom-cache"), label);
      assertInert(part, "206 from the cache");
      const s = await req(raw(`/s/${t}`));
      assert.equal(s.status, 200);
      assertInert(s, "share link /s/<token>");
    });
  }
  test("html in the public prefix, anonymous GET", async () => {
    await storePut(B, "pub/page.html", HTML, { ContentType: "text/html" });
    const g = await req(u("pub/page.html"));
    assert.equal(g.status, 200);
    assertInert(g, "anonymous GET");
  });
  test("every object response carries nosniff: text/plain MISS, HIT, HEAD, 206 miss, share link", async () => {
    const key = "up3/plain.txt";
    await storePut(B, key, Buffer.from("0123456789".repeat(10)), { ContentType: "text/plain" });
    const t = tok({ key, methods: "GET,HEAD" });
    const first = await req(u(key, `?token=${t}`), { headers: { range: "bytes=0-0" } });
    assertInert(first, `206 (${first.headers.get("x-bagroom-cache")})`, { attachment: false });
    assertInert(await req(u(key, `?token=${t}`)), "GET", { attachment: false });
    assertInert(await untilHit(u(key, `?token=${t}`)), "HIT", { attachment: false });
    assertInert(await req(u(key, `?token=${t}`), { method: "HEAD" }), "HEAD", { attachment: false });
    assertInert(await req(raw(`/s/${t}`)), "share link", { attachment: false });
  });
  test("a signed URL's response-content-type=text/html comes back as an inert attachment", async () => {
    const key = "up3/signed.txt";
    await storePut(B, key, HTML, { ContentType: "text/plain" });
    const r = await req(presignV4(gw, "GET", `/${B}/${key}?response-content-type=text%2Fhtml`));
    assert.equal(r.status, 200, r.text);
    assertInert(r, "signed override to text/html");
  });
  test("a signed SigV2 URL's response-content-type=text/html comes back as an inert attachment", async () => {
    const key = "up3/signed2.txt";
    await storePut(B, key, HTML, { ContentType: "text/plain" });
    const r = await req(presignV2(gw, "GET", `/${B}/${key}`, { rawQuery: "response-content-type=text%2Fhtml" }));
    assert.equal(r.status, 200, r.text);
    assertInert(r, "signed SigV2 override to text/html");
  });
  test("anonymous ?response-content-type=text/html on a public object is ignored", async () => {
    const r = await req(u("pub/hello.txt", "?response-content-type=text/html"));
    if (r.status === 200) assert.match(r.headers.get("content-type") || "", /^text\/plain/);
    else expectRefused(r, [400, 403]);
  });

  // ---- the bagroom_token cookie a share link sets
  describe("the bagroom_token cookie", () => {
    let cookie;
    let full;
    before(async () => {
      for (const k of ["ck/a.txt", "ck/del.txt", "ck/del2.txt", "ck/src.txt"]) await storePut(B, k, Buffer.from("cookie-a"));
      full = tok({ prefix: "ck/", methods: "GET,HEAD,PUT,POST,DELETE,LIST,SHARE" });
      const s = await req(raw(`/s/${full}/ck/a.txt`));
      assert.equal(s.status, 200, s.text);
      const sc = s.headers.get("set-cookie") || "";
      const m = /bagroom_token=([^;]+)/.exec(sc);
      cookie = `bagroom_token=${m ? m[1] : full}`;
    });
    const C = () => ({ cookie });
    test("cookie authorises no PUT", async () => {
      expectRefused(await req(u("ck/put.txt"), { method: "PUT", headers: C(), body: "evil" }), 403, "AccessDenied");
      await assertAbsent("ck/put.txt");
    });
    test("cookie authorises no DELETE", async () => {
      expectRefused(await req(u("ck/del.txt"), { method: "DELETE", headers: C() }), 403, "AccessDenied");
      await assertUnchanged("ck/del.txt", "cookie-a");
    });
    test("cookie authorises no POST ?uploads", async () => {
      expectRefused(await req(u("ck/mp.bin", "?uploads"), { method: "POST", headers: C() }), 403, "AccessDenied");
      await assertNoUploads("ck/");
    });
    test("cookie authorises no POST ?delete", async () => {
      const r = await req(`${gw.url}/${B}?delete`, { method: "POST", headers: C(), body: "<Delete><Object><Key>ck/del2.txt</Key></Object></Delete>" });
      expectRefused(r, 403, "AccessDenied");
      await assertUnchanged("ck/del2.txt", "cookie-a");
    });
    test("cookie authorises no copy", async () => {
      const r = await req(u("ck/copy.txt"), { method: "PUT", headers: { ...C(), "x-amz-copy-source": `/${B}/ck/src.txt` }, body: "" });
      expectRefused(r, 403, "AccessDenied");
      await assertAbsent("ck/copy.txt");
    });
    test("cookie authorises no /api/share", async () => {
      const r = await req(raw("/api/share"), { method: "POST", headers: C(), body: JSON.stringify({ key: "ck/a.txt", ttl_seconds: 600, methods: ["GET", "PUT", "DELETE"] }) });
      expectRefused(r, 403, "AccessDenied");
      assert.ok(!/"token"/.test(r.text), "no child token");
    });
    test("cookie authorises no /api/presign", async () => {
      const r = await req(raw("/api/presign"), { method: "POST", headers: C(), body: JSON.stringify({ key: "ck/p.txt", content_type: "text/plain", size: 4 }) });
      expectRefused(r, 403, "AccessDenied");
    });
    test("cookie authorises no /api/session", async () => {
      expectRefused(await req(raw("/api/session"), { headers: C() }), 403, "AccessDenied");
    });
    test("cookie authorises no /s3/params", async () => {
      expectRefused(await req(raw("/s3/params?filename=x.txt&type=text/plain"), { headers: C() }), 403, "AccessDenied");
    });
    test("cookie authorises no POST /s3/multipart", async () => {
      const r = await req(raw("/s3/multipart"), { method: "POST", headers: C(), body: JSON.stringify({ filename: "m.bin", type: "text/plain" }) });
      expectRefused(r, 403, "AccessDenied");
      await assertNoUploads("ck/");
    });
    test("cookie authorises no listing", async () => {
      expectRefused(await req(`${gw.url}/${B}?list-type=2&prefix=ck/`, { headers: C() }), 403, "AccessDenied");
    });
    test("cookie authorises no /api/objects listing", async () => {
      expectRefused(await req(raw("/api/objects?prefix=ck/"), { headers: C() }), 403, "AccessDenied");
    });
    test("cookie reaches no key outside the token's scope", async () => {
      expectRefused(await req(u("private/payroll.csv"), { headers: C() }), 403, "AccessDenied");
    });
  });
});

// =============================================================================================
describe("4. header-signed SigV4: unsigned x-amz-* headers added after signing", () => {
  let n = 0;
  /** Sign an empty PUT of a fresh key holding "original", add `unsigned`, send. */
  async function tamperedPut(unsigned, { method = "PUT", q = "", useRaw = false } = {}) {
    const key = `v4/target-${++n}`;
    await storePut(B, key, Buffer.from("original"), { ContentType: "text/plain" });
    const s = signV4(gw, method, `/${B}/${key}${q}`);
    const headers = { ...s.headers, ...unsigned };
    const r = useRaw
      ? await rawHttp(gw, { method, path: new URL(s.url).pathname + new URL(s.url).search, headers, body: "" })
      : await req(s.url, { method, headers, body: method === "PUT" ? "" : undefined });
    return { r, key };
  }
  test("sanity: the signed empty PUT itself is accepted", async () => {
    const { r, key } = await tamperedPut({});
    assert.equal(r.status, 200, r.text);
    assert.equal((await storeGet(B, key)).length, 0);
  });
  for (const [name, h] of [
    ["x-amz-copy-source (turns the PUT into a copy of a secret)", { "x-amz-copy-source": `/${B}/private/payroll.csv` }],
    ["x-amz-copy-source + x-amz-metadata-directive", { "x-amz-copy-source": `/${B}/private/payroll.csv`, "x-amz-metadata-directive": "REPLACE" }],
    ["x-amz-acl: public-read", { "x-amz-acl": "public-read" }],
    ["x-amz-meta-x", { "x-amz-meta-x": "evil" }],
    ["x-amz-tagging", { "x-amz-tagging": "evil=1" }],
    ["x-amz-storage-class", { "x-amz-storage-class": "REDUCED_REDUNDANCY" }],
    ["x-amz-server-side-encryption-customer-algorithm (SSE-C)", {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": Buffer.alloc(32, 7).toString("base64"),
      "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update(Buffer.alloc(32, 7)).digest("base64"),
    }],
    ["x-amz-website-redirect-location", { "x-amz-website-redirect-location": "https://evil.example/" }],
    ["x-amz-grant-read", { "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }],
    ["x-amz-object-lock-legal-hold", { "x-amz-object-lock-legal-hold": "ON" }],
  ]) {
    test(`unsigned ${name}`, async () => {
      const { r, key } = await tamperedPut(h);
      expectRefused(r, 403, "AccessDenied");
      await assertUnchanged(key, "original");
    });
  }
  test("unsigned X-Amz-Copy-Source in mixed case on the wire", async () => {
    const { r, key } = await tamperedPut({ "X-AmZ-CoPy-SoUrCe": `/${B}/private/payroll.csv` }, { useRaw: true });
    expectRefused(r, 403, "AccessDenied");
    await assertUnchanged(key, "original");
  });
  test("unsigned X-AMZ-META-EVIL in upper case on the wire", async () => {
    const { r, key } = await tamperedPut({ "X-AMZ-META-EVIL": "1" }, { useRaw: true });
    expectRefused(r, 403, "AccessDenied");
    await assertUnchanged(key, "original");
  });
  test("unsigned x-amz-acl on a signed CreateMultipartUpload", async () => {
    const key = "v4/mp-acl";
    const s = signV4(gw, "POST", `/${B}/${key}?uploads`);
    const r = await req(s.url, { method: "POST", headers: { ...s.headers, "x-amz-acl": "public-read" } });
    expectRefused(r, 403, "AccessDenied");
    await assertNoUploads(key);
  });
  test("unsigned x-amz-copy-source on a signed UploadPart", async () => {
    const key = "v4/mp-part";
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
    try {
      const s = signV4(gw, "PUT", `/${B}/${key}?partNumber=1&uploadId=${encodeURIComponent(c.UploadId)}`);
      const r = await req(s.url, { method: "PUT", headers: { ...s.headers, "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "" });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts(key, c.UploadId), []);
    } finally {
      await storeAbort(key, c.UploadId);
    }
  });
  test("a presigned SigV4 PUT URL + unsigned x-amz-copy-source", async () => {
    const key = "v4/presigned-copy";
    await storePut(B, key, Buffer.from("original"));
    const r = await req(presignV4(gw, "PUT", `/${B}/${key}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "" });
    expectRefused(r, 403, "AccessDenied");
    await assertUnchanged(key, "original");
  });
  test("a presigned SigV4 PUT URL + unsigned x-amz-tagging", async () => {
    const key = "v4/presigned-tag";
    const r = await req(presignV4(gw, "PUT", `/${B}/${key}`), { method: "PUT", headers: { "x-amz-tagging": "evil=1" }, body: "x" });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent(key);
  });
});

// =============================================================================================
describe("5. CopyObject obeys the token's upload limits and read scope", () => {
  before(async () => {
    await storePut(B, "c5/pic.png", Buffer.from("\x89PNG fake"), { ContentType: "image/png" });
    await storePut(B, "c5/page.html", Buffer.from("<script>alert(1)</script>"), { ContentType: "text/html" });
    await storePut(B, "c5/big5000.bin", randomBytes(5000), { ContentType: "image/png" });
    await storePut(B, "c5/existing.png", Buffer.from("keep me"), { ContentType: "image/png" });
  });
  const copy = (dst, src, t, headers = {}) => req(u(dst, `?token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": src, ...headers }, body: "" });

  test("image/* token: REPLACE metadata with Content-Type: text/html", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/*"] });
    const r = await copy("c5/out-html.png", `/${B}/c5/pic.png`, t, { "x-amz-metadata-directive": "REPLACE", "content-type": "text/html" });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("c5/out-html.png");
  });
  test("image/* token: REPLACE metadata with Content-Type: image/svg+xml", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/*"] });
    const r = await copy("c5/out-svg.png", `/${B}/c5/pic.png`, t, { "x-amz-metadata-directive": "REPLACE", "content-type": "image/svg+xml" });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("c5/out-svg.png");
  });
  test("image/* token: COPY keeps a text/html source's type", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/*"] });
    const r = await copy("c5/out-copyhtml.png", `/${B}/c5/page.html`, t);
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("c5/out-copyhtml.png");
  });
  test("max_bytes=100 token copying a 5,000-byte object", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "100"] });
    const r = await copy("c5/out-big.bin", `/${B}/c5/big5000.bin`, t);
    expectRefused(r, 400, "EntityTooLarge");
    await assertAbsent("c5/out-big.bin");
  });
  test("no-overwrite token copying onto an existing key", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--no-overwrite"] });
    const r = await copy("c5/existing.png", `/${B}/c5/pic.png`, t);
    expectRefused(r, [412, 403], ["PreconditionFailed", "AccessDenied"]);
    await assertUnchanged("c5/existing.png", "keep me");
  });
  test("no-overwrite token copying an object onto itself (REPLACE)", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--no-overwrite"] });
    const r = await copy("c5/existing.png", `/${B}/c5/existing.png`, t, { "x-amz-metadata-directive": "REPLACE", "content-type": "text/html" });
    expectRefused(r, [412, 403, 400], ["PreconditionFailed", "AccessDenied", "InvalidRequest"]);
    await assertUnchanged("c5/existing.png", "keep me");
    assert.equal((await storeHead(B, "c5/existing.png")).ContentType, "image/png");
  });
  test("copy source outside the token's scope", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT" });
    expectRefused(await copy("c5/out-secret", `/${B}/private/payroll.csv`, t), 403, "AccessDenied");
    await assertAbsent("c5/out-secret");
  });
  test("copy source in a store bucket the gateway does not expose", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT" });
    expectRefused(await copy("c5/out-other", `/${OTHER}/secret.txt`, t), [403, 404], ["AccessDenied", "NoSuchBucket"]);
    await assertAbsent("c5/out-other");
  });
  test("copy source with ..%2F out of scope", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT" });
    expectRefused(await copy("c5/out-dots", `/${B}/c5/..%2Fprivate%2Fpayroll.csv`, t), 403, "AccessDenied");
    await assertAbsent("c5/out-dots");
  });
  test("copy source with a backslash dot segment", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT" });
    expectRefused(await copy("c5/out-bs", `/${B}/c5\\..\\private/payroll.csv`, t), [403, 400], ["AccessDenied", "InvalidArgument"]);
    await assertAbsent("c5/out-bs");
  });
  test("copy source whose versionId smuggles a path", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT" });
    const r = await copy("c5/out-ver", `/${B}/c5/pic.png?versionId=/../../private/payroll.csv`, t);
    assert.ok(r.status >= 400, `refused (${r.status})`);
    assertNoSecret(r);
    if (await storeHas(B, "c5/out-ver")) assertNoSecret(await storeGet(B, "c5/out-ver"));
  });
  test("PUT-only token (no GET) copying an in-scope object", async () => {
    const t = tok({ prefix: "c5/", methods: "PUT" });
    expectRefused(await copy("c5/out-noget", `/${B}/c5/pic.png`, t), 403, "AccessDenied");
    await assertAbsent("c5/out-noget");
  });
  test("max_bytes=100 image/* token copying a 5,000-byte object with REPLACE + image/png", async () => {
    const t = tok({ prefix: "c5/", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "100", "--content-type", "image/*"] });
    const r = await copy("c5/out-big2.png", `/${B}/c5/big5000.bin`, t, { "x-amz-metadata-directive": "REPLACE", "content-type": "image/png" });
    expectRefused(r, 400, "EntityTooLarge");
    await assertAbsent("c5/out-big2.png");
  });
});

// =============================================================================================
describe("6. share tokens must not set store-level attributes", () => {
  const BODY = "hello-s6";
  const SSEC_KEY = Buffer.alloc(32, 9);
  const ssec = (p = "x-amz-server-side-encryption-customer-") => ({
    [`${p}algorithm`]: "AES256", [`${p}key`]: SSEC_KEY.toString("base64"), [`${p}key-md5`]: createHash("md5").update(SSEC_KEY).digest("base64"),
  });
  const CASES = [
    ["x-amz-storage-class", { "x-amz-storage-class": "REDUCED_REDUNDANCY" }],
    ["x-amz-tagging", { "x-amz-tagging": "evil=1&owner=attacker" }],
    ["SSE-C (x-amz-server-side-encryption-customer-*)", ssec()],
    ["x-amz-acl: public-read", { "x-amz-acl": "public-read" }],
    ["x-amz-grant-read AllUsers", { "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }],
    ["x-amz-grant-full-control", { "x-amz-grant-full-control": 'id="attacker"' }],
    ["object lock mode + retain-until", { "x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": new Date(Date.now() + 86400e3 * 365).toISOString() }],
    ["object lock legal hold", { "x-amz-object-lock-legal-hold": "ON" }],
    ["x-amz-website-redirect-location", { "x-amz-website-redirect-location": "https://evil.example/phish" }],
    ["SSE-KMS key id", { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/evil" }],
  ];

  /** Nothing the attacker asked for took effect in the store, and a plain read still works. */
  async function assertPlain(key, headers, what) {
    const h = await storeHead(B, key).catch((e) => assert.fail(`${what}: the store cannot read the object without a customer key (SSE-C took effect): ${e.name}`));
    assert.ok(h, `${what}: stored`);
    assert.notEqual(h.StorageClass, "REDUCED_REDUNDANCY", `${what}: storage class`);
    assert.equal(h.WebsiteRedirectLocation, undefined, `${what}: website redirect`);
    assert.equal(h.ObjectLockMode, undefined, `${what}: object lock mode`);
    assert.notEqual(h.ObjectLockLegalHoldStatus, "ON", `${what}: legal hold`);
    assert.equal(h.SSEKMSKeyId, undefined, `${what}: KMS key id`);
    assert.equal(h.SSECustomerAlgorithm, undefined, `${what}: SSE-C`);
    const body = await storeGet(B, key).catch((e) => assert.fail(`${what}: the store cannot read the object without a customer key: ${e.name}`));
    assert.equal(body.toString(), BODY, `${what}: stored bytes`);
    try {
      const tg = await store.send(new GetObjectTaggingCommand({ Bucket: B, Key: key }));
      assert.deepEqual(tg.TagSet || [], [], `${what}: tags`);
    } catch (e) { if (!/NotImplemented|NoSuchTagSet/.test(e.name)) throw e; }
    try {
      const acl = await store.send(new GetObjectAclCommand({ Bucket: B, Key: key }));
      const open = (acl.Grants || []).filter((g) => /AllUsers|AuthenticatedUsers/.test(g.Grantee?.URI || "") || g.Grantee?.ID === "attacker");
      assert.deepEqual(open, [], `${what}: ACL grants`);
    } catch (e) { if (!/NotImplemented/.test(e.name) && e.$metadata?.httpStatusCode !== 501) throw e; }
    const anon = await fetch(`${STORE_URL}/${B}/${key}`);
    assert.notEqual(anon.status, 200, `${what}: the store serves it anonymously`);
    await anon.arrayBuffer();
    const t = tok({ key, methods: "GET" });
    const g = await req(u(key, `?token=${t}`));
    assert.equal(g.status, 200, `${what}: a later plain GET through the gateway: ${g.text}`);
    assert.equal(g.body.toString(), BODY);
    assert.equal(g.headers.get("x-amz-website-redirect-location"), null, `${what}: redirect header served`);
  }

  for (const [i, [name, headers]] of CASES.entries()) {
    test(`PUT with ${name}`, async () => {
      const key = `s6/put-${i}`;
      const t = tok({ prefix: "s6/", methods: "GET,HEAD,PUT,POST" });
      const r = await req(u(key, `?token=${t}`), { method: "PUT", headers: { "content-type": "text/plain", ...headers }, body: BODY });
      if (r.status === 200) await assertPlain(key, headers, `PUT ${name}`);
      else { expectRefused(r, [400, 403]); await assertAbsent(key); }
    });
  }
  for (const [i, [name, headers]] of CASES.entries()) {
    test(`CreateMultipartUpload with ${name}`, async () => {
      const key = `s6/mp-${i}`;
      const t = tok({ prefix: "s6/", methods: "GET,HEAD,PUT,POST" });
      const c = await req(u(key, `?uploads&token=${t}`), { method: "POST", headers: { "content-type": "text/plain", ...headers } });
      if (c.status !== 200) {
        expectRefused(c, [400, 403]);
        await assertNoUploads(key);
        return;
      }
      const id = xmlField(c.text, "UploadId");
      try {
        const p = await req(u(key, `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: BODY });
        assert.equal(p.status, 200, `part: ${p.text}`);
        const done = await req(u(key, `?uploadId=${encodeURIComponent(id)}&token=${t}`), {
          method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>`,
        });
        assert.equal(done.status, 200, `complete: ${done.text}`);
        await assertPlain(key, headers, `multipart ${name}`);
      } finally {
        await storeAbort(key, id);
      }
    });
  }
});

// =============================================================================================
describe("7. /api and /s3 refuse tokens that are not valid now", () => {
  const KINDS = {
    expired: () => ["--exp", String(now() - 120)],
    "not yet valid": () => ["--nbf", String(now() + 3600), "--ttl", "7200"],
    "another client IP": () => ["--ip", "10.9.9.9"],
    revoked: () => ["--id", REVOKED_ID],
  };
  const ENDPOINTS = {
    "GET /api/session": (t) => req(raw("/api/session"), { headers: { authorization: `Bearer ${t}` } }),
    "GET /api/objects": (t) => req(raw("/api/objects?prefix=a7/"), { headers: { authorization: `Bearer ${t}` } }),
    "POST /api/share": (t, methods) => req(raw("/api/share"), { method: "POST", headers: { authorization: `Bearer ${t}` },
      body: JSON.stringify({ key: "a7/x.txt", ttl_seconds: 600, methods: methods.includes("GET") ? ["GET"] : ["LIST"] }) }),
    "POST /api/presign": (t) => req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ key: "a7/x.txt", content_type: "text/plain", size: 5 }) }),
    "GET /s3/params": (t) => req(raw("/s3/params?filename=x.txt&type=text/plain"), { headers: { authorization: `Bearer ${t}` } }),
    "POST /s3/multipart": (t) => req(raw(`/t/${t}/s3/multipart`), { method: "POST", body: JSON.stringify({ filename: "x.txt", type: "text/plain" }) }),
  };
  for (const methods of ["GET,HEAD,PUT,POST,LIST,SHARE", "LIST,SHARE"]) {
    for (const [kind, flags] of Object.entries(KINDS)) {
      for (const [ep, call] of Object.entries(ENDPOINTS)) {
        test(`${kind} token (${methods}) on ${ep}`, async () => {
          const t = tok({ prefix: "a7/", methods, extra: flags() });
          const r = await call(t, methods);
          expectRefused(r, 403, "AccessDenied");
          assert.ok(!/"token"\s*:/.test(r.text), "no child token minted");
          assert.ok(!/"url"\s*:/.test(r.text), "no URL signed");
          assert.ok(!/uploadId/.test(r.text), "no upload started");
          await assertNoUploads("a7/");
        });
      }
    }
  }
  test("a token spoofing CF-Connecting-IP to the address it is bound to", async (ctx) => {
    const t = tok({ prefix: "a7/", methods: "LIST,SHARE", extra: ["--ip", "10.9.9.9"] });
    const r = await req(raw("/api/session"), { headers: { authorization: `Bearer ${t}`, "cf-connecting-ip": "10.9.9.9", "x-forwarded-for": "10.9.9.9", "x-real-ip": "10.9.9.9" } });
    // workerd in front of this test sets CF-Connecting-IP itself; on Cloudflare the edge does
    if (r.status === 200) return ctx.skip("the local runtime passes a client's CF-Connecting-IP through (Cloudflare's edge overwrites it): not observable here");
    expectRefused(r, 403, "AccessDenied");
  });
  test("a token for a bucket the gateway does not serve, on /api/session", async () => {
    const t = tok({ prefix: "", methods: "GET,LIST,SHARE", bucket: OTHER });
    const r = await req(raw("/api/session"), { headers: { authorization: `Bearer ${t}` } });
    expectRefused(r, [403, 404], ["AccessDenied", "NoSuchBucket"]);
  });
});

// =============================================================================================
describe("8. presigned PUTs and part URLs bind the length", () => {
  const LIMIT = 1000;
  const T = (extra = []) => tok({ prefix: "m8/", methods: "GET,HEAD,PUT,POST", extra: ["--max-bytes", String(LIMIT), ...extra] });
  async function uppyCreate(t, filename) {
    const c = await req(raw("/s3/multipart"), { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ filename, type: "application/octet-stream" }) });
    assert.equal(c.status, 200, c.text);
    return JSON.parse(c.text);
  }
  /** The URL the gateway signed must not take `n` bytes (or the gateway refused to sign it). */
  async function assertUrlRefuses(r, n, key, uploadId) {
    if (r.status !== 200) return expectRefused(r, [400, 411], ["MissingContentLength", "InvalidArgument", "EntityTooLarge", "InvalidRequest"]);
    const j = JSON.parse(r.text);
    const url = j.url || Object.values(j.presignedUrls || {})[0];
    const put = await fetch(url, { method: "PUT", headers: j.headers || {}, body: randomBytes(n) });
    await put.arrayBuffer();
    assert.ok(put.status >= 400, `the store took ${n} bytes (token max ${LIMIT}) at the URL the gateway signed: ${put.status}`);
    if (uploadId) assert.deepEqual((await storeParts(key, uploadId)).filter((p) => p.size > LIMIT), [], "no oversized part in the store");
    else await assertAbsent(key);
  }

  test("/s3/multipart/:id/:part without size", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "nosize.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}`), { headers: { authorization: `Bearer ${t}` } });
      await assertUrlRefuses(r, 5000, key, uploadId);
    } finally { await storeAbort(key, uploadId); }
  });
  test("/s3/multipart/:id/:part with size=abc (unparsable, silently dropped?)", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "badsize.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&size=abc`), { headers: { authorization: `Bearer ${t}` } });
      await assertUrlRefuses(r, 5000, key, uploadId);
    } finally { await storeAbort(key, uploadId); }
  });
  test("/s3/multipart/:id/:part with size=-1", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "negsize.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&size=-1`), { headers: { authorization: `Bearer ${t}` } });
      await assertUrlRefuses(r, 5000, key, uploadId);
    } finally { await storeAbort(key, uploadId); }
  });
  test("/s3/multipart/:id/:part with size=10, then 5,000 bytes sent", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "smallsize.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&size=10`), { headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.status, 200, r.text);
      await assertUrlRefuses(r, 5000, key, uploadId);
    } finally { await storeAbort(key, uploadId); }
  });
  test("/s3/multipart/:id/:part with size over the token's limit", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "bigsize.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&size=${LIMIT + 1}`), { headers: { authorization: `Bearer ${t}` } });
      expectRefused(r, 400, "EntityTooLarge");
    } finally { await storeAbort(key, uploadId); }
  });
  test("/s3/multipart/:id/batch (no sizes at all)", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "batch.bin");
    try {
      const r = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/batch?key=${encodeURIComponent(key)}&partNumbers=1,2`), { headers: { authorization: `Bearer ${t}` } });
      await assertUrlRefuses(r, 5000, key, uploadId);
    } finally { await storeAbort(key, uploadId); }
  });
  test("via=edge part URL: a body over the token's limit", async () => {
    const t = T();
    const { key, uploadId } = await uppyCreate(t, "edge.bin");
    try {
      const p = await req(raw(`/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}&via=edge`), { headers: { authorization: `Bearer ${t}` } });
      assert.equal(p.status, 200, p.text);
      expectRefused(await req(JSON.parse(p.text).url, { method: "PUT", body: randomBytes(5000) }), 400, "EntityTooLarge");
      assert.deepEqual(await storeParts(key, uploadId), []);
    } finally { await storeAbort(key, uploadId); }
  });
  test("/api/presign without size, token with max_bytes", async () => {
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${T()}` }, body: JSON.stringify({ key: "m8/p1.bin", content_type: "application/octet-stream" }) });
    expectRefused(r, 411, "MissingContentLength");
  });
  test("/api/presign with size=10, then 5,000 bytes sent to the store", async () => {
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${T()}` }, body: JSON.stringify({ key: "m8/p2.bin", content_type: "application/octet-stream", size: 10 }) });
    assert.equal(r.status, 200, r.text);
    await assertUrlRefuses(r, 5000, "m8/p2.bin");
  });
  test("/api/presign without size, token without max_bytes: a body over BAGROOM_MAX_UPLOAD_BYTES", async () => {
    const t = tok({ prefix: "m8/", methods: "GET,HEAD,PUT,POST" });
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ key: "m8/p3.bin", content_type: "application/octet-stream" }) });
    if (r.status !== 200) return expectRefused(r, [400, 411], ["MissingContentLength", "InvalidArgument"]);
    const j = JSON.parse(r.text);
    assert.match(j.url, /X-Amz-SignedHeaders=[^&]*content-length/i, "the presigned PUT must sign content-length");
    const put = await fetch(j.url, { method: "PUT", headers: j.headers, body: randomBytes(MAX_UPLOAD + 1000) });
    await put.arrayBuffer();
    assert.ok(put.status >= 400, `the store took ${MAX_UPLOAD + 1000} bytes, over BAGROOM_MAX_UPLOAD_BYTES`);
    await assertAbsent("m8/p3.bin");
  });
  test("/s3/params on a no-overwrite token (presigned PUT) without size", async () => {
    const t = T(["--no-overwrite"]);
    const r = await req(raw("/s3/params?filename=p4.bin&type=application/octet-stream"), { headers: { authorization: `Bearer ${t}` } });
    await assertUrlRefuses(r, 5000, "m8/p4.bin");
  });
  test("/s3/params POST form: a file over the token's limit", async () => {
    const r = await req(raw("/s3/params?filename=p5.bin&type=application/octet-stream"), { headers: { authorization: `Bearer ${T()}` } });
    assert.equal(r.status, 200, r.text);
    const j = JSON.parse(r.text);
    if (j.method !== "POST") return assertUrlRefuses(r, 5000, "m8/p5.bin");
    const fd = new FormData();
    for (const [k, v] of Object.entries(j.fields)) fd.append(k, v);
    fd.append("file", new Blob([randomBytes(5000)]), "p5.bin");
    const post = await fetch(j.url, { method: "POST", body: fd });
    await post.arrayBuffer();
    assert.ok(post.status >= 400, `the store took 5,000 bytes through the POST form (content-length-range ${LIMIT}): ${post.status}`);
    await assertAbsent("m8/p5.bin");
  });

  /** Two parts, each within `max`, together over it; complete must fail and leave nothing. */
  async function overLimitComplete(viaUppy) {
    const max = 5 * MiB + 100;
    const t = tok({ prefix: "m8/", methods: "GET,HEAD,PUT,POST", extra: ["--max-bytes", String(max)] });
    const g = gw;
    const key = viaUppy ? undefined : `m8/over-${viaUppy}.bin`;
    let k = key, id;
    if (viaUppy) ({ key: k, uploadId: id } = await uppyCreate(t, "over-uppy.bin"));
    else id = await gwCreateUpload(k, t);
    try {
      const etags = [];
      for (const [n, size] of [[1, 5 * MiB], [2, 1000]]) {
        const p = await req(u(k, `?partNumber=${n}&uploadId=${encodeURIComponent(id)}&token=${t}`, g), { method: "PUT", body: randomBytes(size) });
        assert.equal(p.status, 200, `part ${n}: ${p.text}`);
        etags.push(p.headers.get("etag"));
      }
      let r;
      if (viaUppy) {
        r = await req(raw(`/s3/multipart/${encodeURIComponent(id)}/complete?key=${encodeURIComponent(k)}`), {
          method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ parts: etags.map((e, i) => ({ PartNumber: i + 1, ETag: e })) }),
        });
      } else {
        r = await req(u(k, `?uploadId=${encodeURIComponent(id)}&token=${t}`), {
          method: "POST", body: `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`,
        });
      }
      expectRefused(r, 400, "EntityTooLarge");
      await assertAbsent(k);
      await assertNoUploads(k);
    } finally { await storeAbort(k, id); }
  }
  test("CompleteMultipartUpload over max_bytes (S3 API)", () => overLimitComplete(false));
  test("POST /s3/multipart/:id/complete over max_bytes (Uppy)", () => overLimitComplete(true));
  test("complete listing a part twice to dodge the size sum", async () => {
    const t = T();
    const k = "m8/dup.bin";
    const id = await gwCreateUpload(k, t);
    try {
      const p = await req(u(k, `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: randomBytes(800) });
      assert.equal(p.status, 200, p.text);
      const e = p.headers.get("etag");
      const r = await req(u(k, `?uploadId=${encodeURIComponent(id)}&token=${t}`), {
        method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${e}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${e}</ETag></Part></CompleteMultipartUpload>`,
      });
      assert.ok(r.status >= 400, `refused (${r.status})`);
      if (await storeHas(B, k)) assert.ok((await storeGet(B, k)).length <= LIMIT, "stored object over the limit");
    } finally { await storeAbort(k, id); }
  });
});

// =============================================================================================
describe("9. bodies are read with a cap, and only after authentication", () => {
  let n = 0;
  /** Fresh objects holding "keep <key>". */
  async function fresh(count) {
    const keys = Array.from({ length: count }, () => `d9/k${++n}`);
    for (const k of keys) await storePut(B, k, Buffer.from(`keep ${k}`));
    return keys;
  }
  const kept = async (keys) => { for (const k of keys) await assertUnchanged(k, `keep ${k}`, "after the attack"); };
  const delXml = (keys) => `<Delete>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join("")}</Delete>`;

  test("anonymous POST ?delete with a 20 MB body: 403, quickly", async () => {
    const r = await sendBig(`${gw.url}/${B}?delete`, { body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once the body was sent`);
  });
  test("anonymous POST ?delete with a small valid body naming a public key", async () => {
    const keys = await fresh(1);
    await storePut(B, "pub/del9.txt", Buffer.from("keep pub/del9.txt"));
    const r = await req(`${gw.url}/${B}?delete`, { method: "POST", body: delXml(["pub/del9.txt", ...keys]) });
    expectRefused(r, 403, "AccessDenied");
    await kept([...keys, "pub/del9.txt"]);
  });
  test("anonymous POST ?delete with a badly nested body: 403 before parsing", async () => {
    const body = "<Delete>" + "<a>".repeat(60) + "</z>".repeat(200000) + "</Delete>";
    const r = await sendBig(`${gw.url}/${B}?delete`, { body: Buffer.from(body) });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once the body was sent`);
  });
  test("a token without DELETE: POST ?delete is refused as a whole", async () => {
    const keys = await fresh(1);
    const r = await req(`${gw.url}/${B}?delete&token=${tok({ prefix: "d9/", methods: "GET,PUT" })}`, { method: "POST", body: delXml(keys) });
    assert.ok(r.status === 403 || (r.status === 200 && !/<Deleted>/.test(r.text)), r.text);
    await kept(keys);
  });
  test("oversized DeleteObjects XML (5 MB) with an access key", async () => {
    const keys = await fresh(1);
    const body = Buffer.from(delXml(keys).replace("</Delete>", `<Pad>${"x".repeat(5 * MiB)}</Pad></Delete>`));
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: "UNSIGNED-PAYLOAD" });
    const r = await sendBig(s.url, { headers: s.headers, body });
    expectRefused(r, [400, 413], ["MaxMessageLengthExceeded", "MalformedXML", "EntityTooLarge"]);
    await kept(keys);
  });
  test("oversized CompleteMultipartUpload XML (5 MB) with a token", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,PUT,POST" });
    const id = await gwCreateUpload("d9/mp", t);
    try {
      const r = await sendBig(u("d9/mp", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { body: Buffer.from(`<CompleteMultipartUpload>${" ".repeat(5 * MiB)}</CompleteMultipartUpload>`) });
      expectRefused(r, [400, 413], ["MaxMessageLengthExceeded", "MalformedXML", "EntityTooLarge"]);
      await assertAbsent("d9/mp");
    } finally { await storeAbort("d9/mp", id); }
  });
  test("anonymous CompleteMultipartUpload with a 20 MB body: 403, quickly", async () => {
    const r = await sendBig(u("pub/mp", "?uploadId=whatever"), { body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once the body was sent`);
  });
  for (const ep of ["/api/share", "/api/presign", "/s3/multipart"]) {
    test(`oversized JSON (3 MB) to ${ep}`, async () => {
      const t = tok({ prefix: "d9/", methods: "GET,HEAD,PUT,POST,SHARE" });
      const body = Buffer.from(JSON.stringify({ key: "d9/x", filename: "x", ttl_seconds: 60, pad: "x".repeat(3 * MiB) }));
      const r = await sendBig(raw(ep), { headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body });
      expectRefused(r, [400, 413], ["InvalidArgument", "MaxMessageLengthExceeded", "EntityTooLarge", "InvalidRequest"]);
      await assertNoUploads("d9/");
    });
  }
  test("oversized JSON (3 MB) to /s3/multipart/:id/complete", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,HEAD,PUT,POST" });
    const id = await gwCreateUpload("d9/mp2", t);
    try {
      const body = Buffer.from(JSON.stringify({ parts: [{ PartNumber: 1, ETag: "x".repeat(3 * MiB) }] }));
      const r = await sendBig(raw(`/s3/multipart/${encodeURIComponent(id)}/complete?key=d9/mp2`), { headers: { authorization: `Bearer ${t}` }, body });
      expectRefused(r, [400, 413], ["InvalidArgument", "MaxMessageLengthExceeded", "EntityTooLarge", "InvalidRequest"]);
      await assertAbsent("d9/mp2");
    } finally { await storeAbort("d9/mp2", id); }
  });
  test("a token's 20 MB JSON to /api/share is cut at the cap, not buffered whole", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,SHARE" });
    const r = await sendBig(raw("/api/share"), { headers: { authorization: `Bearer ${t}` }, body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, [400, 413], ["InvalidArgument", "MaxMessageLengthExceeded", "EntityTooLarge", "InvalidRequest"]);
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once all 20 MB were read`);
  });
  test("a token's 20 MB chunked JSON (no declared length) to /api/share stops at the cap", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,SHARE" });
    const r = await sendBig(raw("/api/share"), { headers: { authorization: `Bearer ${t}` }, body: Buffer.alloc(20 * MiB, 0x20), first: 256 * 1024, chunked: true });
    expectRefused(r, [400, 413], ["InvalidArgument", "MaxMessageLengthExceeded", "EntityTooLarge", "InvalidRequest"]);
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once all 20 MB were read`);
  });
  test("a token's 20 MB JSON to /s3/multipart is cut at the cap, not buffered whole", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,PUT,POST" });
    const r = await sendBig(raw("/s3/multipart"), { headers: { authorization: `Bearer ${t}` }, body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, [400, 413], ["InvalidArgument", "MaxMessageLengthExceeded", "EntityTooLarge", "InvalidRequest"]);
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once all 20 MB were read`);
    await assertNoUploads("d9/");
  });
  test("a token's 20 MB CompleteMultipartUpload is cut at the cap, not buffered whole", async () => {
    const t = tok({ prefix: "d9/", methods: "GET,PUT,POST" });
    const id = await gwCreateUpload("d9/mp3", t);
    try {
      const r = await sendBig(u("d9/mp3", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { body: Buffer.alloc(20 * MiB, 0x20) });
      expectRefused(r, [400, 413], ["MaxMessageLengthExceeded", "MalformedXML", "EntityTooLarge"]);
      assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once all 20 MB were read`);
      await assertAbsent("d9/mp3");
    } finally { await storeAbort("d9/mp3", id); }
  });
  test("an access key's 20 MB DeleteObjects is cut at the cap, not buffered whole", async () => {
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: "UNSIGNED-PAYLOAD" });
    const r = await sendBig(s.url, { headers: s.headers, body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, [400, 413], ["MaxMessageLengthExceeded", "MalformedXML", "EntityTooLarge"]);
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once all 20 MB were read`);
  });
  test("anonymous oversized JSON (20 MB) to /api/share: 403, quickly", async () => {
    const r = await sendBig(raw("/api/share"), { body: Buffer.alloc(20 * MiB, 0x20) });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(r.ms < 1400, `answered after ${r.ms} ms: only once the body was sent`);
  });
  test("header-signed DeleteObjects whose body was swapped after signing", async () => {
    const [a, b, c] = await fresh(3);
    const signedBody = delXml([a]);
    const sentBody = delXml([b, c]);
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: sha256(signedBody), extra: { "content-md5": md5b64(sentBody) } });
    const r = await req(s.url, { method: "POST", headers: s.headers, body: sentBody });
    expectRefused(r, 400, "XAmzContentSHA256Mismatch");
    await kept([a, b, c]);
  });
  test("header-signed CompleteMultipartUpload whose body was swapped after signing", async () => {
    const key = "d9/swap";
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
    try {
      const p = await store.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: c.UploadId, PartNumber: 1, Body: Buffer.from("swapped") }));
      const sent = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.ETag}</ETag></Part></CompleteMultipartUpload>`;
      const s = signV4(gw, "POST", `/${B}/${key}?uploadId=${encodeURIComponent(c.UploadId)}`, { payload: sha256("<CompleteMultipartUpload></CompleteMultipartUpload>") });
      const r = await req(s.url, { method: "POST", headers: s.headers, body: sent });
      expectRefused(r, 400, "XAmzContentSHA256Mismatch");
      await assertAbsent(key);
    } finally { await storeAbort(key, c.UploadId); }
  });
  test("a token DeleteObjects stating an x-amz-content-sha256 its body does not have", async () => {
    const keys = await fresh(1);
    const t = tok({ prefix: "d9/", methods: "DELETE" });
    const r = await req(`${gw.url}/${B}?delete&token=${t}`, { method: "POST", headers: { "x-amz-content-sha256": sha256("other") }, body: delXml(keys) });
    expectRefused(r, 400, "XAmzContentSHA256Mismatch");
    await kept(keys);
  });
  test("DeleteObjects with a garbage Content-MD5", async () => {
    const keys = await fresh(1);
    const body = delXml(keys);
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: sha256(body), extra: { "content-md5": "not-base64-md5!!" } });
    const r = await req(s.url, { method: "POST", headers: s.headers, body });
    expectRefused(r, 400, "InvalidDigest");
    await kept(keys);
  });
  test("DeleteObjects with the Content-MD5 of another body", async () => {
    const keys = await fresh(1);
    const body = delXml(keys);
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: sha256(body), extra: { "content-md5": md5b64("other") } });
    const r = await req(s.url, { method: "POST", headers: s.headers, body });
    expectRefused(r, 400, ["BadDigest", "InvalidDigest"]);
    await kept(keys);
  });
  test("token PUT with a garbage Content-MD5", async () => {
    const t = tok({ prefix: "d9/", methods: "PUT" });
    const r = await req(u("d9/md5-garbage", `?token=${t}`), { method: "PUT", headers: { "content-md5": "garbage" }, body: "payload" });
    expectRefused(r, 400, "InvalidDigest");
    await assertAbsent("d9/md5-garbage");
  });
  test("token PUT with the Content-MD5 of another body", async () => {
    const t = tok({ prefix: "d9/", methods: "PUT" });
    const r = await req(u("d9/md5-other", `?token=${t}`), { method: "PUT", headers: { "content-md5": md5b64("other") }, body: "payload" });
    expectRefused(r, 400, "BadDigest");
    await assertAbsent("d9/md5-other");
  });
  test("token PUT stating an x-amz-content-sha256 its body does not have", async () => {
    const t = tok({ prefix: "d9/", methods: "PUT" });
    const r = await req(u("d9/sha-other", `?token=${t}`), { method: "PUT", headers: { "x-amz-content-sha256": sha256("other") }, body: "payload" });
    expectRefused(r, 400, "XAmzContentSHA256Mismatch");
    await assertAbsent("d9/sha-other");
  });
  test("DeleteObjects smuggling an out-of-scope key through XML entities, CDATA and tag injection", async () => {
    const t = tok({ prefix: "d9/", methods: "DELETE" });
    const body = `<Delete><Object><Key>d9/&#46;&#46;/private/payroll.csv</Key></Object><Object><Key><![CDATA[private/payroll.csv]]></Key></Object>`
      + `<Object><Key>d9/x&lt;/Key&gt;&lt;Key&gt;private/payroll.csv</Key></Object><Object><Key>d9/../private/payroll.csv</Key></Object></Delete>`;
    const r = await req(`${gw.url}/${B}?delete&token=${t}`, { method: "POST", body });
    assert.ok(r.status === 200 || r.status >= 400, r.text);
    assert.ok(!/<Deleted><Key>private\/payroll.csv/.test(r.text), r.text);
    assert.ok(await storeHas(B, "private/payroll.csv"), "the secret was deleted");
  });
  test("DeleteObjects with 1,001 keys", async () => {
    const keys = await fresh(1);
    const body = delXml(Array.from({ length: 1001 }, (_, i) => `d9/n${i}`).concat(keys));
    const s = signV4(gw, "POST", `/${B}?delete`, { payload: sha256(body) });
    const r = await req(s.url, { method: "POST", headers: { ...s.headers, "content-md5": md5b64(body) }, body });
    expectRefused(r, 400, "MalformedXML");
    await kept(keys);
  });
});

// =============================================================================================
describe("10. narrowed tokens die with their parent's key and id", () => {
  before(async () => {
    await storePut(B, "r10/a.txt", Buffer.from("r10-a"));
  });
  async function share(g, parent, body = { key: "r10/a.txt", ttl_seconds: 600 }) {
    return req(`${g.url}/api/share`, { method: "POST", headers: { authorization: `Bearer ${parent}` }, body: JSON.stringify(body) });
  }
  test("sanity: a t0-signed parent works on the gateway that has t0, and is refused by the one without", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", keys: T0_FIRST });
    assert.equal(inspect(parent).kid, "t0");
    assert.equal((await req(u("r10/a.txt", `?token=${parent}`))).status, 200);
    expectRefused(await req(u("r10/a.txt", `?token=${parent}`, gwRot)), 403, "AccessDenied");
  });
  test("a child minted by /api/share from a t0 parent stops working once t0 is removed", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", keys: T0_FIRST });
    const s = await share(gw, parent);
    assert.equal(s.status, 200, s.text);
    const child = JSON.parse(s.text).token;
    const ok = await req(u("r10/a.txt", `?token=${child}`));
    assert.equal(ok.status, 200, "the child works where its parent does");
    const r = await req(u("r10/a.txt", `?token=${child}`, gwRot));
    expectRefused(r, 403, "AccessDenied");
  });
  test("the child's share link /s/<child> also stops once t0 is removed", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", keys: T0_FIRST });
    const child = JSON.parse((await share(gw, parent)).text).token;
    expectRefused(await req(`${gwRot.url}/s/${child}`), 403, "AccessDenied");
  });
  test("a grandchild (child with SHARE) of a t0 parent stops too", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", keys: T0_FIRST });
    const child = JSON.parse((await share(gw, parent, { key: "r10/a.txt", ttl_seconds: 600, methods: ["GET", "SHARE"] })).text).token;
    const g = await share(gw, child, { key: "r10/a.txt", ttl_seconds: 600, methods: ["GET"] });
    assert.equal(g.status, 200, g.text);
    const grand = JSON.parse(g.text).token;
    expectRefused(await req(u("r10/a.txt", `?token=${grand}`, gwRot)), 403, "AccessDenied");
  });
  test("/api/share on the rotated gateway with a t0 parent mints nothing", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", keys: T0_FIRST });
    const r = await share(gwRot, parent);
    expectRefused(r, 403, "AccessDenied");
    assert.ok(!/"token"/.test(r.text));
  });
  test("a t0 LIST,SHARE parent mints nothing on the rotated gateway", async () => {
    const parent = tok({ prefix: "r10/", methods: "LIST,SHARE", keys: T0_FIRST });
    const r = await share(gwRot, parent, { key: "r10/a.txt", ttl_seconds: 600, methods: ["LIST"] });
    expectRefused(r, 403, "AccessDenied");
  });
  test("a child of a parent revoked later is revoked too", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", extra: ["--id", ROT_REVOKED_ID] });
    const child = JSON.parse((await share(gw, parent)).text).token;
    assert.equal((await req(u("r10/a.txt", `?token=${child}`))).status, 200);
    expectRefused(await req(u("r10/a.txt", `?token=${child}`, gwRot)), 403, "AccessDenied");
  });
  test("a child cannot widen the parent's methods", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE" });
    const r = await share(gw, parent, { key: "r10/a.txt", ttl_seconds: 600, methods: ["GET", "PUT", "DELETE"] });
    expectRefused(r, 403, "AccessDenied");
  });
  test("a child cannot leave the parent's scope", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE" });
    expectRefused(await share(gw, parent, { key: "private/payroll.csv", ttl_seconds: 600 }), 403, "AccessDenied");
  });
  test("a child's key with .. segments reaches nothing", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE" });
    const s = await share(gw, parent, { key: "r10/../private/payroll.csv", ttl_seconds: 600 });
    if (s.status !== 200) return expectRefused(s, [400, 403]);
    const child = JSON.parse(s.text).token;
    expectRefused(await req(`${gw.url}/s/${child}`), 403, "AccessDenied");
    expectRefused(await req(u("private/payroll.csv", `?token=${child}`)), 403, "AccessDenied");
  });
  test("a child never outlives its parent", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE", extra: ["--ttl", "120"] });
    const s = await share(gw, parent, { key: "r10/a.txt", ttl_seconds: 604800 });
    assert.equal(s.status, 200, s.text);
    assert.ok(inspect(JSON.parse(s.text).token).exp <= inspect(parent).exp);
  });
});

// =============================================================================================
describe("11. ranged misses do not amplify; If-Range", () => {
  /** Whole-object GETs (no Range) the gateway sent the store for `key` since `from`. */
  const fullFetches = (key, from) => proxy.log.slice(from).filter((e) => e.method === "GET" && e.path.split("?")[0] === `/${B}/${key}` && !e.range).length;

  async function rangedBurst(key, headers = {}) {
    const t = tok({ key, methods: "GET,HEAD" });
    const from = proxy.log.length;
    for (let i = 0; i < 5; i++) {
      const r = await req(u(key, `?token=${t}`, gwProxy), { headers: { range: "bytes=0-0", ...headers } });
      assert.equal(r.status, 206, r.text);
      assert.equal(r.body.length, 1);
    }
    await sleep(800); // background fills run after the response
    return fullFetches(key, from);
  }
  test("sanity: the proxy sees the gateway's store requests", async () => {
    await storePut(B, "r11/seen.bin", randomBytes(10));
    const from = proxy.log.length;
    const t = tok({ key: "r11/seen.bin", methods: "GET" });
    assert.equal((await req(u("r11/seen.bin", `?token=${t}`, gwProxy))).status, 200);
    assert.ok(proxy.log.length > from);
  });
  test("Range: bytes=0-0 x5 on a Cache-Control: private object starts no whole-object fetch", async () => {
    await storePut(B, "r11/private.bin", randomBytes(50_000), { CacheControl: "private" });
    assert.equal(await rangedBurst("r11/private.bin"), 0);
  });
  test("Range: bytes=0-0 x5 on a no-store object starts no whole-object fetch", async () => {
    await storePut(B, "r11/nostore.bin", randomBytes(50_000), { CacheControl: "no-store" });
    assert.equal(await rangedBurst("r11/nostore.bin"), 0);
  });
  test("Range: bytes=0-0 x5 on a content-encoded object starts no whole-object fetch", async () => {
    await storePut(B, "r11/encoded.bin", randomBytes(50_000), { ContentEncoding: "x-bagroom-test" });
    assert.equal(await rangedBurst("r11/encoded.bin", { "accept-encoding": "identity" }), 0);
  });
  test("Range: bytes=0-0 x5 on an object over BAGROOM_CACHE_MAX_OBJECT_BYTES starts no whole-object fetch", async () => {
    await storePut(B, "r11/big.bin", randomBytes(CACHE_MAX + 50_000));
    assert.equal(await rangedBurst("r11/big.bin"), 0);
  });
  for (const key of ["r11/ok.bin", "rv/r11/ok.bin"]) {
    test(`Range: bytes=0-0 on a cacheable object: once filled, later ranges start no fetch (${key})`, async () => {
      await storePut(B, key, randomBytes(50_000));
      const t = tok({ key, methods: "GET,HEAD" });
      assert.equal((await req(u(key, `?token=${t}`, gwProxy), { headers: { range: "bytes=0-0" } })).status, 206);
      await sleep(800);
      const from = proxy.log.length;
      for (let i = 0; i < 4; i++) {
        const r = await req(u(key, `?token=${t}`, gwProxy), { headers: { range: "bytes=0-0" } });
        assert.equal(r.headers.get("x-bagroom-cache"), key.startsWith("rv/") ? "REVALIDATED" : "HIT");
      }
      await sleep(500);
      assert.equal(fullFetches(key, from), 0);
    });
  }

  // REVALIDATED: a revalidate-mode hit (rv/), confirmed by the store before it is served
  const ifRangeKey = (name, where) => `${where === "REVALIDATED" ? "rv/" : ""}r11/${name}-${where}.bin`;
  for (const where of ["MISS", "HIT", "REVALIDATED"]) {
    const warm = (key, t) => untilHit(u(key, `?token=${t}`), {}, where);
    test(`If-Range with a non-matching ETag returns the whole object (${where})`, async () => {
      const key = ifRangeKey("ifrange", where);
      const body = randomBytes(2000);
      await storePut(B, key, body);
      const t = tok({ key, methods: "GET,HEAD" });
      if (where !== "MISS") assert.equal((await warm(key, t)).headers.get("x-bagroom-cache"), where);
      const r = await req(u(key, `?token=${t}`), { headers: { range: "bytes=0-9", "if-range": '"00000000000000000000000000000000"' } });
      assert.equal(r.status, 200, `status ${r.status} (${r.headers.get("x-bagroom-cache")})`);
      assert.ok(r.body.equals(body));
    });
    test(`If-Range with the matching ETag returns the range (${where})`, async () => {
      const key = ifRangeKey("ifrange-ok", where);
      const body = randomBytes(2000);
      await storePut(B, key, body);
      const t = tok({ key, methods: "GET,HEAD" });
      const etag = (await storeHead(B, key)).ETag;
      if (where !== "MISS") assert.equal((await warm(key, t)).headers.get("x-bagroom-cache"), where);
      const r = await req(u(key, `?token=${t}`), { headers: { range: "bytes=0-9", "if-range": etag } });
      assert.equal(r.status, 206);
      assert.ok(r.body.equals(body.subarray(0, 10)));
    });
    test(`If-Range with an old date returns the whole object (${where})`, async () => {
      const key = ifRangeKey("ifrange-date", where);
      const body = randomBytes(2000);
      await storePut(B, key, body);
      const t = tok({ key, methods: "GET,HEAD" });
      if (where !== "MISS") assert.equal((await warm(key, t)).headers.get("x-bagroom-cache"), where);
      const r = await req(u(key, `?token=${t}`), { headers: { range: "bytes=0-9", "if-range": "Sun, 06 Nov 1994 08:49:37 GMT" } });
      assert.equal(r.status, 200, `status ${r.status}`);
      assert.ok(r.body.equals(body));
    });
  }
});

// =============================================================================================
describe("path and encoding tricks escaping a prefix scope", () => {
  const T = () => tok({ prefix: "p/", methods: "GET,HEAD,PUT,DELETE" });
  before(async () => {
    await storePut(B, "p/a.txt", Buffer.from("in scope"));
    await storePut(B, "p-old/x", SECRET);
  });
  for (const [name, p, statuses] of [
    ["..%2f", `/${B}/p/..%2fprivate/payroll.csv`, [403]],
    ["%2e%2e/", `/${B}/p/%2e%2e/private/payroll.csv`, [403]],
    ["%2E%2E%2F (upper case, slashes encoded)", `/${B}/p/%2E%2E%2Fprivate%2Fpayroll.csv`, [403]],
    ["p%2f..%2f (the prefix's own slash encoded)", `/${B}/p%2f..%2fprivate%2fpayroll.csv`, [403]],
    [".%2e/ (mixed)", `/${B}/p/.%2e/private/payroll.csv`, [403]],
    ["double-encoded %252e%252e", `/${B}/p/%252e%252e/private/payroll.csv`, [403, 404]],
    ["double-encoded %252e%252e%252f", `/${B}/p/%252e%252e%252fprivate%252fpayroll.csv`, [403, 404]],
    ["backslash ..%5c", `/${B}/p/..%5cprivate%5cpayroll.csv`, [403]],
    ["backslash %5c..%5c", `/${B}/p%5c..%5cprivate/payroll.csv`, [403]],
    ["null byte then ..", `/${B}/p/%00/%2e%2e/%2e%2e/private/payroll.csv`, [403]],
    ["trailing null byte", `/${B}/p/..%00/private/payroll.csv`, [403, 404, 400]],
    ["..; (servlet style)", `/${B}/p/..;/private/payroll.csv`, [403, 404]],
    ["unicode two-dot leader \u2025", `/${B}/p/%E2%80%A5/private/payroll.csv`, [403, 404]],
    ["fullwidth dots \uFF0E\uFF0E", `/${B}/p/%EF%BC%8E%EF%BC%8E/private/payroll.csv`, [403, 404]],
    ["overlong UTF-8 dots %C0%AE%C0%AE", `/${B}/p/%C0%AE%C0%AE/private/payroll.csv`, [403, 404, 400]],
    ["leading slash in the key //p/", `/${B}//p/%2e%2e/private/payroll.csv`, [403]],
    ["a sibling of the prefix (p-old/)", `/${B}/p-old/x`, [403]],
    ["the bucket name with an encoded slash", `/${B}%2fprivate%2fpayroll.csv`, [403, 404]],
    ["fragment-like %23 then ..", `/${B}/p/x%23/%2e%2e/%2e%2e/private/payroll.csv`, [403]],
    ["query-like %3F then ..", `/${B}/p/x%3F/%2e%2e/%2e%2e/private/payroll.csv`, [403]],
  ]) {
    test(`GET ${name}`, async () => {
      // sent as is: fetch (WHATWG URL) would resolve %2e%2e segments on the client side
      const r = await rawHttp(gw, { path: p + (p.includes("?") ? "&" : "?") + `token=${T()}` });
      expectRefused(r, statuses);
    });
  }
  test("raw .. segments on the wire (not normalised by the client)", async () => {
    const r = await rawHttp(gw, { path: `/${B}/p/../private/payroll.csv?token=${T()}` });
    expectRefused(r, [403, 400, 404]);
  });
  test("raw backslashes on the wire", async () => {
    const r = await rawHttp(gw, { path: `/${B}/p/..\\private\\payroll.csv?token=${T()}` });
    expectRefused(r, [403, 400, 404]);
  });
  test("PUT through ..%2f lands nowhere outside the prefix", async () => {
    const r = await rawHttp(gw, { method: "PUT", path: `/${B}/p/..%2fprivate/planted.txt?token=${T()}`, headers: { "content-length": "7" }, body: "planted" });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("private/planted.txt");
    assert.deepEqual((await storeKeys(B, "p/")).filter((k) => k.includes("planted")), []);
  });
  test("DELETE through %2e%2e deletes nothing outside the prefix", async () => {
    const r = await rawHttp(gw, { method: "DELETE", path: `/${B}/p/%2e%2e/private/payroll.csv?token=${T()}` });
    expectRefused(r, 403, "AccessDenied");
    assert.ok(await storeHas(B, "private/payroll.csv"));
  });
  test("an overlong key (10 kB) in scope", async () => {
    const r = await req(raw(`/${B}/p/${"a".repeat(10000)}?token=${T()}`));
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
  });
  test("an overlong key (10 kB) PUT in scope is not stored", async () => {
    const key = `p/${"b".repeat(10000)}`;
    const r = await req(raw(`/${B}/${key}?token=${T()}`), { method: "PUT", body: "x" });
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}: ${r.text.slice(0, 200)}`);
    assert.deepEqual((await storeKeys(B, "p/bbbb")), []);
  });
  test("share link /s/<token>/%2e%2e/private/payroll.csv", async () => {
    const r = await rawHttp(gw, { path: `/s/${T()}/p/%2e%2e/private/payroll.csv` });
    expectRefused(r, 403, "AccessDenied");
  });
  test("share link with raw .. on the wire", async () => {
    const r = await rawHttp(gw, { path: `/s/${T()}/p/../../${B}/private/payroll.csv` });
    expectRefused(r, [403, 404]);
  });
  test("exact-key token: the key with a trailing slash, null byte, other case", async () => {
    const t = tok({ key: "p/a.txt", methods: "GET" });
    for (const p of ["p/a.txt/", "p/a.txt%00", "p/A.txt", "p/a.txt%20", "p//a.txt", "p/a.txt;", "p/a.txt%2f"]) {
      expectRefused(await rawHttp(gw, { path: `/${B}/${p}?token=${t}` }), 403, "AccessDenied");
    }
  });
});

// =============================================================================================
describe("token tampering", () => {
  const K = "tt/a.txt";
  before(async () => { await storePut(B, K, Buffer.from("tt")); });
  const T = (keys) => tok({ key: K, methods: "GET", keys });
  const get = (t) => req(u(K, `?token=${encodeURIComponent(t)}`));
  const bearer = (t) => req(u(K), { headers: { authorization: `Bearer ${t}` } });
  const flip = (t, i, bit = 1) => { const b = unb64u(t); b[i < 0 ? b.length + i : i] ^= bit; return b64u(b); };

  test("sanity: the untampered token reads", async () => { assert.equal((await get(T())).status, 200); });
  test("a flipped bit in the tag", async () => { expectRefused(await get(flip(T(), -1)), 403, "AccessDenied"); });
  test("a flipped bit in the methods byte (GET -> GET|PUT|...)", async () => {
    const t = T(); const b = unb64u(t); const kidLen = b[1]; b[2 + kidLen + 16] = 0x7f;
    expectRefused(await get(b64u(b)), 403, "AccessDenied");
    const w = await req(u(K, `?token=${b64u(b)}`), { method: "PUT", body: "evil" });
    expectRefused(w, 403, "AccessDenied");
    await assertUnchanged(K, "tt");
  });
  test("exp pushed into the future on an expired token", async () => {
    const t = tok({ key: K, methods: "GET", extra: ["--exp", String(now() - 10)] });
    const b = unb64u(t); const kidLen = b[1]; b.writeBigUInt64BE(BigInt(now() + 86400), 2 + kidLen);
    expectRefused(await get(b64u(b)), 403, "AccessDenied");
  });
  test("truncated by one character", async () => { expectRefused(await get(T().slice(0, -1)), 403, "AccessDenied"); });
  test("truncated to the header", async () => { expectRefused(await get(T().slice(0, 6)), 403, "AccessDenied"); });
  test("the tag removed", async () => { expectRefused(await get(b64u(unb64u(T()).subarray(0, -16))), 403, "AccessDenied"); });
  test("kid swapped t1 -> t0 (same tag)", async () => {
    const b = unb64u(T()); assert.equal(b.subarray(2, 2 + b[1]).toString(), "t1"); b[3] = "0".charCodeAt(0);
    expectRefused(await get(b64u(b)), 403, "AccessDenied");
  });
  test("an unknown kid", async () => {
    const b = unb64u(T()); b[3] = "9".charCodeAt(0);
    expectRefused(await get(b64u(b)), 403, "AccessDenied");
  });
  test("signed with another secret under kid t1", async () => {
    expectRefused(await get(T("t1:an-attacker-chosen-secret-0123456789")), 403, "AccessDenied");
  });
  test("standard base64 alphabet (+ and /) instead of base64url", async () => {
    let t;
    for (let i = 0; i < 50 && !/[-_]/.test(t || ""); i++) t = T();
    const std = t.replace(/-/g, "+").replace(/_/g, "/");
    assert.notEqual(std, t);
    expectRefused(await get(std), 403, "AccessDenied");
    expectRefused(await bearer(std), 403, "AccessDenied");
  });
  test("= padding appended", async () => {
    let t;
    for (let i = 0; i < 50 && (t === undefined || t.length % 4 === 0); i++) t = T();
    expectRefused(await get(t + "=".repeat(4 - (t.length % 4))), 403, "AccessDenied");
  });
  test("non-canonical trailing bits", async () => {
    let t;
    for (let i = 0; i < 50 && (t === undefined || t.length % 4 === 0); i++) t = T();
    const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = A.indexOf(t.at(-1));
    const alt = t.slice(0, -1) + A[last ^ 1];
    assert.ok(unb64u(alt).equals(unb64u(t)), "same bytes, other string");
    expectRefused(await get(alt), 403, "AccessDenied");
  });
  test("version byte 2", async () => { expectRefused(await get(flip(T(), 0, 3)), 403, "AccessDenied"); });
  test("trailing bytes appended", async () => { expectRefused(await get(b64u(Buffer.concat([unb64u(T()), Buffer.from([0, 0])]))), 403, "AccessDenied"); });
  test("a 9,000-character token", async () => { expectRefused(await get(T() + "A".repeat(9000)), [403, 400, 414, 431]); });
  test("an expired token (exp in the past)", async () => {
    expectRefused(await get(tok({ key: K, methods: "GET", extra: ["--exp", String(now() - 1)] })), 403, "AccessDenied");
  });
  test("a not-yet-valid token (nbf 1 h ahead)", async () => {
    expectRefused(await get(tok({ key: K, methods: "GET", extra: ["--nbf", String(now() + 3600), "--ttl", "7200"] })), 403, "AccessDenied");
  });
  test("a token for another bucket", async () => {
    expectRefused(await get(tok({ key: K, methods: "GET", bucket: OTHER })), 403, "AccessDenied");
  });
  test("a token for a store bucket the gateway does not serve, used on that bucket", async () => {
    const t = tok({ prefix: "", methods: "GET,LIST", bucket: OTHER });
    expectRefused(await req(`${gw.url}/${OTHER}/secret.txt?token=${t}`), [403, 404], ["AccessDenied", "NoSuchBucket"]);
    expectRefused(await req(`${gw.url}/${OTHER}?list-type=2&token=${t}`), [403, 404], ["AccessDenied", "NoSuchBucket"]);
  });
  test("a bad first ?token= and a good second one", async () => {
    const r = await req(u(K, `?token=garbage&token=${T()}`));
    expectRefused(r, 403, "AccessDenied");
  });
  test("a valid token beside a garbage SigV4 Authorization header", async () => {
    const r = await req(u(K, `?token=${T()}`), { headers: { authorization: "AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00" } });
    assert.ok(r.status >= 400, `${r.status}`);
  });
});

// =============================================================================================
describe("method confusion", () => {
  const K = "mc/a.txt";
  before(async () => { await storePut(B, K, Buffer.from("mc-a")); });
  const G = () => tok({ prefix: "mc/", methods: "GET" });

  test("GET token doing PUT", async () => {
    expectRefused(await req(u("mc/new.txt", `?token=${G()}`), { method: "PUT", body: "evil" }), 403, "AccessDenied");
    await assertAbsent("mc/new.txt");
  });
  test("GET token doing DELETE", async () => {
    expectRefused(await req(u(K, `?token=${G()}`), { method: "DELETE" }), 403, "AccessDenied");
    await assertUnchanged(K, "mc-a");
  });
  test("GET token doing POST ?uploads", async () => {
    expectRefused(await req(u("mc/mp", `?uploads&token=${G()}`), { method: "POST" }), 403, "AccessDenied");
    await assertNoUploads("mc/");
  });
  test("GET token doing LIST", async () => {
    expectRefused(await req(`${gw.url}/${B}?list-type=2&prefix=mc/&token=${G()}`), 403, "AccessDenied");
  });
  test("GET token doing POST ?delete", async () => {
    const r = await req(`${gw.url}/${B}?delete&token=${G()}`, { method: "POST", body: `<Delete><Object><Key>${K}</Key></Object></Delete>` });
    assert.ok(r.status === 403 || (r.status === 200 && !/<Deleted>/.test(r.text)), r.text);
    await assertUnchanged(K, "mc-a");
  });
  test("GET token doing a copy", async () => {
    expectRefused(await req(u("mc/copy.txt", `?token=${G()}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/${K}` }, body: "" }), 403, "AccessDenied");
    await assertAbsent("mc/copy.txt");
  });
  test("GET token doing ListParts (?uploadId=)", async () => {
    expectRefused(await req(u(K, `?uploadId=x&token=${G()}`)), 403, "AccessDenied");
  });
  test("GET token aborting an upload (DELETE ?uploadId=)", async () => {
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mc/abort" }));
    try {
      expectRefused(await req(u("mc/abort", `?uploadId=${encodeURIComponent(c.UploadId)}&token=${G()}`), { method: "DELETE" }), 403, "AccessDenied");
      assert.deepEqual((await storeUploads(B, "mc/abort")).map((x) => x.id), [c.UploadId]);
    } finally { await storeAbort("mc/abort", c.UploadId); }
  });
  test("HEAD-only token doing GET", async () => {
    const r = await req(u(K, `?token=${tok({ prefix: "mc/", methods: "HEAD" })}`));
    expectRefused(r, 403, "AccessDenied");
    assert.ok(!r.text.includes("mc-a"));
  });
  test("DELETE-only token doing GET", async () => {
    expectRefused(await req(u(K, `?token=${tok({ prefix: "mc/", methods: "DELETE" })}`)), 403, "AccessDenied");
  });
  for (const h of ["x-http-method-override", "x-http-method", "x-method-override"]) {
    test(`GET with ${h}: DELETE`, async () => {
      await req(u(K, `?token=${G()}`), { headers: { [h]: "DELETE" } });
      await assertUnchanged(K, "mc-a");
    });
    test(`POST with ${h}: PUT (GET token)`, async () => {
      const r = await req(u("mc/override.txt", `?token=${G()}`), { method: "POST", headers: { [h]: "PUT" }, body: "evil" });
      assert.ok(r.status >= 400, `${r.status}`);
      await assertAbsent("mc/override.txt");
    });
  }
  test("_method=DELETE in the query", async () => {
    await req(u(K, `?_method=DELETE&token=${G()}`));
    await assertUnchanged(K, "mc-a");
  });
  test("PATCH and other methods on an object", async () => {
    for (const m of ["PATCH", "PROPFIND", "MOVE"]) {
      const r = await req(u(K, `?token=${G()}`), { method: m, body: m === "PATCH" ? "evil" : undefined });
      assert.ok(r.status >= 400, `${m}: ${r.status}`);
    }
    await assertUnchanged(K, "mc-a");
  });
  test("OPTIONS on a private object returns no bytes", async () => {
    const r = await req(u("private/payroll.csv"), { method: "OPTIONS" });
    assertNoSecret(r);
  });
  test("share link with PUT", async () => {
    const t = tok({ key: "mc/share.txt", methods: "GET,PUT" });
    const r = await req(raw(`/s/${t}`), { method: "PUT", body: "evil" });
    expectRefused(r, [403, 405], ["AccessDenied", "MethodNotAllowed"]);
    await assertAbsent("mc/share.txt");
  });
  test("share link with DELETE", async () => {
    const t = tok({ key: K, methods: "GET,DELETE" });
    const r = await req(raw(`/s/${t}`), { method: "DELETE" });
    expectRefused(r, [403, 405], ["AccessDenied", "MethodNotAllowed"]);
    await assertUnchanged(K, "mc-a");
  });
  test("ListMultipartUploads with a full token", async () => {
    const t = tok({ prefix: "", methods: "GET,HEAD,PUT,POST,DELETE,LIST,SHARE" });
    expectRefused(await req(`${gw.url}/${B}?uploads&token=${t}`), 403, "AccessDenied");
  });
});

// =============================================================================================
describe("listing scope", () => {
  before(async () => {
    await storePut(B, "ls/a.txt", Buffer.from("a"));
    await storePut(B, "ls/sub/b.txt", Buffer.from("b"));
    await storePut(B, "lsx/secret.txt", SECRET);
  });
  const T = () => tok({ prefix: "ls/", methods: "GET,LIST" });
  const list = (q, t = T(), g = gw) => req(`${g.url}/${B}?${q}${t ? `&token=${t}` : ""}`);
  /** Either refused, or every key and prefix listed is within `scope`. */
  function inScopeOrRefused(r, scope = "ls/") {
    if (r.status !== 200) return expectRefused(r, [400, 403]);
    assertNoSecret(r);
    const keys = [...r.text.matchAll(/<Key>([^<]*)<\/Key>/g), ...r.text.matchAll(/<CommonPrefixes>\s*<Prefix>([^<]*)<\/Prefix>/g)]
      .map((m) => decodeURIComponent(m[1])).filter(Boolean);
    for (const k of keys) assert.ok(k.startsWith(scope) && !/(^|\/)\.\.(\/|$)/.test(k), `listed outside the scope: ${k}`);
    assert.ok(!keys.some((k) => /payroll|lsx/.test(k)), r.text);
  }
  test("prefix outside the scope (private/)", async () => { expectRefused(await list("list-type=2&prefix=private/"), 403, "AccessDenied"); });
  test("no prefix at all", async () => { inScopeOrRefused(await list("list-type=2")); });
  test("a shorter prefix (l)", async () => { inScopeOrRefused(await list("list-type=2&prefix=l")); });
  test("prefix ls/../private/ (dot segments are not checked for LIST)", async () => { inScopeOrRefused(await list("list-type=2&prefix=ls/../private/")); });
  test("prefix ls/%2e%2e/private/ (decoded by the query parser)", async () => { inScopeOrRefused(await list("list-type=2&prefix=ls%2F%2e%2e%2Fprivate%2F")); });
  test("prefix ls/..\\private\\", async () => { inScopeOrRefused(await list("list-type=2&prefix=" + encodeURIComponent("ls/..\\private\\"))); });
  test("prefix ls//../private (double slash)", async () => { inScopeOrRefused(await list("list-type=2&prefix=" + encodeURIComponent("ls//../private/"))); });
  test("delimiter tricks (delimiter=s, delimiter=/)", async () => {
    inScopeOrRefused(await list("list-type=2&prefix=ls/&delimiter=s"));
    inScopeOrRefused(await list("list-type=2&prefix=&delimiter=/"));
  });
  test("start-after pointing before the scope", async () => { inScopeOrRefused(await list("list-type=2&prefix=ls/&start-after=a")); });
  test("start-after outside the scope with no prefix", async () => { inScopeOrRefused(await list("list-type=2&start-after=lsx/")); });
  test("V1 marker outside the scope", async () => { inScopeOrRefused(await list("prefix=ls/&marker=l")); });
  test("V1 with no prefix", async () => { inScopeOrRefused(await list("marker=")); });
  test("forged continuation-tokens naming keys outside the scope", async () => {
    for (const ct of ["private/", "lsx/", Buffer.from("lsx/").toString("base64"), Buffer.from("private/payroll.csv").toString("base64"), "../"]) {
      inScopeOrRefused(await list(`list-type=2&prefix=ls/&continuation-token=${encodeURIComponent(ct)}`));
    }
  });
  test("encoding-type=url with an encoded out-of-scope prefix", async () => {
    inScopeOrRefused(await list("list-type=2&encoding-type=url&prefix=" + encodeURIComponent("ls%2F..%2Fprivate")));
  });
  test("a duplicated prefix parameter", async () => {
    inScopeOrRefused(await list("list-type=2&prefix=ls/&prefix=private/"));
    inScopeOrRefused(await list("list-type=2&prefix=private/&prefix=ls/"));
  });
  test("exact-key token listing its own key", async () => {
    expectRefused(await list("list-type=2&prefix=ls/a.txt", tok({ key: "ls/a.txt", methods: "GET,LIST" })), 403, "AccessDenied");
  });
  test("/api/objects with a prefix outside the scope", async () => {
    expectRefused(await req(raw("/api/objects?prefix=private/"), { headers: { authorization: `Bearer ${T()}` } }), 403, "AccessDenied");
  });
  test("/api/objects with ls/../private/", async () => {
    const r = await req(raw("/api/objects?prefix=" + encodeURIComponent("ls/../private/")), { headers: { authorization: `Bearer ${T()}` } });
    if (r.status !== 200) return expectRefused(r, [400, 403]);
    assertNoSecret(r);
    for (const o of JSON.parse(r.text).objects) assert.ok(o.key.startsWith("ls/"), o.key);
  });
  test("/api/objects with a forged cursor", async () => {
    const r = await req(raw("/api/objects?prefix=ls/&cursor=" + encodeURIComponent("lsx/")), { headers: { authorization: `Bearer ${T()}` } });
    if (r.status !== 200) return expectRefused(r, [400, 403]);
    for (const o of JSON.parse(r.text).objects) assert.ok(o.key.startsWith("ls/"), o.key);
  });
  test("max-keys=-1 and list-type=3", async () => {
    expectRefused(await list("list-type=2&prefix=ls/&max-keys=-1"), 400, "InvalidArgument");
    expectRefused(await list("list-type=3&prefix=ls/"), 400, "InvalidArgument");
  });
});

// =============================================================================================
describe("anonymous access outside public prefixes", () => {
  const A = (p, init) => req(raw(p), init);
  test("GET of a private object", async () => { expectRefused(await A(`/${B}/private/payroll.csv`), 403, "AccessDenied"); });
  test("HEAD of a private object", async () => { expectRefused(await A(`/${B}/private/payroll.csv`, { method: "HEAD" }), 403); });
  test("GET of a sibling of the public prefix (pubx/)", async () => { expectRefused(await A(`/${B}/pubx/secret.txt`), 403, "AccessDenied"); });
  test("GET pub/%2e%2e/private/payroll.csv", async () => { expectRefused(await rawHttp(gw, { path: `/${B}/pub/%2e%2e/private/payroll.csv` }), 403, "AccessDenied"); });
  test("GET pub%2f..%2fprivate%2fpayroll.csv", async () => { expectRefused(await rawHttp(gw, { path: `/${B}/pub%2f..%2fprivate%2fpayroll.csv` }), 403, "AccessDenied"); });
  test("GET pub/..%5cprivate", async () => { expectRefused(await rawHttp(gw, { path: `/${B}/pub/..%5cprivate/payroll.csv` }), 403, "AccessDenied"); });
  test("GET pub//..%2f..%2fprivate (double slash then encoded dots)", async () => { expectRefused(await rawHttp(gw, { path: `/${B}/pub//..%2f..%2fprivate/payroll.csv` }), 403, "AccessDenied"); });
  test("GET with raw pub/../ on the wire", async () => { expectRefused(await rawHttp(gw, { path: `/${B}/pub/../private/payroll.csv` }), [403, 400]); });
  test("PUT into the public prefix", async () => {
    expectRefused(await A(`/${B}/pub/planted.txt`, { method: "PUT", body: "planted" }), 403, "AccessDenied");
    await assertAbsent("pub/planted.txt");
  });
  test("DELETE in the public prefix", async () => {
    expectRefused(await A(`/${B}/pub/hello.txt`, { method: "DELETE" }), 403, "AccessDenied");
    assert.ok(await storeHas(B, "pub/hello.txt"));
  });
  test("POST ?uploads in the public prefix", async () => {
    expectRefused(await A(`/${B}/pub/mp?uploads`, { method: "POST" }), 403, "AccessDenied");
    await assertNoUploads("pub/");
  });
  test("copy a private object into the public prefix", async () => {
    expectRefused(await A(`/${B}/pub/copied.csv`, { method: "PUT", headers: { "x-amz-copy-source": `/${B}/private/payroll.csv` }, body: "" }), 403, "AccessDenied");
    await assertAbsent("pub/copied.csv");
  });
  test("ListParts in the public prefix", async () => { expectRefused(await A(`/${B}/pub/x?uploadId=abc`), 403, "AccessDenied"); });
  test("list outside the public prefix", async () => { expectRefused(await A(`/${B}?list-type=2&prefix=private/`), 403, "AccessDenied"); });
  test("list with no prefix", async () => {
    const r = await A(`/${B}?list-type=2`);
    if (r.status !== 200) return expectRefused(r, 403, "AccessDenied");
    assert.ok(!/private|pubx/.test(r.text), r.text);
  });
  test("list pub/../private/", async () => {
    const r = await A(`/${B}?list-type=2&prefix=${encodeURIComponent("pub/../private/")}`);
    if (r.status !== 200) return expectRefused(r, [400, 403]);
    assert.ok(!/payroll/.test(r.text), r.text);
  });
  test("HeadBucket, GetBucketLocation, ListMultipartUploads", async () => {
    expectRefused(await A(`/${B}?uploads`), 403, "AccessDenied");
    expectRefused(await A(`/${B}`, { method: "HEAD" }), 403);
    expectRefused(await A(`/${B}?location`), 403, "AccessDenied");
  });
  test("/api/session, /api/objects, /s3/params without a token", async () => {
    expectRefused(await A("/api/session"), 403, "AccessDenied");
    expectRefused(await A("/api/objects?prefix=pub/"), 403, "AccessDenied");
    expectRefused(await A("/s3/params?filename=x"), 403, "AccessDenied");
  });
  test("attacker input reflected in error documents is escaped", async () => {
    const evil = '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>';
    const rs = [
      await rawHttp(gw, { path: `/${encodeURIComponent(evil)}/k` }),
      await rawHttp(gw, { path: `/${B}/${encodeURIComponent(evil)}` }),
      await rawHttp(gw, { path: `/${B}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(evil)}&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00` }),
      await rawHttp(gw, { path: `/${B}/k`, headers: { authorization: `AWS4-HMAC-SHA256 Credential=${evil}/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00` } }),
      await rawHttp(gw, { path: `/api/${encodeURIComponent(evil)}`, headers: { authorization: `Bearer ${tok({ prefix: "pub/", methods: "GET" })}` } }),
    ];
    for (const r of rs) {
      assert.ok(r.status >= 400, `${r.status}`);
      assert.ok(!r.text.includes("<x:script"), `unescaped markup in the error: ${r.text.slice(0, 300)}`);
      assert.ok(!/text\/html/i.test(r.headers.get("content-type") || ""), "an error served as html");
    }
  });
  test("/healthz leaks no store credentials", async () => {
    const r = await A("/healthz");
    assert.ok(!r.text.includes(STORE_SECRET) && !r.text.includes(STORE_KEY), r.text);
  });
});

// =============================================================================================
describe("cache poisoning and stale reads", () => {
  const A_BODY = Buffer.from(`cp-a-${randomBytes(8).toString("hex")}`);
  const B_BODY = Buffer.from(`cp-b-${randomBytes(8).toString("hex")}`);
  before(async () => {
    await storePut(B, "cp/secret.txt", SECRET, { ContentType: "text/plain" });
    await storePut(B, "cp/a.txt", A_BODY, { ContentType: "text/plain" });
    await storePut(B, "cp/b.txt", B_BODY, { ContentType: "text/plain" });
    const t = tok({ prefix: "cp/", methods: "GET,HEAD" });
    for (const k of ["cp/secret.txt", "cp/a.txt"]) assert.equal((await untilHit(u(k, `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT", k);
  });
  test("a cached private object, anonymous GET", async () => { expectRefused(await req(u("cp/secret.txt")), 403, "AccessDenied"); });
  test("a cached private object, anonymous ranged GET", async () => { expectRefused(await req(u("cp/secret.txt"), { headers: { range: "bytes=0-100" } }), 403, "AccessDenied"); });
  test("a cached private object, anonymous conditional GET", async () => {
    const r = await req(u("cp/secret.txt"), { headers: { "if-none-match": '"x"', "if-modified-since": "Sun, 06 Nov 1994 08:49:37 GMT" } });
    expectRefused(r, 403, "AccessDenied");
  });
  test("a cached private object, token for another key", async () => {
    expectRefused(await req(u("cp/secret.txt", `?token=${tok({ key: "cp/b.txt", methods: "GET" })}`)), 403, "AccessDenied");
  });
  test("a cached private object, through a share link with a tampered token", async () => {
    const t = tok({ key: "cp/b.txt", methods: "GET" });
    const bad = b64u(Buffer.from(unb64u(t).map((x, i, a) => (i === a.length - 1 ? x ^ 1 : x))));
    expectRefused(await req(raw(`/s/${bad}/cp/secret.txt`)), 403, "AccessDenied");
  });
  test("a cached private object, expired token", async () => {
    expectRefused(await req(u("cp/secret.txt", `?token=${tok({ prefix: "cp/", methods: "GET", extra: ["--exp", String(now() - 5)] })}`)), 403, "AccessDenied");
  });
  for (const [name, headers] of [
    ["X-Forwarded-Host", { "x-forwarded-host": "evil.example" }],
    ["X-Original-URL", { "x-original-url": `/${B}/cp/a.txt` }],
    ["X-Rewrite-URL", { "x-rewrite-url": `/${B}/cp/a.txt` }],
    ["X-Forwarded-Prefix", { "x-forwarded-prefix": `/${B}/cp/a.txt` }],
  ]) {
    test(`${name} does not serve another object's cached body`, async () => {
      const r = await req(u("cp/b.txt", `?token=${tok({ key: "cp/b.txt", methods: "GET" })}`), { headers });
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(B_BODY), `got ${r.text}`);
    });
  }
  test("a Host header variation does not serve another object's cached body", async () => {
    const t = tok({ key: "cp/b.txt", methods: "GET" });
    for (const host of ["evil.example", `${B}.localhost`, "127.0.0.1"]) {
      const r = await rawHttp(gw, { path: `/${B}/cp/b.txt?token=${t}`, host });
      assert.ok(!r.body.equals(A_BODY) && !r.text.includes(SECRET.toString()), `Host ${host}`);
      if (r.status === 200) assert.ok(r.body.equals(B_BODY));
    }
  });
  test("query variations do not serve another object's cached body", async () => {
    const t = tok({ key: "cp/b.txt", methods: "GET" });
    for (const q of [`?x=/${B}/cp/a.txt&token=${t}`, `?token=${t}&key=cp/a.txt`, `?token=${t}&response-content-type=text/html`, `?token=${t}&versionId=`]) {
      const r = await req(u("cp/b.txt", q));
      assert.equal(r.status, 200, q);
      assert.ok(r.body.equals(B_BODY), q);
    }
  });
  test("a key differing only by an encoded character is not the cached one", async () => {
    const t = tok({ prefix: "cp/", methods: "GET" });
    for (const p of [`/${B}/cp/a.txt%20`, `/${B}/cp/A.txt`, `/${B}/cp/a%2etxt`.replace("%2e", "%2E")]) {
      const r = await req(raw(`${p}?token=${t}`));
      if (p.endsWith("%2Etxt")) continue; // %2E is a plain '.': the same key
      assert.ok(!r.body.equals(A_BODY), `${p} served cp/a.txt`);
    }
  });
  test("DELETE through the gateway, then GET: not the cached copy", async () => {
    await storePut(B, "cp/del.txt", Buffer.from("to delete"));
    const t = tok({ key: "cp/del.txt", methods: "GET,DELETE" });
    assert.equal((await untilHit(u("cp/del.txt", `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    assert.equal((await req(u("cp/del.txt", `?token=${t}`), { method: "DELETE" })).status, 204);
    expectRefused(await req(u("cp/del.txt", `?token=${t}`)), 404, "NoSuchKey");
  });
  for (const [name, alias] of [
    ["a doubled slash (cp//k)", (k) => k.replace("/", "//")], ["a tripled slash (cp///k)", (k) => k.replace("/", "///")],
    ["a trailing slash (cp/k/)", (k) => k + "/"], ["an encoded backslash (cp%5Ck)", (k) => k.replace("/", "%5C")],
    ["?versionId=null", (k) => `${k}?versionId=null`],
  ]) {
    test(`DELETE through the gateway, then GET through ${name}: not a cached copy`, async (ctx) => {
      const key = `cp/alias-${randomBytes(3).toString("hex")}.txt`;
      await storePut(B, key, Buffer.from("deleted bytes"));
      const t = tok({ prefix: "cp", methods: "GET,DELETE" });
      const a = alias(key);
      const aliasPath = `/${B}/${a}${a.includes("?") ? "&" : "?"}token=${t}`;
      const first = await rawHttp(gw, { path: aliasPath });
      if (first.status !== 200) return ctx.skip(`the store does not serve ${alias("cp/k")} as cp/k (${first.status}): nothing to poison`);
      for (let i = 0; i < 20 && (await rawHttp(gw, { path: aliasPath })).headers.get("x-bagroom-cache") !== "HIT"; i++) await sleep(100);
      assert.equal((await req(u(key, `?token=${t}`), { method: "DELETE" })).status, 204);
      await assertAbsent(key);
      const after = await rawHttp(gw, { path: aliasPath });
      expectRefused(after, 404, "NoSuchKey");
    });
  }
  test("a public object deleted through the gateway stays readable to anyone through a doubled slash", async () => {
    const key = `pub/alias-${randomBytes(3).toString("hex")}.txt`;
    await storePut(B, key, Buffer.from("deleted public bytes"));
    const aliasPath = `/${B}/${key.replace("/", "//")}`;
    assert.equal((await rawHttp(gw, { path: aliasPath })).status, 200);
    for (let i = 0; i < 20 && (await rawHttp(gw, { path: aliasPath })).headers.get("x-bagroom-cache") !== "HIT"; i++) await sleep(100);
    const d = await req(u(key, `?token=${tok({ key, methods: "DELETE" })}`), { method: "DELETE" });
    assert.equal(d.status, 204, d.text);
    expectRefused(await rawHttp(gw, { path: aliasPath }), 404, "NoSuchKey");
  });
  test("a DELETE ?versionId=null through the gateway, then GET ?versionId=null: not the cached copy", async () => {
    const key = `cp/ver-${randomBytes(3).toString("hex")}.txt`;
    await storePut(B, key, Buffer.from("deleted version"));
    const t = tok({ prefix: "cp/", methods: "GET,DELETE" });
    const first = await req(u(key, `?versionId=null&token=${t}`));
    assert.equal(first.status, 200, first.text);
    // the null version is as mutable as the key: bagroom does not cache it at all (BYPASS); if a
    // build ever does, the DELETE below must still purge it
    assert.ok(["HIT", "BYPASS"].includes((await untilHit(u(key, `?versionId=null&token=${t}`))).headers.get("x-bagroom-cache")));
    const d = await req(u(key, `?versionId=null&token=${t}`), { method: "DELETE" });
    assert.equal(d.status, 204, d.text);
    await assertAbsent(key);
    expectRefused(await req(u(key, `?versionId=null&token=${t}`)), 404, ["NoSuchKey", "NoSuchVersion"]);
  });
  test("a PUT through an encoded backslash (cp%5Ck), then GET of the canonical key: the new bytes", async () => {
    const key = `cp/bs-put-${randomBytes(3).toString("hex")}.txt`;
    await storePut(B, key, Buffer.from("old bytes"));
    const t = tok({ prefix: "cp", methods: "GET,PUT" });
    assert.equal((await untilHit(u(key, `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    const p = await rawHttp(gw, { method: "PUT", path: `/${B}/${key.replace("/", "%5C")}?token=${t}`, headers: { "content-length": "9" }, body: "new bytes" });
    assert.equal(p.status, 200, p.text);
    if ((await storeGet(B, key)).toString() !== "new bytes") return; // the store did not alias the write
    assert.equal((await req(u(key, `?token=${t}`))).text, "new bytes");
  });
  test("a DELETE through a doubled slash, then GET of the canonical key: not the cached copy", async () => {
    const key = `cp/alias-del-${randomBytes(3).toString("hex")}.txt`;
    await storePut(B, key, Buffer.from("deleted bytes"));
    const t = tok({ prefix: "cp/", methods: "GET,DELETE" });
    assert.equal((await untilHit(u(key, `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    const d = await rawHttp(gw, { method: "DELETE", path: `/${B}/${key.replace("/", "//")}?token=${t}` });
    assert.ok(d.status < 300, `${d.status} ${d.text}`);
    if (await storeHas(B, key)) return; // the store did not alias the delete: nothing stale
    expectRefused(await req(u(key, `?token=${t}`)), 404, "NoSuchKey");
  });
  test("an overwrite through the gateway, then GET through a doubled slash: the new bytes", async () => {
    const key = `cp/alias-put-${randomBytes(3).toString("hex")}.txt`;
    await storePut(B, key, Buffer.from("old bytes"));
    const t = tok({ prefix: "cp/", methods: "GET,PUT" });
    const aliasPath = `/${B}/${key.replace("/", "//")}?token=${t}`;
    for (let i = 0; i < 20 && (await rawHttp(gw, { path: aliasPath })).headers.get("x-bagroom-cache") !== "HIT"; i++) await sleep(100);
    assert.equal((await req(u(key, `?token=${t}`), { method: "PUT", body: "new bytes" })).status, 200);
    assert.equal((await rawHttp(gw, { path: aliasPath })).text, "new bytes");
  });
  test("DeleteObjects through the gateway, then GET: not the cached copy", async () => {
    await storePut(B, "cp/del2.txt", Buffer.from("to delete"));
    const t = tok({ prefix: "cp/", methods: "GET,DELETE" });
    assert.equal((await untilHit(u("cp/del2.txt", `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    const d = await req(`${gw.url}/${B}?delete&token=${t}`, { method: "POST", body: "<Delete><Object><Key>cp/del2.txt</Key></Object></Delete>" });
    assert.equal(d.status, 200, d.text);
    expectRefused(await req(u("cp/del2.txt", `?token=${t}`)), 404, "NoSuchKey");
  });
  test("an overwrite by copy, then GET: the new bytes", async () => {
    await storePut(B, "cp/over.txt", Buffer.from("old bytes"));
    const t = tok({ prefix: "cp/", methods: "GET,PUT" });
    assert.equal((await untilHit(u("cp/over.txt", `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    const c = await req(u("cp/over.txt", `?token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/cp/b.txt` }, body: "" });
    assert.equal(c.status, 200, c.text);
    assert.ok((await req(u("cp/over.txt", `?token=${t}`))).body.equals(B_BODY));
  });
  test("an overwrite by multipart upload, then GET: the new bytes", async () => {
    await storePut(B, "cp/mp.txt", Buffer.from("old bytes"));
    const t = tok({ prefix: "cp/", methods: "GET,PUT,POST" });
    assert.equal((await untilHit(u("cp/mp.txt", `?token=${t}`))).headers.get("x-bagroom-cache"), "HIT");
    const id = await gwCreateUpload("cp/mp.txt", t);
    const p = await req(u("cp/mp.txt", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "new bytes" });
    const done = await req(u("cp/mp.txt", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>` });
    assert.equal(done.status, 200, done.text);
    assert.equal((await req(u("cp/mp.txt", `?token=${t}`))).text, "new bytes");
  });
  test("a signed response-content-type=text/html does not stick to the cached copy", async () => {
    const signed = await req(presignV4(gw, "GET", `/${B}/cp/a.txt?response-content-type=text%2Fhtml`));
    assert.equal(signed.status, 200, signed.text);
    const r = await req(u("cp/a.txt", `?token=${tok({ key: "cp/a.txt", methods: "GET" })}`));
    assert.match(r.headers.get("content-type") || "", /^text\/plain/);
  });
  test("errors are not cached: a 404, then the object appears", async () => {
    const t = tok({ key: "cp/later.txt", methods: "GET" });
    expectRefused(await req(u("cp/later.txt", `?token=${t}`)), 404, "NoSuchKey");
    await storePut(B, "cp/later.txt", Buffer.from("now here"));
    assert.equal((await req(u("cp/later.txt", `?token=${t}`))).text, "now here");
  });
  test("a refused request does not fill the cache for the next one", async () => {
    await storePut(B, "cp/fresh.txt", Buffer.from("fresh"));
    expectRefused(await req(u("cp/fresh.txt")), 403, "AccessDenied");
    const r = await req(u("cp/fresh.txt", `?token=${tok({ key: "cp/fresh.txt", methods: "GET" })}`));
    assert.notEqual(r.headers.get("x-bagroom-cache"), "HIT");
  });
});

// =============================================================================================
describe("SigV4 tampering", () => {
  const K = "sv/a.txt";
  before(async () => {
    await storePut(B, K, Buffer.from("sv-a"));
    const s = signV4(gw, "GET", `/${B}/${K}`);
    const r = await req(s.url, { headers: s.headers });
    assert.equal(r.status, 200, `sanity: header-signed GET made here: ${r.text}`);
    assert.equal((await req(presignV4(gw, "GET", `/${B}/${K}`))).status, 200, "sanity: presigned GET made here");
  });
  test("header-signed: path changed", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    expectRefused(await req(s.url.replace("/sv/a.txt", "/private/payroll.csv"), { headers: s.headers }), 403, "SignatureDoesNotMatch");
  });
  test("header-signed: query parameter added", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    expectRefused(await req(s.url + "?response-content-type=text/html", { headers: s.headers }), 403, "SignatureDoesNotMatch");
  });
  test("header-signed: method changed (GET -> DELETE)", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    expectRefused(await req(s.url, { method: "DELETE", headers: s.headers }), 403, "SignatureDoesNotMatch");
    await assertUnchanged(K, "sv-a");
  });
  test("header-signed: date 20 minutes old", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { skew: -1200 });
    expectRefused(await req(s.url, { headers: s.headers }), 403, "RequestTimeTooSkewed");
  });
  test("header-signed: date 20 minutes ahead", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { skew: 1200 });
    expectRefused(await req(s.url, { headers: s.headers }), 403, "RequestTimeTooSkewed");
  });
  test("header-signed: wrong region", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { region: "eu-west-1" });
    expectRefused(await req(s.url, { headers: s.headers }), 400, "AuthorizationHeaderMalformed");
  });
  test("header-signed: wrong service", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { service: "iam" });
    expectRefused(await req(s.url, { headers: s.headers }), 400, "AuthorizationHeaderMalformed");
  });
  test("header-signed: unknown access key", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { akid: "AKIDUNKNOWN000000000" });
    expectRefused(await req(s.url, { headers: s.headers }), 403, "InvalidAccessKeyId");
  });
  test("header-signed: right key id, wrong secret", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { secret: "not-the-secret" });
    expectRefused(await req(s.url, { headers: s.headers }), 403, "SignatureDoesNotMatch");
  });
  test("header-signed: signature upper-cased / truncated", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    const up = { ...s.headers, authorization: s.headers.authorization.replace(/Signature=(\w+)/, (_, x) => `Signature=${x.toUpperCase()}`) };
    expectRefused(await req(s.url, { headers: up }), 403, "SignatureDoesNotMatch");
    const cut = { ...s.headers, authorization: s.headers.authorization.slice(0, -2) };
    expectRefused(await req(s.url, { headers: cut }), 403, "SignatureDoesNotMatch");
  });
  test("header-signed: Host changed after signing", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    const p = new URL(s.url);
    expectRefused(await rawHttp(gw, { path: p.pathname, headers: s.headers, host: "evil.example" }), 403, "SignatureDoesNotMatch");
  });
  test("header-signed: SignedHeaders without host", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    const h = { ...s.headers, authorization: s.headers.authorization.replace("SignedHeaders=host;", "SignedHeaders=") };
    expectRefused(await req(s.url, { headers: h }), 400, "AuthorizationHeaderMalformed");
  });
  test("header-signed: a signed header missing from the request", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`, { extra: { "x-amz-meta-gone": "1" } });
    const h = { ...s.headers };
    delete h["x-amz-meta-gone"];
    expectRefused(await req(s.url, { headers: h }), 403, ["AccessDenied", "SignatureDoesNotMatch"]);
  });
  test("header-signed: x-amz-content-sha256 of another body on PUT", async () => {
    const s = signV4(gw, "PUT", `/${B}/sv/put.txt`, { payload: sha256("signed body") });
    expectRefused(await req(s.url, { method: "PUT", headers: s.headers, body: "swapped body" }), 400, "XAmzContentSHA256Mismatch");
    await assertAbsent("sv/put.txt");
  });
  test("header-signed: a signed PUT replayed with an empty body (its signed hash is of another body)", async () => {
    // the object exists; a replay with no body must not overwrite it with nothing
    await storePut(B, "sv/kept.txt", "the real content");
    const s = signV4(gw, "PUT", `/${B}/sv/kept.txt`, { payload: sha256("signed body") });
    expectRefused(await req(s.url, { method: "PUT", headers: s.headers, body: "" }), 400, "XAmzContentSHA256Mismatch");
    assert.equal((await storeGet(B, "sv/kept.txt")).toString(), "the real content");
  });
  test("header-signed: x-amz-content-sha256 of another body on a large PUT (the check is made as the body streams)", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const s = signV4(gw, "PUT", `/${B}/sv/big.bin`, { payload: sha256(Buffer.concat([big.subarray(1), Buffer.from([8])])) });
    expectRefused(await req(s.url, { method: "PUT", headers: s.headers, body: big }), 400, "XAmzContentSHA256Mismatch");
    await assertAbsent("sv/big.bin");
  });
  test("header-signed: an Authorization header and a presigned query together", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    const p = presignV4(gw, "GET", `/${B}/${K}`);
    expectRefused(await req(p, { headers: s.headers }), 400, "InvalidArgument");
  });
  test("header-signed: AWS4-HMAC-SHA512", async () => {
    const s = signV4(gw, "GET", `/${B}/${K}`);
    expectRefused(await req(s.url, { headers: { ...s.headers, authorization: s.headers.authorization.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512") } }), 400, "AuthorizationHeaderMalformed");
  });
  test("header-signed SigV2 (AWS key:sig) with a wrong signature is refused", async () => {
    expectRefused(await req(u(K), { headers: { authorization: `AWS ${GW_KEY}:bm90LWEtc2lnbmF0dXJl`, date: new Date().toUTCString() } }), 403, "SignatureDoesNotMatch");
  });
  test("presigned: query parameter added", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`) + "&response-content-type=text%2Fhtml"), 403, "SignatureDoesNotMatch");
  });
  test("presigned: path changed", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`).replace("/sv/a.txt", "/private/payroll.csv")), 403, "SignatureDoesNotMatch");
  });
  test("presigned: GET URL used for PUT", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/sv/new.txt`), { method: "PUT", body: "evil" }), 403, "SignatureDoesNotMatch");
    await assertAbsent("sv/new.txt");
  });
  test("presigned: expired (X-Amz-Date 2 h ago, X-Amz-Expires=60)", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { skew: -7200, expires: 60 })), 403, "AccessDenied");
  });
  test("presigned: X-Amz-Expires=0", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { expires: 0 })), [400, 403], ["AuthorizationQueryParametersError", "AccessDenied"]);
  });
  test("presigned: X-Amz-Expires over a week", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { expires: 604801 })), 400, "AuthorizationQueryParametersError");
  });
  test("presigned: X-Amz-Expires negative", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { expires: -1 })), 400, "AuthorizationQueryParametersError");
  });
  test("presigned: dated 1 h in the future", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { skew: 3600 })), 403, "AccessDenied");
  });
  test("presigned: wrong region / service", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { region: "eu-west-1" })), 400, "AuthorizationQueryParametersError");
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`, { service: "ec2" })), 400, "AuthorizationQueryParametersError");
  });
  test("presigned: duplicate X-Amz-Signature / X-Amz-Date / X-Amz-Credential", async () => {
    const p = presignV4(gw, "GET", `/${B}/${K}`);
    for (const name of ["X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential"]) {
      const v = new URL(p).searchParams.get(name);
      expectRefused(await req(`${p}&${name}=${encodeURIComponent(v)}`), 400, "AuthorizationQueryParametersError");
    }
  });
  test("presigned: a duplicated signed parameter with a different value", async () => {
    const p = presignV4(gw, "GET", `/${B}/${K}?response-content-type=text%2Fplain`);
    expectRefused(await req(p + "&response-content-type=text%2Fhtml"), 403, "SignatureDoesNotMatch");
  });
  test("presigned: X-Amz-Security-Token added", async () => {
    expectRefused(await req(presignV4(gw, "GET", `/${B}/${K}`) + "&X-Amz-Security-Token=abc"), [400, 403]);
  });
});

// =============================================================================================
describe("oversize and malformed input", () => {
  const T = () => tok({ prefix: "mf/", methods: "GET,HEAD,PUT,POST,DELETE,LIST,SHARE" });
  test("a 64 kB header on a token PUT", async () => {
    const r = await req(u("mf/bighdr", `?token=${T()}`), { method: "PUT", headers: { "x-amz-meta-big": "x".repeat(64 * 1024) }, body: "x" }).catch((e) => ({ status: 431, text: String(e), body: Buffer.alloc(0) }));
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    await assertAbsent("mf/bighdr");
  });
  test("malformed CompleteMultipartUpload XML", async () => {
    const t = T();
    const id = await gwCreateUpload("mf/badxml", t);
    try {
      for (const body of ["not xml", "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>", "<Other/>", ""]) {
        const r = await req(u("mf/badxml", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body });
        expectRefused(r, 400, ["MalformedXML", "InvalidPart", "InvalidArgument", "InvalidRequest"]);
      }
      await assertAbsent("mf/badxml");
    } finally { await storeAbort("mf/badxml", id); }
  });
  test("an XML entity bomb in CompleteMultipartUpload", async () => {
    const t = T();
    const id = await gwCreateUpload("mf/bomb", t);
    try {
      const ents = Array.from({ length: 10 }, (_, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(10)}">`).join("");
      const body = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e0 "lol">${ents}]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e10;</ETag></Part></CompleteMultipartUpload>`;
      const t0 = Date.now();
      const r = await req(u("mf/bomb", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body });
      assert.ok(Date.now() - t0 < 5000, "answered quickly");
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      await assertAbsent("mf/bomb");
    } finally { await storeAbort("mf/bomb", id); }
  });
  test("deeply nested DeleteObjects XML with a token", async () => {
    const t = T();
    const body = "<Delete>" + "<Object>".repeat(100000) + "<Key>mf/x</Key>" + "</Object>".repeat(100000) + "</Delete>";
    const r = await req(`${gw.url}/${B}?delete&token=${t}`, { method: "POST", body });
    assert.ok(r.status >= 200 && r.status < 500, `status ${r.status}: ${r.text.slice(0, 200)}`);
  });
  test("malformed JSON to /api/share and /api/presign", async () => {
    for (const ep of ["/api/share", "/api/presign", "/s3/multipart"]) {
      for (const body of ["{", "[]", '{"key": 1}', "null", '{"key":"mf/x","ttl_seconds":-1}', '{"key":"mf/x","ttl_seconds":1e400}']) {
        const r = await req(raw(ep), { method: "POST", headers: { authorization: `Bearer ${T()}` }, body });
        expectRefused(r, 400, ["InvalidArgument", "InvalidRequest", "MalformedJSON"]);
      }
    }
    await assertNoUploads("mf/");
  });
  test("a negative Content-Length", async () => {
    const r = await rawSocket(gw, `PUT /${B}/mf/neg?token=${T()} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nabc`);
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), r.text.slice(0, 200));
    await assertAbsent("mf/neg");
  });
  test("a Content-Length of 10^20", async () => {
    const r = await rawSocket(gw, `PUT /${B}/mf/huge?token=${T()} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000000000000\r\n\r\nabc`);
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), r.text.slice(0, 200));
    await assertAbsent("mf/huge");
  });
  test("a 6 GB Content-Length is refused before the body is sent", async () => {
    const r = await rawSocket(gw, `PUT /${B}/mf/6gb?token=${T()} HTTP/1.1\r\nHost: x\r\nContent-Length: 6000000000\r\n\r\n`, 5000);
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.match(r.text, /EntityTooLarge/);
    await assertAbsent("mf/6gb");
  });
  test("two Content-Length headers", async () => {
    const r = await rawSocket(gw, `PUT /${B}/mf/twocl?token=${T()} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc`);
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), r.text.slice(0, 200));
    await assertAbsent("mf/twocl");
  });
  test("Transfer-Encoding: chunked PUT with no length, token with max_bytes", async () => {
    const t = tok({ prefix: "mf/", methods: "PUT", extra: ["--max-bytes", "10"] });
    const r = await rawSocket(gw, `PUT /${B}/mf/chunked?token=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n${"x".repeat(32)}\r\n0\r\n\r\n`);
    assert.ok([400, 411].includes(r.status), r.text.slice(0, 300));
    await assertAbsent("mf/chunked");
  });
  test("aws-chunked with a small decoded length and a big body, token with max_bytes", async () => {
    const t = tok({ prefix: "mf/", methods: "PUT", extra: ["--max-bytes", "10"] });
    const body = `20\r\n${"x".repeat(32)}\r\n0\r\n\r\n`;
    const r = await req(u("mf/awschunked", `?token=${t}`), { method: "PUT", headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": "5" }, body });
    assert.ok(r.status >= 400, `status ${r.status}`);
    if (await storeHas(B, "mf/awschunked")) assert.ok((await storeGet(B, "mf/awschunked")).length <= 10);
  });
  test("a body longer than its Content-Length (request smuggling)", async () => {
    const t = T();
    const smuggled = `GET /${B}/private/payroll.csv HTTP/1.1\r\nHost: x\r\n\r\n`;
    const r = await rawSocket(gw, `PUT /${B}/mf/smuggle?token=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc${smuggled}`);
    assert.ok(!r.text.includes(SECRET.toString()), "the smuggled request was served");
  });
  for (const pn of ["0", "10001", "-1", "abc", "1.5", "99999999999999999999", ""]) {
    test(`UploadPart with partNumber=${JSON.stringify(pn)}`, async () => {
      const t = T();
      const key = `mf/pn-${pn || "empty"}`;
      const id = await gwCreateUpload(key, t);
      try {
        const r = await req(u(key, `?partNumber=${pn}&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "part" });
        expectRefused(r, 400, ["InvalidArgument", "InvalidPartNumber", "InvalidRequest", "InvalidPart"]);
        assert.deepEqual(await storeParts(key, id), []);
      } finally { await storeAbort(key, id); }
    });
  }
  test("UploadPart with a made-up uploadId", async () => {
    const r = await req(u("mf/noupload", `?partNumber=1&uploadId=made-up-upload-id&token=${T()}`), { method: "PUT", body: "part" });
    expectRefused(r, 404, "NoSuchUpload");
    await assertAbsent("mf/noupload");
  });
  test("ListParts of another key's upload through an in-scope key", async () => {
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "private/upload.bin" }));
    try {
      await store.send(new UploadPartCommand({ Bucket: B, Key: "private/upload.bin", UploadId: c.UploadId, PartNumber: 1, Body: SECRET }));
      const r = await req(u("mf/any", `?uploadId=${encodeURIComponent(c.UploadId)}&token=${T()}`));
      expectRefused(r, 404, "NoSuchUpload");
    } finally { await storeAbort("private/upload.bin", c.UploadId); }
  });
  test("completing another key's upload into an in-scope key", async () => {
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "private/upload2.bin" }));
    try {
      const p = await store.send(new UploadPartCommand({ Bucket: B, Key: "private/upload2.bin", UploadId: c.UploadId, PartNumber: 1, Body: SECRET }));
      const t = T();
      const r = await req(u("mf/stolen", `?uploadId=${encodeURIComponent(c.UploadId)}&token=${t}`), { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.ETag}</ETag></Part></CompleteMultipartUpload>` });
      expectRefused(r, [400, 404], ["NoSuchUpload", "InvalidPart"]);
      const g = await req(u("mf/stolen", `?token=${t}`));
      assertNoSecret(g);
      if (await storeHas(B, "mf/stolen")) assertNoSecret(await storeGet(B, "mf/stolen"));
    } finally { await storeAbort("private/upload2.bin", c.UploadId); }
  });
  test("absurd Range headers", async () => {
    const t = T();
    await storePut(B, "mf/range.txt", Buffer.from("0123456789"));
    for (const range of ["bytes=99999999999999999999-", "bytes=-99999999999999999999", `bytes=${"0-0,".repeat(2000)}0-0`, "bytes=5-2", "bytes=--1", "items=0-1"]) {
      const r = await req(u("mf/range.txt", `?token=${t}`), { headers: { range } });
      assert.ok([200, 206, 416].includes(r.status), `${range.slice(0, 40)}: ${r.status}`);
    }
  });
  test("CR/LF in a key does not inject response headers", async () => {
    const t = T();
    const r = await req(raw(`/${B}/mf/a%0d%0aSet-Cookie:%20pwned=1?token=${t}`), { method: "PUT", body: "x" });
    assert.equal(r.headers.get("set-cookie"), null);
    const l = await req(`${gw.url}/${B}?list-type=2&prefix=mf/&token=${t}`);
    assert.equal(l.headers.get("set-cookie"), null);
  });
});

// =============================================================================================
describe("more: upload routes, no-overwrite, leaks", () => {
  before(async () => { await storePut(B, "nx/existing.txt", Buffer.from("keep me")); });
  const T = (extra = []) => tok({ prefix: "nx/", methods: "GET,HEAD,PUT,POST", extra });
  for (const [name, body] of [
    ["/api/presign key with ..", { key: "nx/../private/payroll.csv", content_type: "text/plain", size: 5 }],
    ["/api/presign key with %2e%2e", { key: "nx/%2e%2e/private/payroll.csv", content_type: "text/plain", size: 5 }],
    ["/api/presign key with a backslash dot segment", { key: "nx\\..\\private\\payroll.csv", content_type: "text/plain", size: 5 }],
    ["/api/presign POST form key with ..", { key: "nx/../private/payroll.csv", content_type: "text/plain", size: 5, method: "POST" }],
  ]) {
    test(name, async () => {
      const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${T()}` }, body: JSON.stringify(body) });
      expectRefused(r, 403, "AccessDenied");
      assert.ok(!/"url"/.test(r.text));
    });
  }
  for (const filename of ["../../private/payroll.csv", "..\\..\\private\\payroll.csv", "%2e%2e/private/x", "./../x"]) {
    test(`/s3/params and POST /s3/multipart with filename ${JSON.stringify(filename)}`, async () => {
      const t = T();
      const p = await req(raw(`/s3/params?filename=${encodeURIComponent(filename)}&type=text/plain`), { headers: { authorization: `Bearer ${t}` } });
      if (p.status === 200) assert.match(JSON.parse(p.text).key, /^nx\//); else expectRefused(p, [400, 403]);
      if (p.status === 200) assert.ok(!/(^|[\/\\])\.\.?([\/\\]|$)/.test(JSON.parse(p.text).key), JSON.parse(p.text).key);
      const c = await req(raw("/s3/multipart"), { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ filename, type: "text/plain" }) });
      if (c.status === 200) {
        const { key, uploadId } = JSON.parse(c.text);
        await storeAbort(key, uploadId);
        assert.ok(key.startsWith("nx/") && !/(^|[\/\\])\.\.?([\/\\]|$)/.test(key), key);
      } else expectRefused(c, [400, 403]);
      assert.deepEqual((await storeUploads(B, "private/")), []);
    });
  }
  test("Uppy abort of another key's upload through an in-scope key", async () => {
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "private/upload3.bin" }));
    try {
      await req(raw(`/s3/multipart/${encodeURIComponent(c.UploadId)}?key=nx/any`), { method: "DELETE", headers: { authorization: `Bearer ${T()}` } });
      assert.deepEqual((await storeUploads(B, "private/upload3.bin")).map((x) => x.id), [c.UploadId], "the other key's upload was aborted");
    } finally { await storeAbort("private/upload3.bin", c.UploadId); }
  });
  test("UploadPart into another key's upload through an in-scope key", async () => {
    const c = await store.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "private/upload4.bin" }));
    try {
      const t = T();
      await req(u("nx/any", `?partNumber=1&uploadId=${encodeURIComponent(c.UploadId)}&token=${t}`), { method: "PUT", body: "planted part" });
      assert.deepEqual(await storeParts("private/upload4.bin", c.UploadId), [], "a part was planted in another key's upload");
    } finally { await storeAbort("private/upload4.bin", c.UploadId); }
  });
  test("no-overwrite token PUT onto an existing key", async () => {
    const r = await req(u("nx/existing.txt", `?token=${T(["--no-overwrite"])}`), { method: "PUT", body: "evil" });
    expectRefused(r, [412, 403], ["PreconditionFailed", "AccessDenied"]);
    await assertUnchanged("nx/existing.txt", "keep me");
  });
  test("no-overwrite token PUT with its own If-None-Match / If-Match", async () => {
    const etag = (await storeHead(B, "nx/existing.txt")).ETag;
    for (const h of [{ "if-none-match": '"nope"' }, { "if-match": etag }, { "if-none-match": "" }]) {
      const r = await req(u("nx/existing.txt", `?token=${T(["--no-overwrite"])}`), { method: "PUT", headers: h, body: "evil" });
      assert.ok(r.status >= 400, `${JSON.stringify(h)}: ${r.status}`);
    }
    await assertUnchanged("nx/existing.txt", "keep me");
  });
  test("no-overwrite token multipart upload completed onto an existing key", async () => {
    const t = T(["--no-overwrite"]);
    const id = await gwCreateUpload("nx/existing.txt", t);
    try {
      const p = await req(u("nx/existing.txt", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "evil" });
      assert.equal(p.status, 200, p.text);
      const r = await req(u("nx/existing.txt", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>` });
      expectRefused(r, [412, 403], ["PreconditionFailed", "AccessDenied"]);
      await assertUnchanged("nx/existing.txt", "keep me");
    } finally { await storeAbort("nx/existing.txt", id); }
  });
  test("no-overwrite token's presigned PUT onto an existing key", async () => {
    const r = await req(raw("/api/presign"), { method: "POST", headers: { authorization: `Bearer ${T(["--no-overwrite"])}` }, body: JSON.stringify({ key: "nx/existing.txt", content_type: "text/plain", size: 4 }) });
    assert.equal(r.status, 200, r.text);
    const j = JSON.parse(r.text);
    const put = await fetch(j.url, { method: "PUT", headers: j.headers, body: "evil" });
    await put.arrayBuffer();
    assert.ok(put.status >= 400, `the store overwrote through a no-overwrite presigned PUT: ${put.status}`);
    const noHeader = await fetch(j.url, { method: "PUT", headers: { "content-type": "text/plain" }, body: "evil" });
    await noHeader.arrayBuffer();
    assert.ok(noHeader.status >= 400, `the presigned PUT works without If-None-Match: ${noHeader.status}`);
    await assertUnchanged("nx/existing.txt", "keep me");
  });
  test("the links /api/share returns keep their scheme under X-Forwarded-Proto injection", async () => {
    const parent = tok({ prefix: "r10/", methods: "GET,HEAD,SHARE" });
    const r = await req(raw("/api/share"), { method: "POST", headers: { authorization: `Bearer ${parent}`, "x-forwarded-proto": "javascript:alert(document.domain)//" }, body: JSON.stringify({ key: "r10/a.txt", ttl_seconds: 60 }) });
    assert.equal(r.status, 200, r.text);
    const j = JSON.parse(r.text);
    assert.match(j.share_url, /^https?:\/\//, `share_url: ${j.share_url}`);
    assert.match(j.download_url, /^https?:\/\//, `download_url: ${j.download_url}`);
  });
  test("a listing with fetch-owner=true shows no store credentials", async () => {
    const t = tok({ prefix: "nx/", methods: "LIST" });
    const r = await req(`${gw.url}/${B}?list-type=2&prefix=nx/&fetch-owner=true&token=${t}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.text.includes(STORE_KEY), "the store's access key id is in the listing");
  });
  test("store errors passed to clients show no store credentials", async () => {
    const t = tok({ prefix: "nx/", methods: "GET,PUT" });
    const rs = [await req(u("nx/missing", `?token=${t}`)), await req(u("nx/bad", `?partNumber=1&uploadId=bogus&token=${t}`), { method: "PUT", body: "x" })];
    for (const r of rs) assert.ok(!r.text.includes(STORE_KEY) && !r.text.includes(STORE_SECRET), r.text);
  });
});
