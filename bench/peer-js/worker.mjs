// The JavaScript peer for the benchmarks: what a user would write instead of bagroom, a few
// dozen lines on aws4fetch. It does the same job as bagroom on the benchmarked routes, honestly:
//   GET|HEAD /<bucket>/<key>?token=T   verify the share token (HMAC-SHA256 via crypto.subtle,
//                                      bagroom's v1 token format: expiry, bucket, method, key scope),
//                                      then caches.default (key = object URL; match on hit, put on
//                                      miss through a tee) or a SigV4-signed fetch to the store, streamed
//   PUT /<bucket>/<key>?token=T        same check (PUT), stream the body to the store (signed,
//                                      UNSIGNED-PAYLOAD, Content-Length kept), purge the cache entry
//   POST /api/presign                  Authorization: Bearer T, JSON {key, content_type, size, method}
//                                      -> a presigned PUT URL from aws4fetch (signQuery)
// Env: STORE_ENDPOINT, STORE_BUCKET, STORE_REGION, STORE_ACCESS_KEY_ID, STORE_SECRET_ACCESS_KEY,
//      BAGROOM_BUCKET (public name), BAGROOM_TOKEN_KEYS ("kid:secret,..."), PEER_CACHE ("true"/"false"),
//      PEER_CACHE_TTL (seconds, default 3600), PEER_PRESIGN_TTL (default 900).
import { AwsClient } from "aws4fetch";

const CACHE_ORIGIN = "https://peer.cache";
const M = { GET: 1, HEAD: 2, PUT: 4, POST: 8, DELETE: 16, LIST: 32 };
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

// Idiomatic JS: clients and imported keys live at module scope, built once per isolate.
let state;
async function setup(env) {
  const aws = new AwsClient({
    accessKeyId: env.STORE_ACCESS_KEY_ID, secretAccessKey: env.STORE_SECRET_ACCESS_KEY,
    service: "s3", region: env.STORE_REGION || "us-east-1",
  });
  const keys = new Map();
  for (const item of (env.BAGROOM_TOKEN_KEYS || "").split(",")) {
    const i = item.indexOf(":");
    if (i <= 0) continue;
    keys.set(item.slice(0, i).trim(), await crypto.subtle.importKey(
      "raw", enc.encode(item.slice(i + 1)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
  }
  return {
    aws, keys,
    store: `${env.STORE_ENDPOINT.replace(/\/$/, "")}/${env.STORE_BUCKET}`,
    bucket: env.BAGROOM_BUCKET || env.STORE_BUCKET,
    cache: env.PEER_CACHE !== "false",
    ttl: Number(env.PEER_CACHE_TTL || 3600),
    presignTtl: Number(env.PEER_PRESIGN_TTL || 900),
  };
}

function b64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

class Denied extends Error {}

/** Verify a bagroom v1 share token: MAC, time window, bucket, method, key scope. Returns claims. */
async function verifyToken(st, token, method, bucket, key, now) {
  const raw = token && token.length <= 8192 ? b64urlDecode(token) : null;
  if (!raw || raw.length < 2 + 16 || raw[0] !== 1) throw new Denied("malformed token");
  const kidEnd = 2 + raw[1];
  const signedEnd = raw.length - 16;
  if (kidEnd > signedEnd) throw new Denied("malformed token");
  const hkey = st.keys.get(String.fromCharCode(...raw.subarray(2, kidEnd)));
  if (!hkey) throw new Denied("unknown token key id");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hkey, raw.subarray(0, signedEnd)));
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= mac[i] ^ raw[signedEnd + i];
  if (diff !== 0) throw new Denied("token signature does not match");
  // only authenticated bytes are parsed
  const dv = new DataView(raw.buffer, raw.byteOffset, signedEnd);
  let p = kidEnd;
  const need = (n) => { if (p + n > signedEnd) throw new Denied("malformed token"); const q = p; p += n; return q; };
  const exp = Number(dv.getBigUint64(need(8)));
  const nbf = Number(dv.getBigUint64(need(8)));
  const methods = raw[need(1)];
  const flags = raw[need(1)];
  if (flags & ~15 || methods & 0x80) throw new Denied("malformed token");
  const bl = raw[need(1)];
  const tokBucket = dec.decode(raw.subarray(need(bl), p));
  const sl = dv.getUint16(need(2));
  const scope = dec.decode(raw.subarray(need(sl), p));
  if (flags & 2) { const fam = raw[need(1)]; need(fam === 4 ? 5 : 17); }
  if (flags & 4) need(8);
  const nct = raw[need(1)];
  for (let i = 0; i < nct; i++) need(raw[need(1)]);
  need(raw[need(1)]);
  if (p !== signedEnd) throw new Denied("malformed token");
  if (now >= exp) throw new Denied("token expired");
  if (nbf && now + 60 < nbf) throw new Denied("token not yet valid");
  if (tokBucket && tokBucket !== bucket) throw new Denied("bucket not allowed by token");
  const allowed = method === "HEAD" ? methods & (M.HEAD | M.GET) : methods & M[method];
  if (!allowed) throw new Denied("method not allowed by token");
  const inScope = flags & 8 ? key.startsWith(scope) && !/(^|\/)\.\.?(\/|$)/.test(key.slice(scope.length)) : key === scope;
  if (!inScope) throw new Denied("key outside token scope");
  return { exp, methods, flags, scope };
}

const objectUrl = (base, key) => `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
const err = (status, code, msg) => new Response(JSON.stringify({ code, message: msg }), {
  status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
const PASS = ["content-type", "content-length", "etag", "last-modified", "accept-ranges", "cache-control", "content-disposition", "content-encoding"];

async function getObject(st, ctx, method, key) {
  const ckey = objectUrl(`${CACHE_ORIGIN}/${st.bucket}`, key);
  const cache = caches.default;
  if (st.cache) {
    const hit = await cache.match(ckey);
    if (hit) {
      const h = new Headers(hit.headers);
      h.set("x-peer-cache", "HIT");
      h.delete("cache-control");
      return new Response(method === "HEAD" ? null : hit.body, { status: 200, headers: h });
    }
  }
  const r = await st.aws.fetch(objectUrl(st.store, key), { method });
  if (r.status !== 200) return new Response(method === "HEAD" ? null : r.body, { status: r.status, headers: r.headers });
  const h = new Headers();
  for (const n of PASS) { const v = r.headers.get(n); if (v !== null) h.set(n, v); }
  h.set("x-peer-cache", st.cache ? "MISS" : "BYPASS");
  if (method === "HEAD" || !st.cache) return new Response(method === "HEAD" ? null : r.body, { status: 200, headers: h });
  const [a, b] = r.body.tee();
  const ch = new Headers(h);
  ch.set("cache-control", `public, max-age=${st.ttl}`);
  ctx.waitUntil(cache.put(ckey, new Response(b, { status: 200, headers: ch })));
  return new Response(a, { status: 200, headers: h });
}

async function putObject(st, req, key) {
  const len = req.headers.get("content-length");
  if (len === null) return err(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
  const headers = { "content-length": len };
  const ct = req.headers.get("content-type");
  if (ct) headers["content-type"] = ct;
  const r = await st.aws.fetch(objectUrl(st.store, key), { method: "PUT", headers, body: req.body });
  if (r.status >= 300) return new Response(r.body, { status: r.status === 403 ? 502 : r.status });
  if (st.cache) await caches.default.delete(objectUrl(`${CACHE_ORIGIN}/${st.bucket}`, key));
  return new Response(null, { status: 200, headers: { etag: r.headers.get("etag") || "" } });
}

async function presign(st, req, now) {
  const auth = req.headers.get("authorization") || "";
  if (!auth.startsWith("Bearer ")) return err(403, "AccessDenied", "needs a share token");
  const body = await req.json().catch(() => null);
  if (!body || typeof body.key !== "string") return err(400, "InvalidArgument", "key is required");
  const method = (body.method || "PUT").toUpperCase();
  if (method !== "PUT") return err(400, "InvalidArgument", "method must be PUT");
  const claims = await verifyToken(st, auth.slice(7).trim(), "PUT", st.bucket, body.key, now);
  const ttl = Math.max(1, Math.min(st.presignTtl, claims.exp - now));
  const u = new URL(objectUrl(st.store, body.key));
  u.searchParams.set("X-Amz-Expires", String(ttl));
  const headers = {};
  if (body.content_type) headers["content-type"] = body.content_type;
  if (body.size != null) headers["content-length"] = String(body.size);
  const signed = await st.aws.sign(u.toString(), { method: "PUT", headers, aws: { signQuery: true, allHeaders: true } });
  const out = {};
  if (body.content_type) out["content-type"] = body.content_type;
  return new Response(JSON.stringify({ method: "PUT", url: signed.url, headers: out, fields: {}, expires_at: now + ttl, key: body.key }), {
    headers: { "content-type": "application/json", "cache-control": "no-store", "access-control-allow-origin": "*" } });
}

export default {
  async fetch(req, env, ctx) {
    state ??= setup(env);
    const st = await state;
    const url = new URL(req.url);
    const now = Math.floor(Date.now() / 1000);
    try {
      if (url.pathname === "/api/presign" && req.method === "POST") return await presign(st, req, now);
      const m = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (!m) return err(404, "NotFound", "no such route");
      const bucket = decodeURIComponent(m[1]);
      const key = decodeURIComponent(m[2]);
      if (bucket !== st.bucket) return err(404, "NoSuchBucket", "no such bucket");
      const method = req.method;
      if (method !== "GET" && method !== "HEAD" && method !== "PUT") return err(405, "MethodNotAllowed", method);
      await verifyToken(st, url.searchParams.get("token"), method, bucket, key, now);
      return method === "PUT" ? await putObject(st, req, key) : await getObject(st, ctx, method, key);
    } catch (e) {
      if (e instanceof Denied) return err(403, "AccessDenied", e.message);
      return err(502, "BadGateway", String(e && e.message || e));
    }
  },
};
