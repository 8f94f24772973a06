// Attacks on the WRITE paths (PUT, aws-chunked signed and trailer variants, copy, multipart, POST
// Object, DeleteObjects, /api share and presign, write-grant tokens), through the real worker. Each
// test checks on the store directly that nothing was written (or overwritten) that should not be,
// and that no bytes of objects the attacker may not read came back. Complements
// tests/e2e/adversarial.test.mjs (what it covers is not repeated here).
// backends: s3 r2
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, AbortMultipartUploadCommand, GetObjectAclCommand,
} from "@aws-sdk/client-s3";
import {
  onlyS3, startGateway, createBucket, uniqueBucket, mint, storeGet, storeKeys, storePut, store, xmlField, python,
  GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET, awsEncode, pctDecodeBytes,
} from "./harness.mjs";

const now = () => Math.floor(Date.now() / 1000);
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const EMPTY_SHA = sha256("");
const MAX_UPLOAD = 1024 * 1024; // BAGROOM_MAX_UPLOAD_BYTES of the gateway
const BACKEND_IS_S3 = (process.env.BAGROOM_TEST_BACKEND || "s3") === "s3";

const B = uniqueBucket("atkw");
const OTHER = uniqueBucket("atkwo");
const SECRET = Buffer.from(`PAYROLL-SECRET-${randomBytes(12).toString("hex")}`);
const OTHER_SECRET = Buffer.from(`OTHER-SECRET-${randomBytes(12).toString("hex")}`);
const SECRETS = [SECRET.toString(), OTHER_SECRET.toString()];
const IN = Buffer.from("in-scope ".repeat(600)); // 5,400 bytes under a/
const KEEP = Buffer.from("keep me as I am");

let gw;

// ---------------------------------------------------------------------------------------------
// helpers

function enc(key) {
  return key.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())).join("/");
}
const u = (key, q = "") => `${gw.url}/${B}/${enc(key)}${q}`;

async function req(url, init = {}) {
  const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(init.timeout ?? 20000), ...init });
  const body = Buffer.from(await r.arrayBuffer());
  const text = body.toString("latin1");
  return { status: r.status, headers: r.headers, body, text, code: errorCode(text) };
}
function errorCode(text) {
  const x = xmlField(text, "Code");
  if (x) return x;
  try { const j = JSON.parse(text); if (j?.error?.code) return j.error.code; } catch { /* not JSON */ }
  return undefined;
}
function assertNoSecret(r, what = "") {
  const t = typeof r === "string" ? r : r.body.toString("latin1");
  for (const s of SECRETS) assert.ok(!t.includes(s), `${what}: a secret came back`);
}
function expectRefused(res, status, code) {
  const statuses = [status].flat();
  assert.ok(statuses.includes(res.status), `expected ${statuses.join("/")}, got ${res.status} ${res.code ?? ""}: ${res.text.slice(0, 400)}`);
  if (code !== undefined) {
    const codes = [code].flat();
    assert.ok(codes.includes(res.code), `expected code ${codes.join("/")}, got ${res.code} (${res.status}): ${res.text.slice(0, 400)}`);
  }
  assertNoSecret(res);
  return res;
}
async function storeHas(bucket, key) { return (await storeKeys(bucket, key)).includes(key); }
async function assertAbsent(key, what = "") { assert.equal(await storeHas(B, key), false, `${what}: ${key} must not exist in the store`); }
async function assertUnchanged(key, bytes, what = "") {
  const got = await storeGet(B, key);
  assert.ok(got.equals(Buffer.from(bytes)), `${what}: ${key} changed in the store (${got.length} bytes: ${got.toString("latin1").slice(0, 80)})`);
}
async function assertSecretsIntact() {
  await assertUnchanged("private/payroll.csv", SECRET, "payroll");
  assert.ok((await storeGet(OTHER, "secret.txt")).equals(OTHER_SECRET), "the other bucket's secret changed");
}
/** Every key in the store is under one of `prefixes` (or is a fixture). */
async function assertOnlyUnder(prefixes, what = "") {
  const fixtures = new Set(["private/payroll.csv", "a/in.txt", "a/keep.txt"]);
  for (const k of await storeKeys(B)) {
    if (fixtures.has(k)) continue;
    assert.ok(prefixes.some((p) => k.startsWith(p)), `${what}: ${JSON.stringify(k)} written outside ${prefixes.join(",")}`);
  }
}
async function storeHead(key) {
  try { return await store.send(new HeadObjectCommand({ Bucket: B, Key: key })); } catch (e) {
    if (e.$metadata?.httpStatusCode === 404 || e.name === "NotFound" || e.name === "NoSuchKey") return null;
    throw e;
  }
}
async function storeUploads(prefix = "") {
  const r = await store.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: prefix }));
  return (r.Uploads || []).map((x) => ({ key: x.Key, id: x.UploadId }));
}
async function storeParts(key, uploadId) {
  try {
    const r = await store.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: uploadId }));
    return (r.Parts || []).map((p) => ({ n: p.PartNumber, size: p.Size }));
  } catch (e) {
    if (e.name === "NoSuchUpload" || e.$metadata?.httpStatusCode === 404) return [];
    throw e;
  }
}
async function storeAbort(key, uploadId) {
  try { await store.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId: uploadId })); } catch { /* gone */ }
}

function tok({ prefix, key, methods = "GET,HEAD", bucket = B, extra = [] } = {}) {
  const args = ["--bucket", bucket, "--methods", methods, ...extra];
  if (key !== undefined) args.push("--key", key); else args.push("--prefix", prefix ?? "");
  return mint(args);
}

function rawHttp({ method = "GET", path: p, headers = [], body }) {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    // headers as [name, value] pairs: duplicates and exact case on the wire
    const flat = [["host", url.host], ...headers].flat();
    if (body !== undefined && !headers.some(([k]) => /^content-length$/i.test(k))) flat.push("content-length", String(Buffer.byteLength(body)));
    const r = http.request({ host: url.hostname, port: url.port, method, path: p, setHost: false, headers: flat }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const b = Buffer.concat(chunks);
        const text = b.toString("latin1");
        resolve({ status: res.statusCode, headers: res.headers, body: b, text, code: errorCode(text) });
      });
    });
    r.setTimeout(20000, () => r.destroy(new Error("timeout")));
    r.on("error", reject);
    if (body !== undefined) r.end(body); else r.end();
  });
}

// ---- SigV4

function canonicalQuery(rawQuery, skip = []) {
  return rawQuery.split("&").filter(Boolean).map((p) => {
    const i = p.indexOf("=");
    return i < 0 ? [pctDecodeBytes(p), Buffer.alloc(0)] : [pctDecodeBytes(p.slice(0, i)), pctDecodeBytes(p.slice(i + 1))];
  }).filter(([k]) => !skip.includes(k.toString()))
    .map(([k, v]) => [awsEncode(k, false), awsEncode(v, false)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join("&");
}
const canonicalUri = (p) => p.split("/").map((s) => awsEncode(pctDecodeBytes(s), false)).join("/") || "/";
const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
function amzNow() {
  const d = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { amz: d, day: d.slice(0, 8) };
}
function signingKey(day, secret = GW_SECRET) {
  let k = hmac("AWS4" + secret, day);
  for (const m of ["us-east-1", "s3", "aws4_request"]) k = hmac(k, m);
  return k;
}
/** Header-signed SigV4: {url, headers, seed, amz, scope, key}. All `extra` headers are signed. */
function signV4(method, pathAndQuery, { payload = EMPTY_SHA, extra = {} } = {}) {
  const url = new URL(gw.url + pathAndQuery);
  const { amz, day } = amzNow();
  const headers = { host: url.host, "x-amz-date": amz, "x-amz-content-sha256": payload, ...extra };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const signed = Object.keys(lower).sort();
  const ch = signed.map((n) => `${n}:${lower[n].trim().replace(/\s+/g, " ")}\n`).join("");
  const creq = [method, canonicalUri(url.pathname), canonicalQuery(url.search.slice(1)), ch, signed.join(";"), payload].join("\n");
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const key = signingKey(day);
  const sig = hmac(key, ["AWS4-HMAC-SHA256", amz, scope, sha256(creq)].join("\n")).toString("hex");
  const out = { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${GW_KEY}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${sig}` };
  delete out.host;
  return { url: url.href, headers: out, seed: sig, amz, scope, key };
}
function presignV4(method, pathAndQuery, { expires = 300 } = {}) {
  const url = new URL(gw.url + pathAndQuery);
  const { amz, day } = amzNow();
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const add = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${GW_KEY}/${scope}`)}&X-Amz-Date=${amz}&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=host`;
  const rq = url.search ? url.search.slice(1) + "&" + add : add;
  const creq = [method, canonicalUri(url.pathname), canonicalQuery(rq, ["X-Amz-Signature"]), `host:${url.host}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
  const sig = hmac(signingKey(day), ["AWS4-HMAC-SHA256", amz, scope, sha256(creq)].join("\n")).toString("hex");
  return `${url.origin}${url.pathname}?${rq}&X-Amz-Signature=${sig}`;
}

// ---- aws-chunked, signed

const CHUNK_STS = "AWS4-HMAC-SHA256-PAYLOAD";
/**
 * A signed aws-chunked PUT of `chunks` (Buffers). `tamper(i, sig)` may change chunk i's signature
 * on the wire (the final empty chunk is i = chunks.length); `alter(i, data)` the data sent after
 * signing; `trailer`: {name, value} for the -TRAILER variant (`tamperTrailer`, `extraTrailer`).
 */
function signedChunked(method, pathAndQuery, chunks, { decoded, tamper, alter, trailer, tamperTrailer, extraTrailer, chainFromSeed = false, extraHeaders = {} } = {}) {
  const decodedLen = decoded ?? chunks.reduce((n, c) => n + c.length, 0);
  const payload = trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  const hx = { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(decodedLen), ...extraHeaders };
  if (trailer) hx["x-amz-trailer"] = trailer.name;
  // Content-Length is not signed (fetch sets it): the signature covers the rest
  const s = signV4(method, pathAndQuery, { payload, extra: hx });
  let prev = s.seed;
  const parts = [];
  const all = [...chunks, Buffer.alloc(0)];
  all.forEach((data, i) => {
    const sts = [CHUNK_STS, s.amz, s.scope, chainFromSeed ? s.seed : prev, EMPTY_SHA, sha256(data)].join("\n");
    let sig = hmac(s.key, sts).toString("hex");
    prev = sig;
    if (tamper) sig = tamper(i, sig);
    const sent = alter ? alter(i, data) : data;
    parts.push(Buffer.from(`${sent.length.toString(16)};chunk-signature=${sig}\r\n`), sent);
    if (i < chunks.length || !trailer) parts.push(Buffer.from("\r\n"));
  });
  if (trailer) {
    const lines = `${trailer.name}:${trailer.value}\n`;
    let tsig = hmac(s.key, ["AWS4-HMAC-SHA256-TRAILER", s.amz, s.scope, prev, sha256(lines)].join("\n")).toString("hex");
    if (tamperTrailer) tsig = tamperTrailer(tsig);
    parts.push(Buffer.from(`${trailer.name}:${trailer.value}\r\n`));
    if (extraTrailer) parts.push(Buffer.from(extraTrailer));
    parts.push(Buffer.from(`x-amz-trailer-signature:${tsig}\r\n\r\n`));
  }
  return { url: s.url, headers: s.headers, body: Buffer.concat(parts) };
}
const flipHex = (sig) => (sig[0] === "0" ? "1" : "0") + sig.slice(1);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
  return t;
})();
function crc32b64(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(c);
  return out.toString("base64");
}

// ---- SigV2

function signV2Header(method, rawPath, { contentType = "", md5 = "", amz = {} } = {}) {
  const date = new Date().toUTCString();
  const amzLines = Object.keys(amz).map((k) => k.toLowerCase()).sort().map((k) => `${k}:${amz[Object.keys(amz).find((x) => x.toLowerCase() === k)]}\n`).join("");
  const sts = `${method}\n${md5}\n${contentType}\n${date}\n${amzLines}${rawPath}`;
  const sig = createHmac("sha1", GW_SECRET).update(sts).digest("base64");
  const h = { date, authorization: `AWS ${GW_KEY}:${sig}`, ...amz };
  if (contentType) h["content-type"] = contentType;
  if (md5) h["content-md5"] = md5;
  return h;
}
function presignV2(method, rawPath, { contentType = "", expires = now() + 300 } = {}) {
  const sts = `${method}\n\n${contentType}\n${expires}\n${rawPath}`;
  const sig = createHmac("sha1", GW_SECRET).update(sts).digest("base64");
  return `${gw.url}${rawPath}?AWSAccessKeyId=${GW_KEY}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
}

async function gwCreateUpload(key, t, headers = {}) {
  const r = await req(u(key, `?uploads&token=${t}`), { method: "POST", headers });
  assert.equal(r.status, 200, `create upload: ${r.text}`);
  return xmlField(r.text, "UploadId");
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  await createBucket(B);
  await createBucket(OTHER);
  await storePut(B, "private/payroll.csv", SECRET, { ContentType: "text/csv" });
  await storePut(B, "a/in.txt", IN, { ContentType: "text/plain" });
  await storePut(B, "a/keep.txt", KEEP, { ContentType: "text/plain" });
  await storePut(OTHER, "secret.txt", OTHER_SECRET, { ContentType: "text/plain" });
  await storePut(OTHER, "a/in.txt", OTHER_SECRET, { ContentType: "text/plain" });
  gw = await startGateway({ bucket: B, vars: { BAGROOM_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
});

after(async () => {
  await gw?.close();
});

// =============================================================================================

describe("1. signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): no half or forged object is kept", () => {
  const chunks = () => [Buffer.from("A".repeat(8192)), Buffer.from("B".repeat(8192)), Buffer.from("tail-bytes")];
  const whole = () => Buffer.concat(chunks());

  test("sanity: a correctly signed 3-chunk upload is stored decoded", async () => {
    const s = signedChunked("PUT", `/${B}/ch/ok.bin`, chunks());
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    assert.equal(r.status, 200, r.text);
    await assertUnchanged("ch/ok.bin", whole(), "sanity");
  });
  test("sanity: the trailer variant with a correct CRC32 and trailer signature is stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/trailer-ok.bin`, chunks(), { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(whole()) } });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    assert.equal(r.status, 200, r.text);
    await assertUnchanged("ch/trailer-ok.bin", whole(), "sanity trailer");
  });
  for (const [name, i] of [["the first chunk", 0], ["a middle chunk", 1], ["the last data chunk", 2], ["the final empty chunk", 3]]) {
    test(`${name}'s signature tampered: refused, nothing stored`, async () => {
      const key = `ch/tampered-${i}.bin`;
      const s = signedChunked("PUT", `/${B}/${key}`, chunks(), { tamper: (j, sig) => (j === i ? flipHex(sig) : sig) });
      const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
      expectRefused(r, [400, 403], ["SignatureDoesNotMatch", "IncompleteBody", "InvalidRequest"]);
      await assertAbsent(key, name);
    });
  }
  test("the final chunk's signature tampered on an overwrite: the old object stays", async () => {
    const s = signedChunked("PUT", `/${B}/a/keep.txt`, chunks(), { tamper: (j, sig) => (j === 3 ? flipHex(sig) : sig) });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertUnchanged("a/keep.txt", KEEP, "overwrite with a forged final chunk");
  });
  test("the last chunk's data swapped after signing (same length): refused, nothing stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/swapped.bin`, chunks(), { alter: (j, d) => (j === 2 ? Buffer.from("EVIL-BYTES") : d) });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/swapped.bin", "swapped data");
  });
  test("a chunk dropped (the chain skips a link), decoded length adjusted: refused", async () => {
    // sign 3 chunks, send chunks 0 and 2 with their own signatures
    const c = chunks();
    const s = signedChunked("PUT", `/${B}/ch/dropped.bin`, c, { decoded: c[0].length + c[2].length });
    const text = s.body.toString("latin1");
    const lines = text.split("\r\n");
    // lines: [hdr0, data0, hdr1, data1, hdr2, data2, hdrFinal, "", ""]
    const body = Buffer.from([lines[0], lines[1], lines[4], lines[5], lines[6], "", ""].join("\r\n"), "latin1");
    const r = await req(s.url, { method: "PUT", headers: s.headers, body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/dropped.bin", "dropped chunk");
  });
  test("every chunk chained from the seed (not from the previous chunk): refused", async () => {
    const s = signedChunked("PUT", `/${B}/ch/seedchain.bin`, chunks(), { chainFromSeed: true });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/seedchain.bin", "seed chain");
  });
  test("x-amz-decoded-content-length larger than the chunks: refused, nothing stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/short.bin`, chunks(), { decoded: whole().length + 100 });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/short.bin", "decoded length too large");
  });
  test("x-amz-decoded-content-length smaller than the chunks: refused, nothing stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/long.bin`, chunks(), { decoded: 100 });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/long.bin", "decoded length too small");
  });
  test("x-amz-decoded-content-length over BAGROOM_MAX_UPLOAD_BYTES: refused before the body", async () => {
    const s = signedChunked("PUT", `/${B}/ch/huge.bin`, chunks(), { decoded: MAX_UPLOAD + 1 });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403], ["EntityTooLarge", "SignatureDoesNotMatch", "IncompleteBody", "InvalidRequest"]);
    await assertAbsent("ch/huge.bin", "over the cap");
  });
  test("trailer variant: the trailer signature tampered: refused, nothing stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/tsig.bin`, chunks(), { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(whole()) }, tamperTrailer: flipHex });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/tsig.bin", "trailer signature");
  });
  test("trailer variant: a wrong CRC32, correctly signed: BadDigest, nothing stored", async () => {
    const s = signedChunked("PUT", `/${B}/ch/tcrc.bin`, chunks(), { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(Buffer.from("other")) } });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/tcrc.bin", "wrong crc");
  });
  test("trailer variant: an unsigned extra trailer line (x-amz-meta-evil) slipped in: refused or not stored as metadata", async () => {
    const s = signedChunked("PUT", `/${B}/ch/textra.bin`, chunks(), { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(whole()) }, extraTrailer: "x-amz-meta-evil:1\r\n" });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    if (r.status === 200) {
      const h = await storeHead("ch/textra.bin");
      assert.ok(!h.Metadata?.evil, "an unsigned trailer became metadata");
    } else {
      expectRefused(r, [400, 403]);
      await assertAbsent("ch/textra.bin", "extra trailer");
    }
  });
  test("trailer variant: the trailer named in x-amz-trailer is not the one sent: refused", async () => {
    const s = signedChunked("PUT", `/${B}/ch/tname.bin`, chunks(), { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(whole()) }, extraHeaders: {} });
    // rewrite the declared trailer after signing? it is signed: send a body whose trailer is sha256 instead
    const body = Buffer.from(s.body.toString("latin1").replace("x-amz-checksum-crc32:", "x-amz-checksum-crc32c:"), "latin1");
    const r = await req(s.url, { method: "PUT", headers: s.headers, body });
    expectRefused(r, [400, 403]);
    await assertAbsent("ch/tname.bin", "trailer name");
  });
  test("UploadPart with a forged final chunk signature: no part is kept", onlyS3("ListParts on the store"), async () => {
    const t = tok({ prefix: "ch/", methods: "GET,HEAD,PUT" });
    const id = await gwCreateUpload("ch/mp.bin", t);
    try {
      const s = signedChunked("PUT", `/${B}/ch/mp.bin?partNumber=1&uploadId=${encodeURIComponent(id)}`, chunks(), { tamper: (j, sig) => (j === 3 ? flipHex(sig) : sig) });
      const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
      expectRefused(r, [400, 403]);
      assert.deepEqual(await storeParts("ch/mp.bin", id), [], "a part was kept");
    } finally { await storeAbort("ch/mp.bin", id); }
  });
  test("a share token sending a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body with garbage signatures: never stored with the framing", async () => {
    const t = tok({ prefix: "ch/", methods: "GET,HEAD,PUT" });
    const data = Buffer.from("token chunked body");
    const body = Buffer.from(`${data.length.toString(16)};chunk-signature=${"0".repeat(64)}\r\n${data}\r\n0;chunk-signature=${"0".repeat(64)}\r\n\r\n`);
    const r = await req(u("ch/tok.bin", `?token=${t}`), { method: "PUT", body, headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-decoded-content-length": String(data.length) } });
    if (r.status === 200) await assertUnchanged("ch/tok.bin", data, "token chunked");
    else { expectRefused(r, [400, 403]); await assertAbsent("ch/tok.bin", "token chunked"); }
  });
});

// =============================================================================================

describe("2. body caps and signed payloads", () => {
  test("access key PUT with Content-Length over BAGROOM_MAX_UPLOAD_BYTES", async () => {
    const body = Buffer.alloc(MAX_UPLOAD + 10, 1);
    const s = signV4("PUT", `/${B}/cap/big.bin`, { payload: "UNSIGNED-PAYLOAD" });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body });
    expectRefused(r, 400, "EntityTooLarge");
    await assertAbsent("cap/big.bin", "over the cap");
  });
  test("token UploadPart over BAGROOM_MAX_UPLOAD_BYTES: no part kept", onlyS3("ListParts on the store"), async () => {
    const t = tok({ prefix: "cap/", methods: "GET,HEAD,PUT" });
    const id = await gwCreateUpload("cap/mp.bin", t);
    try {
      const r = await req(u("cap/mp.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: Buffer.alloc(MAX_UPLOAD + 10, 2) });
      expectRefused(r, 400, "EntityTooLarge");
      assert.deepEqual(await storeParts("cap/mp.bin", id), []);
    } finally { await storeAbort("cap/mp.bin", id); }
  });
  test("signed payload hash on an overwrite, body swapped: the old object stays", async () => {
    const s = signV4("PUT", `/${B}/a/keep.txt`, { payload: sha256("the signed body") });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: "an evil body!!!" });
    expectRefused(r, [400, 403]);
    await assertUnchanged("a/keep.txt", KEEP, "swapped body");
  });
  test("signed payload hash, Content-Length declaring fewer bytes than the signed body (truncation)", async () => {
    const full = "the whole signed body";
    const s = signV4("PUT", `/${B}/cap/trunc.txt`, { payload: sha256(full) });
    const r = await rawHttp({ method: "PUT", path: `/${B}/cap/trunc.txt`, headers: [...Object.entries(s.headers), ["content-length", "5"]], body: full.slice(0, 5) });
    expectRefused(r, [400, 403]);
    await assertAbsent("cap/trunc.txt", "truncated body");
  });
});

// =============================================================================================

describe("3. presigned and SigV2 requests: what the signature did not cover", () => {
  test("a presigned SigV4 PUT URL + unsigned partNumber&uploadId (into another key's upload)", onlyS3("ListParts on the store"), async () => {
    const t = tok({ prefix: "ps/", methods: "GET,HEAD,PUT" });
    const id = await gwCreateUpload("ps/target.bin", t);
    try {
      const url = presignV4("PUT", `/${B}/ps/target.bin`) + `&partNumber=1&uploadId=${encodeURIComponent(id)}`;
      const r = await req(url, { method: "PUT", body: "part bytes" });
      expectRefused(r, 403, ["SignatureDoesNotMatch", "AccessDenied"]);
      assert.deepEqual(await storeParts("ps/target.bin", id), []);
    } finally { await storeAbort("ps/target.bin", id); }
  });
  for (const [name, q] of [["x-amz-acl=public-read", "x-amz-acl=public-read"], ["tagging", "tagging"], ["acl", "acl"], ["versionId", "versionId=x"], ["uploads", "uploads"]]) {
    test(`a presigned SigV4 PUT URL + unsigned ${name}`, async () => {
      const key = `ps/extra-${name.replace(/\W/g, "")}.txt`;
      const url = presignV4("PUT", `/${B}/${key}`) + `&${q}`;
      const r = await req(url, { method: "PUT", body: "x" });
      expectRefused(r, [400, 403, 405, 501]);
      await assertAbsent(key, name);
    });
  }
  test("a presigned SigV4 PUT URL with X-Amz-Signature moved before the signed params, plus x-amz-meta in the query", async () => {
    const url = presignV4("PUT", `/${B}/ps/meta.txt`);
    const r = await req(url + "&x-amz-meta-evil=1", { method: "PUT", body: "x" });
    expectRefused(r, 403);
    await assertAbsent("ps/meta.txt", "query meta");
  });
  test("a SigV2 presigned PUT signed for text/plain, sent as text/html", async () => {
    const url = presignV2("PUT", `/${B}/ps/v2type.txt`, { contentType: "text/plain" });
    const r = await req(url, { method: "PUT", body: "<script>x</script>", headers: { "content-type": "text/html" } });
    expectRefused(r, 403, "SignatureDoesNotMatch");
    await assertAbsent("ps/v2type.txt", "v2 type");
  });
  test("a SigV2 presigned PUT + an unsigned x-amz-meta header", async () => {
    const url = presignV2("PUT", `/${B}/ps/v2meta.txt`);
    const r = await req(url, { method: "PUT", body: "x", headers: { "x-amz-meta-evil": "1" } });
    if (r.status === 200) {
      const h = await storeHead("ps/v2meta.txt");
      assert.ok(!h.Metadata?.evil, "an unsigned SigV2 x-amz-meta reached the store");
    } else {
      expectRefused(r, 403);
      await assertAbsent("ps/v2meta.txt", "v2 meta");
    }
  });
  test("a SigV2 presigned PUT + an unsigned x-amz-storage-class header", async () => {
    const url = presignV2("PUT", `/${B}/ps/v2sc.txt`);
    const r = await req(url, { method: "PUT", body: "x", headers: { "x-amz-storage-class": "GLACIER" } });
    if (r.status === 200) {
      const h = await storeHead("ps/v2sc.txt");
      assert.ok(!h.StorageClass || h.StorageClass === "STANDARD", `storage class ${h.StorageClass}`);
    } else {
      expectRefused(r, 403);
      await assertAbsent("ps/v2sc.txt", "v2 storage class");
    }
  });
  test("a SigV2 presigned PUT URL used on another key's upload (+ partNumber, uploadId)", onlyS3("ListParts on the store"), async () => {
    const t = tok({ prefix: "ps/", methods: "GET,HEAD,PUT" });
    const id = await gwCreateUpload("ps/v2up.bin", t);
    try {
      const url = presignV2("PUT", `/${B}/ps/v2up.bin`).replace("?", `?partNumber=1&uploadId=${encodeURIComponent(id)}&`);
      const r = await req(url, { method: "PUT", body: "x" });
      expectRefused(r, 403);
      assert.deepEqual(await storeParts("ps/v2up.bin", id), []);
    } finally { await storeAbort("ps/v2up.bin", id); }
  });
  test("header-signed SigV2 PUT: x-amz-meta added after signing", async () => {
    const h = signV2Header("PUT", `/${B}/ps/v2h.txt`, { contentType: "text/plain" });
    const r = await req(u("ps/v2h.txt"), { method: "PUT", body: "x", headers: { ...h, "x-amz-meta-evil": "1" } });
    expectRefused(r, 403, "SignatureDoesNotMatch");
    await assertAbsent("ps/v2h.txt", "v2 header meta");
  });
  test("header-signed SigV2 PUT: Content-Type changed after signing", async () => {
    const h = signV2Header("PUT", `/${B}/ps/v2ct.txt`, { contentType: "text/plain" });
    const r = await req(u("ps/v2ct.txt"), { method: "PUT", body: "x", headers: { ...h, "content-type": "text/html" } });
    expectRefused(r, 403, "SignatureDoesNotMatch");
    await assertAbsent("ps/v2ct.txt", "v2 header ct");
  });
  test("header-signed SigV2 PUT: x-amz-copy-source added after signing", async () => {
    const h = signV2Header("PUT", `/${B}/ps/v2cp.txt`);
    const r = await req(u("ps/v2cp.txt"), { method: "PUT", headers: { ...h, "x-amz-copy-source": `/${B}/private/payroll.csv` } });
    expectRefused(r, 403);
    await assertAbsent("ps/v2cp.txt", "v2 copy");
  });
  test("header-signed SigV2 PUT: a signed x-amz-acl: public-read is still refused", async () => {
    const h = signV2Header("PUT", `/${B}/ps/v2acl.txt`, { amz: { "x-amz-acl": "public-read" } });
    const r = await req(u("ps/v2acl.txt"), { method: "PUT", body: Buffer.from("x"), headers: h });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("ps/v2acl.txt", "v2 acl");
  });
});

// =============================================================================================

describe("4. copy sources in every encoding (token: GET,PUT on a/)", () => {
  const T = () => tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
  async function copy(dest, source, { headers = {} } = {}) {
    return req(u(dest, `?token=${T()}`), { method: "PUT", headers: { "x-amz-copy-source": source, ...headers } });
  }
  for (const [name, src] of [
    ["double-encoded dots (%252e%252e)", `/${B}/a/%252e%252e/private/payroll.csv`],
    ["double-encoded slash and dots (%252F..%252F)", `/${B}/a%252F..%252Fprivate%252Fpayroll.csv`],
    ["encoded dots after an encoded slash (a%2F%2E%2E%2Fprivate)", `${B}%2Fa%2F%2E%2E%2Fprivate%2Fpayroll.csv`],
    ["a fragment then dot segments (#../..)", `/${B}/a/in.txt#/../../private/payroll.csv`],
    ["an encoded ? before dot segments (%3F/../)", `/${B}/a/in.txt%3F/../../private/payroll.csv`],
    ["a bucket name in other case", `/${B.toUpperCase()}/private/payroll.csv`],
    ["the other store bucket with an in-scope key", `/${OTHER}/a/in.txt`],
    ["the other store bucket fully percent-encoded", `%2F${encodeURIComponent(OTHER)}%2Fa%2Fin.txt`],
    ["the other store bucket behind a ../ from ours", `/${B}/../${OTHER}/a/in.txt`],
    ["a leading tab and the private key", `\t/${B}/private/payroll.csv`],
    ["backslash dot segments", `/${B}/a\\..\\private\\payroll.csv`],
    ["a versionId then an extra parameter", `/${B}/a/in.txt?versionId=null&x-id=../../private/payroll.csv`],
    ["an empty versionId", `/${B}/private/payroll.csv?versionId=`],
    ["a fullwidth solidus and dots", `/${B}/a\uFF0F..\uFF0Fprivate/payroll.csv`],
    ["an absolute URL", `http://127.0.0.1/${B}/private/payroll.csv`],
  ]) {
    test(`CopyObject with ${name}`, async () => {
      const dest = `a/cp-${createHash("md5").update(name).digest("hex").slice(0, 8)}`;
      let r;
      try { r = await copy(dest, src); } catch (e) { return void (await assertAbsent(dest, `${name} (client refused the header: ${e.message})`)); }
      if (r.status === 200) {
        // a copy that succeeded must be of an in-scope object of our bucket
        const got = await storeGet(B, dest);
        assert.ok(!SECRETS.some((s) => got.toString().includes(s)), `${name}: a secret was copied into ${dest}`);
        assert.ok(got.equals(IN), `${name}: copied something other than a/in.txt`);
      } else {
        expectRefused(r, [400, 403, 404, 501]);
        if (await storeHas(B, dest)) {
          const got = await storeGet(B, dest);
          assert.ok(!SECRETS.some((s) => got.toString().includes(s)), `${name}: a secret was copied`);
        }
      }
      await assertSecretsIntact();
    });
  }
  test("two x-amz-copy-source headers on the wire (in scope, then private)", async () => {
    const r = await rawHttp({ method: "PUT", path: `/${B}/a/cp-dup?token=${T()}`, headers: [["x-amz-copy-source", `/${B}/a/in.txt`], ["X-Amz-Copy-Source", `/${B}/private/payroll.csv`]] });
    assertNoSecret(r);
    if (await storeHas(B, "a/cp-dup")) {
      const got = (await storeGet(B, "a/cp-dup")).toString();
      assert.ok(!SECRETS.some((s) => got.includes(s)), "a secret was copied");
    }
    if (r.status === 200) assert.ok((await storeGet(B, "a/cp-dup")).equals(IN));
  });
  test("two x-amz-copy-source headers on the wire (private, then in scope)", async () => {
    const r = await rawHttp({ method: "PUT", path: `/${B}/a/cp-dup2?token=${T()}`, headers: [["x-amz-copy-source", `/${B}/private/payroll.csv`], ["x-amz-copy-source", `/${B}/a/in.txt`]] });
    assertNoSecret(r);
    if (await storeHas(B, "a/cp-dup2")) {
      const got = await storeGet(B, "a/cp-dup2");
      assert.ok(!SECRETS.some((s) => got.toString().includes(s)), "a secret was copied");
    }
  });
  test("in-scope source onto a destination outside the scope", async () => {
    const r = await copy("private/copied", `/${B}/a/in.txt`);
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("private/copied", "dest outside");
  });
  test("in-scope source onto the private object (overwrite outside the scope)", async () => {
    const r = await copy("private/payroll.csv", `/${B}/a/in.txt`);
    expectRefused(r, 403, "AccessDenied");
    await assertSecretsIntact();
  });
  for (const [name, h] of [
    ["x-amz-storage-class", { "x-amz-storage-class": "GLACIER" }],
    ["x-amz-tagging-directive REPLACE + x-amz-tagging", { "x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "a=b" }],
    ["x-amz-server-side-encryption", { "x-amz-server-side-encryption": "AES256" }],
    ["x-amz-website-redirect-location", { "x-amz-website-redirect-location": "https://evil.example/" }],
    ["x-amz-acl public-read", { "x-amz-acl": "public-read" }],
    ["x-amz-grant-read", { "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }],
    ["SSE-C source headers", { "x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256" }],
    ["x-amz-object-lock-mode", { "x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z" }],
  ]) {
    test(`token CopyObject with ${name}`, async () => {
      const dest = `a/cpattr-${name.replace(/\W/g, "")}`;
      const r = await copy(dest, `/${B}/a/in.txt`, { headers: { "x-amz-metadata-directive": "REPLACE", ...h } });
      expectRefused(r, 403, "AccessDenied");
      await assertAbsent(dest, name);
    });
  }
  test("access key CopyObject with x-amz-acl public-read is refused", async () => {
    const s = signV4("PUT", `/${B}/a/cp-akacl`, { extra: { "x-amz-copy-source": `/${B}/a/in.txt`, "x-amz-acl": "public-read" } });
    const r = await req(s.url, { method: "PUT", headers: s.headers });
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("a/cp-akacl", "ak acl");
  });
  test("UploadPartCopy with a double-encoded dot source", onlyS3("UploadPartCopy and ListParts"), async () => {
    const t = T();
    const id = await gwCreateUpload("a/upc.bin", t);
    try {
      const r = await req(u("a/upc.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/a/%252e%252e/private/payroll.csv` } });
      assertNoSecret(r);
      if (r.status === 200) {
        const c = await req(u("a/upc.bin", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${xmlField(r.text, "ETag")}</ETag></Part></CompleteMultipartUpload>` });
        if (c.status === 200) assert.ok(!SECRETS.some((s) => c.text.includes(s)));
        if (await storeHas(B, "a/upc.bin")) {
          const got = (await storeGet(B, "a/upc.bin")).toString();
          assert.ok(!SECRETS.some((s) => got.includes(s)), "a secret was copied by part copy");
        }
      } else expectRefused(r, [400, 403, 404]);
      const parts = await storeParts("a/upc.bin", id);
      for (const p of parts) assert.notEqual(p.size, SECRET.length, "the secret was copied into a part");
    } finally { await storeAbort("a/upc.bin", id); }
  });
  test("UploadPartCopy from the other store bucket's same key", onlyS3("UploadPartCopy and ListParts"), async () => {
    const t = T();
    const id = await gwCreateUpload("a/upc2.bin", t);
    try {
      const r = await req(u("a/upc2.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `${OTHER}/a/in.txt` } });
      expectRefused(r, [403, 404], ["NoSuchBucket", "AccessDenied"]);
      assert.deepEqual(await storeParts("a/upc2.bin", id), []);
    } finally { await storeAbort("a/upc2.bin", id); }
  });
});

// =============================================================================================

describe("5. client headers: duplicates, case, and the ones nobody may send", () => {
  const T = () => tok({ prefix: "h/", methods: "GET,HEAD,PUT" });
  for (const [name, headers] of [
    ["x-amz-acl twice (private, then public-read)", [["x-amz-acl", "private"], ["X-Amz-Acl", "public-read"]]],
    ["x-amz-acl: PRIVATE (other case) then public-read", [["X-AMZ-ACL", "PRIVATE"], ["x-amz-acl", "public-read"]]],
    ["x-amz-acl: private, public-read (one comma-joined header)", [["x-amz-acl", "private, public-read"]]],
    ["X-AMZ-GRANT-FULL-CONTROL in upper case", [["X-AMZ-GRANT-FULL-CONTROL", 'id="attacker"']]],
    ["x-amz-grant-write-acp", [["x-amz-grant-write-acp", 'id="attacker"']]],
    ["x-amz-server-side-encryption-customer-key twice", [["x-amz-server-side-encryption-customer-key", "a"], ["X-Amz-Server-Side-Encryption-Customer-Key", "b"]]],
    ["X-Amz-Object-Lock-Legal-Hold", [["X-Amz-Object-Lock-Legal-Hold", "ON"]]],
    ["x-amz-tagging in mixed case", [["X-aMz-TaGgInG", "a=b"]]],
  ]) {
    test(`token PUT with ${name}`, async () => {
      const key = `h/${createHash("md5").update(name).digest("hex").slice(0, 8)}`;
      const r = await rawHttp({ method: "PUT", path: `/${B}/${key}?token=${T()}`, headers, body: "x" });
      expectRefused(r, 403, "AccessDenied");
      await assertAbsent(key, name);
    });
  }
  test("access key PUT with x-amz-acl twice (private, public-read)", async () => {
    const s = signV4("PUT", `/${B}/h/akdup`, { payload: "UNSIGNED-PAYLOAD" });
    const r = await rawHttp({ method: "PUT", path: `/${B}/h/akdup`, headers: [...Object.entries(s.headers), ["x-amz-acl", "private"], ["x-amz-acl", "public-read"]], body: "x" });
    expectRefused(r, 403);
    await assertAbsent("h/akdup", "ak dup acl");
  });
  test("token UploadPart with SSE-C headers", onlyS3("ListParts on the store"), async () => {
    const t = T();
    const id = await gwCreateUpload("h/ssec.bin", t);
    try {
      const r = await req(u("h/ssec.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "x", headers: { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": Buffer.alloc(32, 7).toString("base64") } });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts("h/ssec.bin", id), []);
    } finally { await storeAbort("h/ssec.bin", id); }
  });
  test("token CompleteMultipartUpload with x-amz-server-side-encryption / x-amz-acl", onlyS3("the store's S3 API"), async () => {
    const t = T();
    const id = await gwCreateUpload("h/cmpl.bin", t);
    try {
      const p = await req(u("h/cmpl.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "part" });
      assert.equal(p.status, 200, p.text);
      const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>`;
      for (const h of [{ "x-amz-server-side-encryption": "AES256" }, { "x-amz-acl": "public-read" }, { "x-amz-storage-class": "GLACIER" }]) {
        const r = await req(u("h/cmpl.bin", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: doc, headers: h });
        expectRefused(r, 403, "AccessDenied");
        await assertAbsent("h/cmpl.bin", JSON.stringify(h));
      }
    } finally { await storeAbort("h/cmpl.bin", id); }
  });
  test("a token PUT's object keeps no ACL grant for anyone else in the store", onlyS3("object ACLs"), async () => {
    const r = await rawHttp({ method: "PUT", path: `/${B}/h/acl-ok?token=${T()}`, headers: [["x-amz-acl", "bucket-owner-full-control"]], body: "x" });
    assert.equal(r.status, 200, r.text);
    try {
      const acl = await store.send(new GetObjectAclCommand({ Bucket: B, Key: "h/acl-ok" }));
      const open = (acl.Grants || []).filter((g) => /AllUsers|AuthenticatedUsers/.test(g.Grantee?.URI || ""));
      assert.deepEqual(open, []);
    } catch (e) { if (!/NotImplemented/.test(e.name) && e.$metadata?.httpStatusCode !== 501) throw e; }
  });
});

// =============================================================================================

describe("6. write-grant tokens across a multipart upload's life", () => {
  const good = () => tok({ prefix: "mp/", methods: "GET,HEAD,PUT" });
  test("an expired token uploads no part into an upload a valid token created", onlyS3("ListParts on the store"), async () => {
    const id = await gwCreateUpload("mp/exp.bin", good());
    try {
      const dead = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", extra: ["--exp", String(now() - 5)] });
      const r = await req(u("mp/exp.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${dead}`), { method: "PUT", body: "x" });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts("mp/exp.bin", id), []);
    } finally { await storeAbort("mp/exp.bin", id); }
  });
  test("an expired token completes nothing", async () => {
    const t = good();
    const id = await gwCreateUpload("mp/exp2.bin", t);
    try {
      const p = await req(u("mp/exp2.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "part" });
      assert.equal(p.status, 200, p.text);
      const dead = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", extra: ["--exp", String(now() - 5)] });
      const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${p.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>`;
      const r = await req(u("mp/exp2.bin", `?uploadId=${encodeURIComponent(id)}&token=${dead}`), { method: "POST", body: doc });
      expectRefused(r, 403, "AccessDenied");
      await assertAbsent("mp/exp2.bin", "expired complete");
    } finally { await storeAbort("mp/exp2.bin", id); }
  });
  test("a not-yet-valid token (nbf 1 h ahead) creates no upload and puts nothing", onlyS3("ListMultipartUploads on the store"), async () => {
    const t = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", extra: ["--nbf", String(now() + 3600), "--ttl", "7200"] });
    expectRefused(await req(u("mp/nbf.bin", `?uploads&token=${t}`), { method: "POST" }), 403, "AccessDenied");
    expectRefused(await req(u("mp/nbf.bin", `?token=${t}`), { method: "PUT", body: "x" }), 403, "AccessDenied");
    assert.deepEqual(await storeUploads("mp/nbf"), []);
    await assertAbsent("mp/nbf.bin", "nbf");
  });
  test("a DELETE-only token cannot abort an upload (abort needs PUT)", onlyS3("ListMultipartUploads on the store"), async () => {
    const id = await gwCreateUpload("mp/abort.bin", good());
    try {
      const d = tok({ prefix: "mp/", methods: "DELETE" });
      const r = await req(u("mp/abort.bin", `?uploadId=${encodeURIComponent(id)}&token=${d}`), { method: "DELETE" });
      expectRefused(r, 403, "AccessDenied");
      assert.ok((await storeUploads("mp/abort")).some((x) => x.id === id), "the upload was aborted");
    } finally { await storeAbort("mp/abort.bin", id); }
  });
  test("a token for another bucket uploads no part", onlyS3("ListParts on the store"), async () => {
    const id = await gwCreateUpload("mp/ob.bin", good());
    try {
      const other = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", bucket: OTHER });
      const r = await req(u("mp/ob.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${other}`), { method: "PUT", body: "x" });
      expectRefused(r, 403, "AccessDenied");
      assert.deepEqual(await storeParts("mp/ob.bin", id), []);
    } finally { await storeAbort("mp/ob.bin", id); }
  });
  test("max_bytes=100 token: UploadPartCopy of a 5,400-byte in-scope object, then complete: nothing over the limit is kept", onlyS3("UploadPartCopy"), async () => {
    const t = tok({ prefix: "", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "100"] });
    const id = await gwCreateUpload("mp/pc.bin", t);
    try {
      const r = await req(u("mp/pc.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/a/in.txt` } });
      if (r.status === 200) {
        const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${xmlField(r.text, "ETag")}</ETag></Part></CompleteMultipartUpload>`;
        const c = await req(u("mp/pc.bin", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: doc });
        assert.ok(c.status >= 400 || /<Error>/.test(c.text), `completed over the limit: ${c.status} ${c.text}`);
      } else expectRefused(r, [400, 403]);
      await assertAbsent("mp/pc.bin", "over max_bytes by part copy");
    } finally { await storeAbort("mp/pc.bin", id); }
  });
  test("max_bytes=100 token: UploadPartCopy with x-amz-copy-source-range over the limit", onlyS3("UploadPartCopy"), async () => {
    const t = tok({ prefix: "", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "100"] });
    const id = await gwCreateUpload("mp/pcr.bin", t);
    try {
      const r = await req(u("mp/pcr.bin", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/a/in.txt`, "x-amz-copy-source-range": "bytes=0-4999" } });
      if (r.status === 200) {
        const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${xmlField(r.text, "ETag")}</ETag></Part></CompleteMultipartUpload>`;
        const c = await req(u("mp/pcr.bin", `?uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "POST", body: doc });
        assert.ok(c.status >= 400 || /<Error>/.test(c.text), `completed over the limit: ${c.status} ${c.text}`);
      } else expectRefused(r, [400, 403]);
      await assertAbsent("mp/pcr.bin", "over max_bytes by ranged part copy");
    } finally { await storeAbort("mp/pcr.bin", id); }
  });
  test("image/png-only token: CreateMultipartUpload without a Content-Type", onlyS3("ListMultipartUploads on the store"), async () => {
    const t = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/png"] });
    const r = await req(u("mp/noct.bin", `?uploads&token=${t}`), { method: "POST" });
    expectRefused(r, 403, "AccessDenied");
    assert.deepEqual(await storeUploads("mp/noct"), []);
  });
  test("image/png-only token: a PUT with two Content-Type headers (image/png, text/html)", async () => {
    const t = tok({ prefix: "mp/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/png"] });
    const r = await rawHttp({ method: "PUT", path: `/${B}/mp/twoct?token=${t}`, headers: [["content-type", "image/png"], ["Content-Type", "text/html"]], body: "<script>1</script>" });
    if (r.status === 200) {
      const h = await storeHead("mp/twoct");
      assert.equal(h.ContentType, "image/png", `stored as ${h.ContentType}`);
    } else {
      expectRefused(r, [400, 403]);
      await assertAbsent("mp/twoct", "two content types");
    }
  });
});

// =============================================================================================

describe("7. tokens: keys that escape a prefix, unicode, literal encodings", () => {
  const T = () => tok({ prefix: "u/", methods: "GET,HEAD,PUT,DELETE" });
  for (const [name, rawKey] of [
    ["literal %2F..%2F (double-encoded on the wire)", "u/x%252F..%252F..%252Fprivate%252Fpayroll.csv"],
    ["literal %2e%2e segments (double-encoded)", "u/%252e%252e/%252e%252e/private/payroll.csv"],
    ["a fullwidth full stop pair", "u/%EF%BC%8E%EF%BC%8E/private/payroll.csv"],
    ["a two-dot leader (U+2025)", "u/%E2%80%A5/private/payroll.csv"],
    ["dots with a NUL", "u/..%00/private/payroll.csv"],
    ["dots with a tab", "u/.%09./private/payroll.csv"],
    ["dots with a trailing space", "u/..%20/private/payroll.csv"],
    ["overlong UTF-8 dots (%C0%AE%C0%AE)", "u/%C0%AE%C0%AE/private/payroll.csv"],
    ["a combining dot (NFD)", "u/.%CC%87./private/payroll.csv"],
  ]) {
    test(`token PUT with ${name}: nothing outside u/, payroll intact`, async () => {
      const r = await rawHttp({ method: "PUT", path: `/${B}/${rawKey}?token=${T()}`, body: "EVIL" });
      assert.ok([200, 400, 403].includes(r.status), `${r.status} ${r.text.slice(0, 200)}`);
      assertNoSecret(r);
      await assertSecretsIntact();
      await assertOnlyUnder(["u/", "ch/", "a/", "cap/", "ps/", "h/", "mp/", "sh/", "pf/", "do/", "api/"], name);
    });
  }
  test("NFC prefix token, NFD key: refused (different bytes), nothing outside the prefix", async () => {
    const t = tok({ prefix: "caf\u00e9/", methods: "GET,HEAD,PUT" });
    const r = await req(`${gw.url}/${B}/${encodeURIComponent("cafe\u0301")}/x?token=${t}`, { method: "PUT", body: "x" });
    expectRefused(r, 403, "AccessDenied");
    assert.deepEqual(await storeKeys(B, "cafe"), []);
  });
  test("a DELETE through literal %2F.. deletes nothing outside u/", async () => {
    const r = await rawHttp({ method: "DELETE", path: `/${B}/u/x%252F..%252F..%252Fprivate%252Fpayroll.csv?token=${T()}` });
    assert.ok([204, 400, 403, 404].includes(r.status), r.text);
    await assertSecretsIntact();
  });
  test("a token scoped to an exact key: PUT to the key with a trailing %00 or %2F", async () => {
    const t = tok({ key: "u/exact.txt", methods: "GET,HEAD,PUT" });
    for (const k of ["u/exact.txt%00", "u/exact.txt%2F", "u/exact.txt%2F..%2F..%2Fprivate%2Fpayroll.csv"]) {
      const r = await rawHttp({ method: "PUT", path: `/${B}/${k}?token=${t}`, body: "EVIL" });
      expectRefused(r, [400, 403], ["AccessDenied", "InvalidArgument"]);
    }
    await assertSecretsIntact();
    assert.deepEqual((await storeKeys(B, "u/exact")).filter((k) => k !== "u/exact.txt"), []);
  });
});

// =============================================================================================

describe("8. /api share and presign: minted write grants stay inside the parent", () => {
  const api = (path, t, body) => req(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  test("a child of a max_bytes=100, image/png, no-overwrite parent keeps every upload limit", async () => {
    const parent = tok({ prefix: "sh/", methods: "GET,HEAD,PUT,SHARE", extra: ["--max-bytes", "100", "--content-type", "image/png", "--no-overwrite"] });
    await storePut(B, "sh/exists.png", Buffer.from("original"), { ContentType: "image/png" });
    const r = await api("/api/share", parent, { key: "sh/child.png", ttl_seconds: 600, methods: ["PUT", "GET"] });
    assert.equal(r.status, 200, r.text);
    const child = JSON.parse(r.text).token;
    expectRefused(await req(u("sh/child.png", `?token=${child}`), { method: "PUT", body: Buffer.alloc(5000, 1), headers: { "content-type": "image/png" } }), 400, "EntityTooLarge");
    expectRefused(await req(u("sh/child.png", `?token=${child}`), { method: "PUT", body: "<svg/>", headers: { "content-type": "text/html" } }), 403, "AccessDenied");
    await assertAbsent("sh/child.png", "child limits");
    const r2 = await api("/api/share", parent, { key: "sh/exists.png", ttl_seconds: 600, methods: ["PUT"] });
    assert.equal(r2.status, 200, r2.text);
    const c2 = JSON.parse(r2.text).token;
    const w = await req(u("sh/exists.png", `?token=${c2}`), { method: "PUT", body: "new", headers: { "content-type": "image/png" } });
    expectRefused(w, [409, 412], ["PreconditionFailed", "ConditionalRequestConflict"]);
    assert.equal((await storeGet(B, "sh/exists.png")).toString(), "original");
  });
  test("a child of a GET,SHARE parent cannot PUT (methods as a comma string)", async () => {
    const parent = tok({ prefix: "sh/", methods: "GET,SHARE" });
    const r = await api("/api/share", parent, { key: "sh/nope.txt", ttl_seconds: 600, methods: "PUT" });
    if (r.status === 200) {
      const child = JSON.parse(r.text).token;
      expectRefused(await req(u("sh/nope.txt", `?token=${child}`), { method: "PUT", body: "x" }), 403, "AccessDenied");
    } else expectRefused(r, [400, 403]);
    await assertAbsent("sh/nope.txt", "child put");
  });
  test("a child for a literal-%2F key under the parent's prefix writes only that literal key", async () => {
    const parent = tok({ prefix: "sh/", methods: "GET,HEAD,PUT,SHARE" });
    const r = await api("/api/share", parent, { key: "sh/x%2F..%2F..%2Fprivate%2Fpayroll.csv", ttl_seconds: 600, methods: ["PUT"] });
    if (r.status === 200) {
      const child = JSON.parse(r.text).token;
      for (const p of [`/${B}/sh/x%252F..%252F..%252Fprivate%252Fpayroll.csv`, `/${B}/sh/x%2F..%2F..%2Fprivate%2Fpayroll.csv`, `/${B}/private/payroll.csv`]) {
        const w = await rawHttp({ method: "PUT", path: `${p}?token=${child}`, body: "EVIL" });
        assert.ok([200, 400, 403].includes(w.status), w.text);
      }
    } else expectRefused(r, [400, 403]);
    await assertSecretsIntact();
    await assertOnlyUnder(["u/", "ch/", "a/", "cap/", "ps/", "h/", "mp/", "sh/", "pf/", "do/", "api/"], "child literal");
  });
  test("dot-segment keys under the prefix, and keys outside it, mint no child token", async () => {
    const parent = tok({ prefix: "sh/", methods: "GET,HEAD,PUT,DELETE,SHARE" });
    for (const key of ["private/payroll.csv", "", "sh", "/sh/x", "Sh/x"]) {
      const r = await api("/api/share", parent, { key, ttl_seconds: 600, methods: ["PUT"] });
      expectRefused(r, [400, 403]);
      assert.ok(!/"token"/.test(r.text), key);
    }
    // dot-segment keys mint nothing (no token could reach them anyway)
    for (const key of ["sh/..", "sh/.", "sh\\..\\private", "sh/%2E%2E", "sh/../private/payroll.csv"]) {
      const r = await api("/api/share", parent, { key, ttl_seconds: 600, methods: ["PUT", "DELETE"] });
      expectRefused(r, 400);
      assert.ok(!/"token"/.test(r.text), key);
    }
    await assertSecretsIntact();
    await assertOnlyUnder(["u/", "ch/", "a/", "cap/", "ps/", "h/", "mp/", "sh/", "pf/", "do/", "api/"], "dot children");
  });
  test("/api/presign PUT: the URL binds type and length at the store (a different type or length is refused by the store)", onlyS3("presigned uploads to the store"), async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT" });
    const r = await api("/api/presign", t, { key: "api/p.txt", content_type: "text/plain", size: 5, method: "PUT" });
    assert.equal(r.status, 200, r.text);
    const { url, headers } = JSON.parse(r.text);
    const bad = await fetch(url, { method: "PUT", headers: { ...headers, "content-type": "text/html" }, body: "<b>x" + "" });
    assert.ok(bad.status >= 400, `store took another type: ${bad.status}`);
    const keysAfter = await storeKeys(B, "api/");
    assert.ok(!keysAfter.includes("api/p.txt") || (await storeHead("api/p.txt")).ContentType === "text/plain", "stored as another type");
  });
  test("/api/presign POST form sent to the store with another key", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT,POST" });
    const r = await api("/api/presign", t, { key: "api/form.txt", content_type: "text/plain", size: 5, method: "POST" });
    if (r.status !== 200) return void expectRefused(r, [400, 403, 501]);
    const { url, fields } = JSON.parse(r.text);
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, k === "key" ? "private/payroll.csv" : v);
    fd.append("file", new Blob(["EVIL!"], { type: "text/plain" }), "f.txt");
    const s = await fetch(url, { method: "POST", body: fd });
    assert.ok(s.status >= 400, `the store took the form for another key: ${s.status}`);
    await assertSecretsIntact();
  });
  test("/api/presign with a size over the token's max_bytes", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "10"] });
    for (const method of ["PUT", "POST"]) {
      const r = await api("/api/presign", t, { key: "api/big.txt", content_type: "text/plain", size: 5000, method });
      expectRefused(r, [400, 403]);
      assert.ok(!/"url"/.test(r.text));
    }
  });
  test("/api/presign with a negative / fractional / huge size", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT" });
    for (const size of [-1, 1.5, 1e300, "5", null]) {
      const r = await api("/api/presign", t, { key: "api/sz.txt", content_type: "text/plain", size, method: "PUT" });
      if (r.status === 200) {
        const { headers } = JSON.parse(r.text);
        const len = Number(Object.entries(headers).find(([k]) => k.toLowerCase() === "content-length")?.[1]);
        assert.ok(Number.isInteger(len) && len >= 0 && len <= MAX_UPLOAD, `signed length ${len} for size ${size}`);
      } else expectRefused(r, [400, 403, 411]);
    }
  });
});

// =============================================================================================

describe("9. POST Object forms to the gateway", () => {
  /** A SigV4 POST policy signed with the gateway's access key. */
  function form(conditions, fields) {
    const { amz, day } = amzNow();
    const cred = `${GW_KEY}/${day}/us-east-1/s3/aws4_request`;
    const policy = Buffer.from(JSON.stringify({
      expiration: new Date(Date.now() + 600_000).toISOString(),
      conditions: [{ bucket: B }, ...conditions, { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": cred }, { "x-amz-date": amz }],
    })).toString("base64");
    const sig = hmac(signingKey(day), policy).toString("hex");
    return { ...fields, "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred, "x-amz-date": amz, policy, "x-amz-signature": sig };
  }
  async function post(pairs, files = [["file", "hello", "f.txt"]], after = []) {
    const fd = new FormData();
    for (const [k, v] of pairs) fd.append(k, v);
    for (const [n, body, filename] of files) fd.append(n, new Blob([body], { type: "text/plain" }), filename);
    for (const [k, v] of after) fd.append(k, v);
    const r = await fetch(`${gw.url}/${B}`, { method: "POST", body: fd, redirect: "manual" });
    const text = await r.text();
    return { status: r.status, text, body: Buffer.from(text), code: errorCode(text) };
  }
  test("sanity: a signed form under pf/ writes", async () => {
    const f = form([["starts-with", "$key", "pf/"]], { key: "pf/ok.txt" });
    const r = await post(Object.entries(f));
    assert.equal(r.status, 204, r.text);
    assert.equal((await storeGet(B, "pf/ok.txt")).toString(), "hello");
  });
  for (const filename of ["../../private/payroll.csv", "..\\..\\private\\payroll.csv", "x/../../../private/payroll.csv", "%2e%2e/%2e%2e/private/payroll.csv", "./payroll.csv"]) {
    test(`\${filename} = ${JSON.stringify(filename)} with key pf/\${filename}`, async () => {
      const f = form([["starts-with", "$key", "pf/"]], { key: "pf/${filename}" });
      const r = await post(Object.entries(f), [["file", "EVIL", filename]]);
      assert.ok([200, 201, 204, 400, 403].includes(r.status), r.text);
      assertNoSecret(r);
      await assertSecretsIntact();
      await assertOnlyUnder(["u/", "ch/", "a/", "cap/", "ps/", "h/", "mp/", "sh/", "pf/", "do/", "api/"], filename);
      for (const k of await storeKeys(B, "pf/")) assert.ok(!/(^|[\/\\])\.\.?([\/\\]|$)/.test(k) && !/%2e%2e/i.test(k) || !/\.\./.test(k), `dot segment stored: ${k}`);
    });
  }
  test("the key field twice (in the policy's prefix, then the private key)", async () => {
    const f = form([["starts-with", "$key", "pf/"]], {});
    const r = await post([...Object.entries(f), ["key", "pf/first.txt"], ["key", "private/payroll.csv"]]);
    expectRefused(r, 400, "InvalidArgument");
    await assertAbsent("pf/first.txt", "key twice");
    await assertSecretsIntact();
  });
  test("the key field twice (private first, then in the prefix)", async () => {
    const f = form([["starts-with", "$key", "pf/"]], {});
    const r = await post([["key", "private/payroll.csv"], ...Object.entries(f), ["key", "pf/second.txt"]]);
    expectRefused(r, 400, "InvalidArgument");
    await assertAbsent("pf/second.txt", "key twice");
    await assertSecretsIntact();
  });
  test("key and Key (case variants) naming different keys", async () => {
    const f = form([["starts-with", "$key", "pf/"]], { key: "pf/lower.txt" });
    const r = await post([...Object.entries(f), ["Key", "private/payroll.csv"]]);
    expectRefused(r, 400, "InvalidArgument");
    await assertAbsent("pf/lower.txt", "key and Key");
    await assertSecretsIntact();
  });
  test("a key field after the file (S3 ignores fields after the file)", async () => {
    const f = form([["starts-with", "$key", "pf/"]], { key: "pf/before.txt" });
    const r = await post(Object.entries(f), [["file", "EVIL", "f.txt"]], [["key", "private/payroll.csv"]]);
    assert.ok(r.status >= 400 || r.status === 204, r.text);
    await assertSecretsIntact();
  });
  test("two file parts: the second over content-length-range", async () => {
    const f = form([["starts-with", "$key", "pf/"], ["content-length-range", 1, 10]], { key: "pf/twofiles.txt" });
    const r = await post(Object.entries(f), [["file", "small", "a.txt"], ["file", "X".repeat(5000), "b.txt"]]);
    if (await storeHas(B, "pf/twofiles.txt")) assert.ok((await storeGet(B, "pf/twofiles.txt")).length <= 10, "a file over content-length-range was stored");
    assert.ok([204, 400].includes(r.status), r.text);
  });
  /** A form asking for an ACL: refused, or (the field dropped) stored private in the store. */
  async function assertFormObjectPrivate(r, key) {
    if (r.status !== 204) return void (expectRefused(r, 403, "AccessDenied"), await assertAbsent(key, "form acl"));
    const acl = await store.send(new GetObjectAclCommand({ Bucket: B, Key: key }));
    const open = (acl.Grants || []).filter((g) => /AllUsers|AuthenticatedUsers/.test(g.Grantee?.URI || "") || (g.Grantee?.ID && g.Grantee.ID !== acl.Owner?.ID && g.Grantee.ID !== "bagroom"));
    assert.deepEqual(open, [], `${key}: the form's ACL reached the store`);
    const anon = await fetch(`${STORE_URL}/${B}/${key}`);
    assert.equal(anon.status, 403, `${key}: readable anonymously on the store`);
  }
  test("a policy-covered x-amz-acl: public-read field is refused (403), nothing stored", async () => {
    const f = form([["starts-with", "$key", "pf/"], { "x-amz-acl": "public-read" }], { key: "pf/acl.txt", "x-amz-acl": "public-read" });
    const r = await post(Object.entries(f));
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("pf/acl.txt", "form acl");
  });
  test("a policy-covered x-amz-grant-read field is refused (403), nothing stored", async () => {
    const g = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
    const f = form([["starts-with", "$key", "pf/"], { "x-amz-grant-read": g }], { key: "pf/grant.txt", "x-amz-grant-read": g });
    const r = await post(Object.entries(f));
    expectRefused(r, 403, "AccessDenied");
    await assertAbsent("pf/grant.txt", "form grant");
  });
  test("a policy-covered acl: private field stores the object private", onlyS3("object ACLs"), async () => {
    const f = form([["starts-with", "$key", "pf/"], { acl: "private" }], { key: "pf/acl-private.txt", acl: "private" });
    const r = await post(Object.entries(f));
    assert.equal(r.status, 204, r.text);
    await assertFormObjectPrivate(r, "pf/acl-private.txt");
  });
  // A policy binds one value per field; a second copy of a field (in any case) used to pass the
  // check with its first value and reach the store with its last.
  for (const [what, conds, pairs] of [
    ["Content-Type twice (image/png, then text/html)", [{ "Content-Type": "image/png" }], [["Content-Type", "image/png"], ["Content-Type", "text/html"]]],
    ["Content-Type, then content-type (case variant)", [{ "Content-Type": "image/png" }], [["Content-Type", "image/png"], ["content-type", "text/html"]]],
    ["x-amz-meta-owner twice (alice, then mallory)", [{ "x-amz-meta-owner": "alice" }], [["x-amz-meta-owner", "alice"], ["x-amz-meta-owner", "mallory"]]],
    ["Content-Disposition attachment (starts-with), then inline", [["starts-with", "$Content-Disposition", "attachment"]], [["Content-Disposition", "attachment"], ["Content-Disposition", "inline"]]],
  ]) {
    test(`a policy-covered field sent twice is refused: ${what}`, async () => {
      const key = `pf/dup-${what.replace(/[^a-z]/gi, "").slice(0, 24)}.png`;
      const f = form([{ key }, ...conds], { key });
      const r = await post([...Object.entries(f), ...pairs]);
      expectRefused(r, 400, "InvalidArgument");
      assert.match(r.text, /more than once/);
      await assertAbsent(key, what);
    });
  }
  test("sanity: the same policy-covered fields, each once, are stored as the policy says", async () => {
    const key = "pf/dup-sanity.png";
    const f = form([{ key }, { "Content-Type": "image/png" }, { "x-amz-meta-owner": "alice" }], { key, "Content-Type": "image/png", "x-amz-meta-owner": "alice" });
    const r = await post(Object.entries(f));
    assert.equal(r.status, 204, r.text);
    assert.equal((await storeGet(B, key)).toString(), "hello");
    if (BACKEND_IS_S3) {
      const h = await store.send(new HeadObjectCommand({ Bucket: B, Key: key }));
      assert.equal(h.ContentType, "image/png");
      assert.equal(h.Metadata.owner, "alice");
    }
  });
  test("a form whose key has a . segment is refused", async () => {
    const f = form([["starts-with", "$key", "pf/"]], { key: "pf/./../private/payroll.csv" });
    const r = await post(Object.entries(f));
    expectRefused(r, [400, 403]);
    await assertSecretsIntact();
  });
  test("a form policy for another bucket", async () => {
    const { amz, day } = amzNow();
    const cred = `${GW_KEY}/${day}/us-east-1/s3/aws4_request`;
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket: OTHER }, ["starts-with", "$key", ""], { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": cred }, { "x-amz-date": amz }] })).toString("base64");
    const sig = hmac(signingKey(day), policy).toString("hex");
    const r = await post(Object.entries({ key: "pf/otherbucket.txt", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred, "x-amz-date": amz, policy, "x-amz-signature": sig }));
    expectRefused(r, 403);
    await assertAbsent("pf/otherbucket.txt", "other bucket policy");
  });
  test("a form with a policy signed under the store's credentials (not a gateway key)", async () => {
    const { amz, day } = amzNow();
    const cred = `${STORE_KEY}/${day}/us-east-1/s3/aws4_request`;
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket: B }, ["starts-with", "$key", ""], { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": cred }, { "x-amz-date": amz }] })).toString("base64");
    const sig = hmac(signingKey(day, STORE_SECRET), policy).toString("hex");
    const r = await post(Object.entries({ key: "pf/storecred.txt", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred, "x-amz-date": amz, policy, "x-amz-signature": sig }));
    expectRefused(r, 403);
    await assertAbsent("pf/storecred.txt", "store credential form");
  });
});

// =============================================================================================

describe("10. DeleteObjects: each key in the body", () => {
  const T = () => tok({ prefix: "do/", methods: "GET,HEAD,DELETE" });
  const del = (xml, t = T()) => req(`${gw.url}/${B}?delete&token=${t}`, { method: "POST", body: xml, headers: { "content-md5": createHash("md5").update(xml).digest("base64") } });
  before(async () => { await storePut(B, "do/mine.txt", Buffer.from("mine")); });
  for (const [name, objects] of [
    ["two Key elements in one Object (in scope, then private)", "<Object><Key>do/mine.txt</Key><Key>private/payroll.csv</Key></Object>"],
    ["two Key elements in one Object (private, then in scope)", "<Object><Key>private/payroll.csv</Key><Key>do/mine.txt</Key></Object>"],
    ["numeric-entity dots (do/&#46;&#46;/private)", "<Object><Key>do/&#46;&#46;/private/payroll.csv</Key></Object>"],
    ["hex-entity slash (do&#x2F;..&#x2F;private)", "<Object><Key>do&#x2F;..&#x2F;private&#x2F;payroll.csv</Key></Object>"],
    ["a leading slash (/private/payroll.csv)", "<Object><Key>/private/payroll.csv</Key></Object>"],
    ["a namespace prefix on Key (s3:Key)", '<Object><s3:Key xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">private/payroll.csv</s3:Key></Object>'],
    ["a Key inside a comment beside an in-scope key", "<Object><!--<Key>private/payroll.csv</Key>--><Key>do/mine.txt</Key></Object>"],
    ["whitespace around the key", "<Object><Key>  private/payroll.csv  </Key></Object>"],
    ["a Key with an attribute", '<Object><Key a="1">private/payroll.csv</Key></Object>'],
    ["a VersionId element holding a path", "<Object><Key>do/mine.txt</Key><VersionId>../../private/payroll.csv</VersionId></Object>"],
    ["a percent-encoded key (do%2F..%2Fprivate)", "<Object><Key>do%2F..%2Fprivate%2Fpayroll.csv</Key></Object>"],
  ]) {
    test(`DeleteObjects with ${name}`, async () => {
      await storePut(B, "do/mine.txt", Buffer.from("mine"));
      const r = await del(`<?xml version="1.0" encoding="UTF-8"?><Delete>${objects}</Delete>`);
      assertNoSecret(r);
      assert.ok([200, 400, 403].includes(r.status), `${r.status} ${r.text.slice(0, 300)}`);
      assert.ok(!/<Deleted><Key>\/?\s*private\/payroll.csv/.test(r.text), r.text);
      await assertSecretsIntact();
    });
  }
  test("DeleteObjects with EncodingType=url naming a %-encoded out-of-scope key", async () => {
    const r = await del("<Delete><EncodingType>url</EncodingType><Object><Key>private%2Fpayroll.csv</Key></Object></Delete>");
    assertNoSecret(r);
    await assertSecretsIntact();
  });
  test("DeleteObjects by a PUT-only token on its own prefix is refused", async () => {
    const t = tok({ prefix: "do/", methods: "GET,HEAD,PUT" });
    const r = await del("<Delete><Object><Key>do/mine.txt</Key></Object></Delete>", t);
    assert.ok(r.status === 403 || (r.status === 200 && !/<Deleted>/.test(r.text)), r.text);
    assert.ok(await storeHas(B, "do/mine.txt"), "deleted by a token without DELETE");
  });
  test("DeleteObjects by an expired DELETE token", async () => {
    const t = tok({ prefix: "do/", methods: "DELETE", extra: ["--exp", String(now() - 5)] });
    const r = await del("<Delete><Object><Key>do/mine.txt</Key></Object></Delete>", t);
    expectRefused(r, 403, "AccessDenied");
    assert.ok(await storeHas(B, "do/mine.txt"));
  });
});

// =============================================================================================

describe("11. more: unsigned or doubled headers, overwrites that fail a check, no-overwrite and Uppy routes", () => {
  // CopyObject carries the client's If-Match / If-None-Match to the store: a no-overwrite token
  // must still never overwrite, whatever condition it sends (the gateway's If-None-Match: * wins)
  test("no-overwrite token: CopyObject onto an existing key with any If-Match / If-None-Match leaves it as it was", async () => {
    const src = (await storePut(B, "nx/cp-src.txt", Buffer.from("NEW"))).ETag;
    const dst = (await storePut(B, "nx/cp-dst.txt", Buffer.from("ORIGINAL"))).ETag;
    const t = tok({ prefix: "nx/", methods: "GET,HEAD,PUT", extra: ["--no-overwrite"] });
    for (const cond of [{}, { "if-match": dst }, { "if-match": "*" }, { "if-none-match": src }, { "if-none-match": "\"nothing\"" }, { "if-match": dst, "if-none-match": "\"x\"" }]) {
      const r = await req(u("nx/cp-dst.txt", `?token=${t}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/nx/cp-src.txt`, ...cond } });
      expectRefused(r, [403, 412]);
      await assertUnchanged("nx/cp-dst.txt", "ORIGINAL", `copy with ${JSON.stringify(cond)}`);
    }
  });
  test("GET ?partNumber= under a token reads only the token's key", async () => {
    await storePut(B, "nx/part-secret.txt", Buffer.from("SECRET PART"));
    const t = tok({ key: "nx/part-mine.txt", methods: "GET,HEAD" });
    for (const q of ["?partNumber=1", "?partNumber=1&versionId=null"]) {
      const r = await req(u("nx/part-secret.txt", `${q}&token=${t}`));
      expectRefused(r, 403);
      assert.ok(!r.text.includes("SECRET"), r.text);
    }
  });
  test("a presigned SigV4 PUT URL + an unsigned x-amz-meta header: refused or not stored", async () => {
    const url = presignV4("PUT", `/${B}/ps/v4meta.txt`);
    const r = await req(url, { method: "PUT", body: Buffer.from("x"), headers: { "x-amz-meta-evil": "1" } });
    if (r.status === 200) {
      const h = await storeHead("ps/v4meta.txt");
      assert.ok(!h.Metadata?.evil, "an unsigned x-amz-meta on a presigned URL reached the store");
    } else {
      expectRefused(r, 403);
      await assertAbsent("ps/v4meta.txt", "v4 presigned meta");
    }
  });
  test("header-signed SigV4: a signed x-amz-meta header sent twice with another value", async () => {
    const s = signV4("PUT", `/${B}/ps/dupmeta.txt`, { payload: "UNSIGNED-PAYLOAD", extra: { "x-amz-meta-role": "user" } });
    const r = await rawHttp({ method: "PUT", path: `/${B}/ps/dupmeta.txt`, headers: [...Object.entries(s.headers), ["X-Amz-Meta-Role", "admin"]], body: "x" });
    if (r.status === 200) {
      const h = await storeHead("ps/dupmeta.txt");
      assert.equal(h.Metadata?.role, "user", `stored meta ${JSON.stringify(h.Metadata)}`);
    } else {
      expectRefused(r, 403, "SignatureDoesNotMatch");
      await assertAbsent("ps/dupmeta.txt", "dup meta");
    }
  });
  test("header-signed SigV4: a signed Content-Type sent twice (image/png, text/html)", async () => {
    const s = signV4("PUT", `/${B}/ps/dupct.txt`, { payload: "UNSIGNED-PAYLOAD", extra: { "content-type": "image/png" } });
    const r = await rawHttp({ method: "PUT", path: `/${B}/ps/dupct.txt`, headers: [...Object.entries(s.headers), ["Content-Type", "text/html"]], body: "<script>1</script>" });
    if (r.status === 200) {
      const h = await storeHead("ps/dupct.txt");
      assert.equal(h.ContentType, "image/png", `stored as ${h.ContentType}`);
    } else {
      expectRefused(r, [400, 403]);
      await assertAbsent("ps/dupct.txt", "dup ct");
    }
  });
  test("header-signed SigV4: a signed x-amz-copy-source (in the gateway's bucket) naming the private key, by a token-less caller with a forged key id", async () => {
    const s = signV4("PUT", `/${B}/ps/forged-copy`, { extra: { "x-amz-copy-source": `/${B}/private/payroll.csv` } });
    const headers = { ...s.headers, authorization: s.headers.authorization.replace(GW_KEY, "AKIAFORGED0000000000") };
    const r = await req(s.url, { method: "PUT", headers });
    expectRefused(r, 403);
    await assertAbsent("ps/forged-copy", "forged key id copy");
  });
  test("token aws-chunked trailer overwrite with a wrong CRC32: the old object stays", async () => {
    const t = tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
    const data = Buffer.from("replacement bytes");
    const body = Buffer.from(`${data.length.toString(16)}\r\n${data}\r\n0\r\nx-amz-checksum-crc32:${crc32b64(Buffer.from("nope"))}\r\n\r\n`);
    const r = await req(u("a/keep.txt", `?token=${t}`), { method: "PUT", body, headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": String(data.length), "x-amz-trailer": "x-amz-checksum-crc32" } });
    expectRefused(r, 400, ["BadDigest", "InvalidRequest"]);
    await assertUnchanged("a/keep.txt", KEEP, "trailer overwrite");
  });
  test("token aws-chunked trailer overwrite whose trailer never arrives: the old object stays", async () => {
    const t = tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
    const data = Buffer.from("replacement bytes");
    const body = Buffer.from(`${data.length.toString(16)}\r\n${data}\r\n`);
    const r = await req(u("a/keep.txt", `?token=${t}`), { method: "PUT", body, headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": String(data.length), "x-amz-trailer": "x-amz-checksum-crc32" } });
    expectRefused(r, 400);
    await assertUnchanged("a/keep.txt", KEEP, "trailer missing");
  });
  test("token plain PUT overwrite with a wrong x-amz-checksum-sha256: the old object stays", async () => {
    const t = tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
    const r = await req(u("a/keep.txt", `?token=${t}`), { method: "PUT", body: Buffer.from("replacement"), headers: { "x-amz-checksum-sha256": createHash("sha256").update("other").digest("base64") } });
    expectRefused(r, 400);
    await assertUnchanged("a/keep.txt", KEEP, "checksum overwrite");
  });
  test("no-overwrite token: /api/presign method POST for an existing key gives no form that overwrites", async () => {
    const t = tok({ prefix: "nx/", methods: "GET,HEAD,PUT,POST", extra: ["--no-overwrite"] });
    await storePut(B, "nx/exists.txt", KEEP);
    const r = await req(`${gw.url}/api/presign`, { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ key: "nx/exists.txt", content_type: "text/plain", size: 4, method: "POST" }) });
    if (r.status === 200) {
      const j = JSON.parse(r.text);
      if (j.method === "POST") {
        const fd = new FormData();
        for (const [k, v] of Object.entries(j.fields)) fd.append(k, v);
        fd.append("file", new Blob(["EVIL"], { type: "text/plain" }), "f.txt");
        await fetch(j.url, { method: "POST", body: fd });
      } else {
        await fetch(j.url, { method: "PUT", headers: j.headers, body: "EVIL" });
      }
    } else expectRefused(r, [400, 403, 409, 412]);
    assert.ok((await storeGet(B, "nx/exists.txt")).equals(KEEP), "a no-overwrite token overwrote through /api/presign");
  });
  test("no-overwrite token: Uppy multipart completed onto an existing key", async () => {
    const t = tok({ prefix: "nx/", methods: "GET,HEAD,PUT,POST", extra: ["--no-overwrite"] });
    await storePut(B, "nx/upexists.txt", KEEP);
    // Uppy picks the key from the filename: start the upload on the existing key through the S3 API
    const id = await gwCreateUpload("nx/upexists.txt", t);
    try {
      const p = await req(u("nx/upexists.txt", `?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`), { method: "PUT", body: "EVIL" });
      assert.equal(p.status, 200, p.text);
      const c = await req(`${gw.url}/s3/multipart/${encodeURIComponent(id)}/complete?key=${encodeURIComponent("nx/upexists.txt")}`, { method: "POST", headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body: JSON.stringify({ parts: [{ PartNumber: 1, ETag: p.headers.get("etag") }] }) });
      assert.ok(c.status >= 400, `completed over an existing key: ${c.status} ${c.text}`);
      assert.ok((await storeGet(B, "nx/upexists.txt")).equals(KEEP), "overwritten");
    } finally { await storeAbort("nx/upexists.txt", id); }
  });
  test("Uppy: signing a part URL and completing for a key outside the token's prefix", onlyS3("the store's S3 API"), async () => {
    const t = tok({ prefix: "up/", methods: "GET,HEAD,PUT,POST" });
    const ak = await python(`
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${STORE_URL}", region_name="us-east-1", aws_access_key_id="${STORE_KEY}", aws_secret_access_key="${STORE_SECRET}", config=Config(s3={"addressing_style": "path"}))
print(s3.create_multipart_upload(Bucket="${B}", Key="private/payroll.csv")["UploadId"])
`);
    const id = ak.trim();
    try {
      const auth = { authorization: `Bearer ${t}` };
      for (const path of [`/s3/multipart/${encodeURIComponent(id)}/1?key=private%2Fpayroll.csv`, `/s3/multipart/${encodeURIComponent(id)}/1?key=private%2Fpayroll.csv&size=4`, `/s3/multipart/${encodeURIComponent(id)}/batch?key=private%2Fpayroll.csv&partNumbers=1`, `/s3/multipart/${encodeURIComponent(id)}?key=private%2Fpayroll.csv`, `/s3/multipart/${encodeURIComponent(id)}/1?key=up%2F..%2Fprivate%2Fpayroll.csv`]) {
        const r = await req(`${gw.url}${path}`, { headers: auth });
        expectRefused(r, [400, 403]);
        assert.ok(!/"url"|presignedUrls|PartNumber/.test(r.text), `${path}: ${r.text}`);
      }
      const c = await req(`${gw.url}/s3/multipart/${encodeURIComponent(id)}/complete?key=private%2Fpayroll.csv`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ parts: [] }) });
      expectRefused(c, [400, 403]);
      const d = await req(`${gw.url}/s3/multipart/${encodeURIComponent(id)}?key=private%2Fpayroll.csv`, { method: "DELETE", headers: auth });
      expectRefused(d, [400, 403]);
      assert.ok((await storeUploads("private/")).some((x) => x.id === id), "the out-of-scope upload was aborted");
      await assertSecretsIntact();
    } finally { await storeAbort("private/payroll.csv", id); }
  });
  test("a form policy with no condition on the key", async () => {
    const { amz, day } = amzNow();
    const cred = `${GW_KEY}/${day}/us-east-1/s3/aws4_request`;
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket: B }, { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": cred }, { "x-amz-date": amz }] })).toString("base64");
    const sig = hmac(signingKey(day), policy).toString("hex");
    const fd = new FormData();
    for (const [k, v] of Object.entries({ key: "private/payroll.csv", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred, "x-amz-date": amz, policy, "x-amz-signature": sig })) fd.append(k, v);
    fd.append("file", new Blob(["EVIL"]), "f.txt");
    const r = await fetch(`${gw.url}/${B}`, { method: "POST", body: fd });
    assert.equal(r.status, 403, await r.text());
    await assertSecretsIntact();
  });
});

// =============================================================================================

describe("12. bodies cut short or framed twice on the wire", () => {
  /** Send the head and `sendBytes` of the body, then drop the connection (or half-close it). */
  function cutShort(path, headers, body, sendBytes, { halfClose = false } = {}) {
    const url = new URL(gw.url);
    return new Promise((resolve) => {
      const s = net.connect(Number(url.port), url.hostname);
      const got = [];
      // an answer ends the exchange (the gateway keeps the connection open after it)
      s.on("data", (c) => { got.push(c); if (Buffer.concat(got).includes("\r\n\r\n")) setTimeout(() => s.destroy(), 50); });
      s.on("error", () => {});
      s.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
      const head = [`PUT ${path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n") + "\r\n\r\n";
      s.write(head);
      s.write(body.subarray(0, sendBytes), () => {
        // no answer in time (a loaded machine is slow): give up on the exchange after 15 s
        setTimeout(() => { if (halfClose) s.end(); else s.destroy(); setTimeout(() => { s.destroy(); }, 15000); }, 300);
      });
    });
  }
  const T = () => tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
  test("sanity: the same socket sender delivering the whole body stores it", async () => {
    const body = Buffer.alloc(200_000, 0x40);
    await cutShort(`/${B}/a/cut-sanity.bin?token=${T()}`, { "content-length": body.length }, body, body.length, { halfClose: true });
    for (let i = 0; i < 100 && !(await storeHas(B, "a/cut-sanity.bin")); i++) await sleep(100);
    await assertUnchanged("a/cut-sanity.bin", body, "sanity");
  });
  test("token plain PUT overwrite: Content-Length 200,000, 100,000 bytes sent, connection dropped: the old object stays", async () => {
    const body = Buffer.alloc(200_000, 0x41);
    await cutShort(`/${B}/a/keep.txt?token=${T()}`, { "content-length": body.length }, body, 100_000);
    await sleep(1500);
    await assertUnchanged("a/keep.txt", KEEP, "cut plain body");
  });
  test("token plain PUT overwrite: body half-closed short of its Content-Length: the old object stays", async () => {
    const body = Buffer.alloc(200_000, 0x42);
    await cutShort(`/${B}/a/keep.txt?token=${T()}`, { "content-length": body.length }, body, 150_000, { halfClose: true });
    await sleep(1500);
    await assertUnchanged("a/keep.txt", KEEP, "half-closed plain body");
  });
  test("new key: a plain PUT cut short leaves no object", async () => {
    const body = Buffer.alloc(300_000, 0x43);
    await cutShort(`/${B}/a/cut-new.bin?token=${T()}`, { "content-length": body.length }, body, 299_999);
    await sleep(1500);
    await assertAbsent("a/cut-new.bin", "cut new body");
  });
  test("signed-hash PUT cut short one byte before the end: the old object stays", async () => {
    const body = Buffer.alloc(100_000, 0x44);
    const s = signV4("PUT", `/${B}/a/keep.txt`, { payload: sha256(body) });
    await cutShort(`/${B}/a/keep.txt`, { ...s.headers, "content-length": body.length }, body, body.length - 1);
    await sleep(1500);
    await assertUnchanged("a/keep.txt", KEEP, "cut signed body");
  });
  test("aws-chunked (unsigned trailer) PUT cut inside its final chunk line: the old object stays", async () => {
    const data = Buffer.alloc(50_000, 0x45);
    const body = Buffer.from(`${data.length.toString(16)}\r\n${data.toString("latin1")}\r\n0\r\nx-amz-checksum-crc32:${crc32b64(data)}\r\n\r\n`, "latin1");
    await cutShort(`/${B}/a/keep.txt?token=${T()}`, { "content-length": body.length, "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": data.length, "x-amz-trailer": "x-amz-checksum-crc32" }, body, data.length + 12);
    await sleep(1500);
    await assertUnchanged("a/keep.txt", KEEP, "cut chunked body");
  });
  test("signed aws-chunked PUT whose connection drops before the final chunk: the old object stays", async () => {
    const chunks = [Buffer.alloc(20_000, 0x46), Buffer.alloc(20_000, 0x47)];
    const s = signedChunked("PUT", `/${B}/a/keep.txt`, chunks);
    const finalAt = s.body.length - (s.body.toString("latin1").lastIndexOf("0;chunk-signature=") === -1 ? 0 : s.body.length - s.body.toString("latin1").lastIndexOf("0;chunk-signature="));
    await cutShort(`/${B}/a/keep.txt`, { ...s.headers, "content-length": s.body.length }, s.body, finalAt);
    await sleep(1500);
    await assertUnchanged("a/keep.txt", KEEP, "cut signed chunked body");
  });
  test("Transfer-Encoding: chunked and Content-Length together, max_bytes=100 token: nothing over the limit is stored", async () => {
    const t = tok({ prefix: "a/", methods: "GET,HEAD,PUT", extra: ["--max-bytes", "100"] });
    const url = new URL(gw.url);
    const data = "Z".repeat(5000);
    const raw = `PUT /${B}/a/tecl.bin?token=${t} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${data.length.toString(16)}\r\n${data}\r\n0\r\n\r\n`;
    const answer = await new Promise((resolve) => {
      const s = net.connect(Number(url.port), url.hostname);
      const got = [];
      // an answer ends the exchange (the gateway keeps the connection open after it)
      s.on("data", (c) => { got.push(c); if (Buffer.concat(got).includes("\r\n\r\n")) setTimeout(() => s.destroy(), 50); });
      s.on("error", () => {});
      s.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
      s.write(raw);
      setTimeout(() => s.destroy(), 4000);
    });
    await sleep(500);
    if (await storeHas(B, "a/tecl.bin")) assert.ok((await storeGet(B, "a/tecl.bin")).length <= 100, `stored over max_bytes; answer ${answer.slice(0, 200)}`);
  });
  test("a UploadPart cut short leaves no part", onlyS3("ListParts on the store"), async () => {
    const t = T();
    const id = await gwCreateUpload("a/cutpart.bin", t);
    try {
      const body = Buffer.alloc(200_000, 0x48);
      await cutShort(`/${B}/a/cutpart.bin?partNumber=1&uploadId=${encodeURIComponent(id)}&token=${t}`, { "content-length": body.length }, body, 150_000);
      await sleep(1500);
      const parts = await storeParts("a/cutpart.bin", id);
      for (const p of parts) assert.equal(p.size, body.length, `a short part of ${p.size} bytes was kept`);
    } finally { await storeAbort("a/cutpart.bin", id); }
  });
});

// =============================================================================================

describe("13. empty payloads and buckets", () => {
  test("signed aws-chunked overwrite with no data and a forged final chunk signature: the old object stays", async () => {
    const s = signedChunked("PUT", `/${B}/a/keep.txt`, [], { tamper: (j, sig) => flipHex(sig) });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertUnchanged("a/keep.txt", KEEP, "empty forged chunked");
  });
  test("signed aws-chunked trailer overwrite with no data and a wrong CRC32: the old object stays", async () => {
    const s = signedChunked("PUT", `/${B}/a/keep.txt`, [], { trailer: { name: "x-amz-checksum-crc32", value: crc32b64(Buffer.from("x")) } });
    const r = await req(s.url, { method: "PUT", headers: s.headers, body: s.body });
    expectRefused(r, [400, 403]);
    await assertUnchanged("a/keep.txt", KEEP, "empty wrong crc");
  });
  test("token unsigned-trailer overwrite with no data and no final chunk: the old object stays", async () => {
    const t = tok({ prefix: "a/", methods: "GET,HEAD,PUT" });
    const r = await req(u("a/keep.txt", `?token=${t}`), { method: "PUT", body: Buffer.from(""), headers: { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length": "0" } });
    expectRefused(r, 400);
    await assertUnchanged("a/keep.txt", KEEP, "empty no final chunk");
  });
  test("a full token cannot create or delete the gateway's bucket", async () => {
    const t = tok({ prefix: "", methods: "GET,HEAD,PUT,POST,DELETE,LIST" });
    expectRefused(await req(`${gw.url}/${B}?token=${t}`, { method: "PUT" }), [403, 409]);
    expectRefused(await req(`${gw.url}/${B}?token=${t}`, { method: "DELETE" }), 403, "AccessDenied");
    expectRefused(await req(`${gw.url}/${OTHER}?token=${t}`, { method: "DELETE" }), [403, 404]);
    await assertSecretsIntact();
  });
});

// =============================================================================================

describe("14. direct-to-store forms from /api/presign keep the token's type", () => {
  test("image/png token: the /api/presign POST form posted to the store with a second Content-Type field (text/html)", onlyS3("POST forms to the store"), async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT,POST", extra: ["--content-type", "image/png"] });
    const r = await req(`${gw.url}/api/presign`, { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ key: "api/dup.png", content_type: "image/png", size: 10, method: "POST" }) });
    assert.equal(r.status, 200, r.text);
    const { url, fields } = JSON.parse(r.text);
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    const ctName = Object.keys(fields).find((k) => k.toLowerCase() === "content-type") || "Content-Type";
    fd.append(ctName, "text/html");
    fd.append("file", new Blob(["<b>x</b>"], { type: "text/html" }), "f.png");
    const s = await fetch(url, { method: "POST", body: fd });
    console.log("store answered", s.status, (await s.text()).slice(0, 200));
    const h = await storeHead("api/dup.png");
    if (h) assert.equal(h.ContentType, "image/png", `the store kept ${h.ContentType}`);
  });
});

describe("15. JSON bodies with duplicated members", () => {
  const post = (path, t, raw) => req(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body: raw });
  test("/api/presign with two \"key\" members (in scope, then private)", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT" });
    for (const raw of ['{"key":"api/ok.txt","key":"private/payroll.csv","content_type":"text/plain","size":4,"method":"PUT"}',
      '{"key":"private/payroll.csv","key":"api/ok.txt","content_type":"text/plain","size":4,"method":"PUT"}']) {
      const r = await post("/api/presign", t, raw);
      if (r.status === 200) {
        const { url } = JSON.parse(r.text);
        assert.ok(!/private/.test(decodeURIComponent(new URL(url).pathname)), `a URL for the private key: ${url}`);
      } else expectRefused(r, [400, 403, 501]); // 501: an R2 binding without S3 API credentials presigns nothing
    }
    await assertSecretsIntact();
  });
  test("/api/share with two \"key\" members and two \"methods\" members", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT,SHARE" });
    for (const raw of ['{"key":"api/ok.txt","key":"private/payroll.csv","ttl_seconds":60}', '{"key":"api/ok.txt","ttl_seconds":60,"methods":["GET"],"methods":["PUT","DELETE","LIST"]}']) {
      const r = await post("/api/share", t, raw);
      if (r.status !== 200) { expectRefused(r, [400, 403]); continue; }
      const child = JSON.parse(r.text).token;
      expectRefused(await req(`${gw.url}/${B}/private/payroll.csv?token=${child}`), 403, "AccessDenied");
      expectRefused(await req(`${gw.url}/${B}/private/payroll.csv?token=${child}`, { method: "PUT", body: "EVIL" }), 403, "AccessDenied");
    }
    await assertSecretsIntact();
  });
  test("POST /s3/multipart with two \"filename\" members", async () => {
    const t = tok({ prefix: "api/", methods: "GET,HEAD,PUT,POST" });
    const r = await post("/s3/multipart", t, '{"filename":"ok.txt","filename":"../../private/payroll.csv","type":"text/plain"}');
    if (r.status === 200) {
      const { key, uploadId } = JSON.parse(r.text);
      if (BACKEND_IS_S3) await storeAbort(key, uploadId);
      assert.ok(key.startsWith("api/") && !/\.\./.test(key), key);
    } else expectRefused(r, [400, 403]);
  });
});

describe("16. CopyObject: the type a token may store is the type the store keeps", () => {
  before(async () => { await storePut(B, "a/pic.png", Buffer.from("\x89PNG fake"), { ContentType: "image/png" }); });
  const T = () => tok({ prefix: "a/", methods: "GET,HEAD,PUT", extra: ["--content-type", "image/*"] });
  for (const [name, headers] of [
    ["Content-Type: text/html without a metadata directive", { "content-type": "text/html" }],
    ["Content-Type: text/html with x-amz-metadata-directive: COPY", { "content-type": "text/html", "x-amz-metadata-directive": "COPY" }],
    ["Content-Type: text/html with a lower-case copy directive", { "content-type": "text/html", "x-amz-metadata-directive": "copy" }],
    ["Content-Type: image/svg+xml without a metadata directive", { "content-type": "image/svg+xml" }],
  ]) {
    test(`image/* token copying an image/png object with ${name}`, async () => {
      const dest = `a/pic-${createHash("md5").update(name).digest("hex").slice(0, 8)}`;
      const r = await req(u(dest, `?token=${T()}`), { method: "PUT", headers: { "x-amz-copy-source": `/${B}/a/pic.png`, ...headers } });
      if (r.status === 200) {
        const h = BACKEND_IS_S3 ? await storeHead(dest) : null;
        if (h) assert.equal(h.ContentType, "image/png", `the store keeps ${h.ContentType} for an image/* token`);
      } else expectRefused(r, [400, 403]);
    });
  }
});
