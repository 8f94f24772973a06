// Edge downloads, end to end: every credential a real client makes (boto3 SigV4/SigV2 presigned
// URLs, aws-cli presign, header-signed boto3 and JS SDK calls, share tokens in all four places)
// downloads the exact bytes through the worker under workerd from the real store; refusals carry
// the right S3 code; the edge cache serves HITs (`ttl` mode) and REVALIDATED hits (`revalidate`
// mode, the default), never caches errors and follows writes; ranges and conditions behave the
// same from the store and from the cache; large objects stream in flat memory; listings are
// scoped; a dead, slow or failing store is a 502/504.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import fs from "node:fs";
import path from "node:path";
import { S3Client, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  startGateway, createBucket, storePut, storeKeys, uniqueBucket, mint, xmlField, python, aws,
  GW_KEY, GW_SECRET, ROOT, workerdPids, rssBytes, onlyS3, startDirectGateway,
} from "./harness.mjs";

const bucket = uniqueBucket("dl");
const SPECIAL = "dir/a b+c~!'()*=&?.txt";
const KEYS = [SPECIAL, "sp ace/file name.bin", "plus+sign/a+b=c.bin", "uni/héllo wörld 日本.txt", "plain/report.bin"];
const BODIES = Object.fromEntries(KEYS.map((k) => [k, randomBytes(30_000 + Math.floor(Math.random() * 5000))]));
const META = { ContentType: "application/x-bagroom-test", Metadata: { owner: "alice" } };
let gw; // caching on, in ttl mode (hits served without asking the store) but for rv/ (revalidate)
let nc; // BAGROOM_CACHE=false

/** S3's path encoding: every byte but unreserved, `/` kept between segments. */
const enc = (k) => k.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())).join("/");
const sha = (b) => createHash("sha256").update(b).digest("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const objUrl = (g, key, q = "") => `${g.url}/${bucket}/${enc(key)}${q}`;

async function bodyOf(r) {
  return Buffer.from(await r.arrayBuffer());
}

/** Fetch and return { status, headers, body, code, message }. */
async function get(url, init = {}) {
  const r = await fetch(url, init);
  const body = await bodyOf(r);
  const text = body.toString("utf8");
  return { status: r.status, headers: r.headers, body, text, code: xmlField(text, "Code"), message: xmlField(text, "Message"), res: r };
}

const PY_PRE = `
import os, sys, json, hashlib, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
EP = os.environ["GW"]; B = os.environ["BUCKET"]; KEYS = json.loads(os.environ.get("KEYS", "[]"))
def cli(sv=None, ak=None, sk=None):
    kw = dict(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    cfg = Config(signature_version=sv, **kw) if sv else Config(**kw)
    return boto3.client("s3", endpoint_url=EP, region_name="us-east-1", aws_access_key_id=ak or os.environ["AK"],
                        aws_secret_access_key=sk or os.environ["SK"], config=cfg)
def default_cli():
    return boto3.client("s3", endpoint_url=EP, region_name="us-east-1", aws_access_key_id=os.environ["AK"], aws_secret_access_key=os.environ["SK"])
`;
async function py(g, code, env = {}) {
  return python(PY_PRE + code, { GW: g.url, BUCKET: bucket, AK: GW_KEY, SK: GW_SECRET, KEYS: JSON.stringify(KEYS), ...env });
}

// aws-cli 1.46 refuses the harness's empty AWS_CA_BUNDLE ("Invalid CA bundle"); undefined drops it.
const AWS_ENV = { AWS_CA_BUNDLE: undefined };

/** A label the cache gives a response that came from the store. */
const FROM_STORE = /^(MISS|BYPASS)$/;

/** GET until the cache answers `label` (the fill runs in the background after the first response). */
async function untilHit(url, init = {}, label = "HIT") {
  let last;
  for (let i = 0; i < 50; i++) {
    last = await get(url, init);
    if (last.headers.get("x-bagroom-cache") === label) return last;
    await sleep(100);
  }
  return last;
}

before(async () => {
  await createBucket(bucket);
  for (const k of KEYS) await storePut(bucket, k, BODIES[k], META);
  gw = await startGateway({ bucket, vars: { BAGROOM_CACHE_MODE: "ttl", BAGROOM_CACHE_RULES: "rv/=revalidate" } });
  nc = await startGateway({ bucket, vars: { BAGROOM_CACHE: "false" } });
});
after(async () => {
  await gw?.close();
  await nc?.close();
});

// ---------------------------------------------------------------------------------------------
// Every client's credential downloads the exact bytes

test("boto3 presigned GET: SigV4, SigV2 (Config 's3') and boto3's default, for every key", async () => {
  const out = JSON.parse(await py(nc, `
res = {}
for name, c in (("v4", cli("s3v4")), ("v2", cli("s3")), ("default", default_cli())):
    res[name] = [c.generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300) for k in KEYS]
print(json.dumps(res))`));
  for (const [name, urls] of Object.entries(out)) {
    for (const [i, u] of urls.entries()) {
      if (name === "v4") assert.match(u, /X-Amz-Signature=/);
      if (name === "v2") assert.match(u, /AWSAccessKeyId=.*Signature=.*Expires=/);
      const r = await get(u);
      assert.equal(r.status, 200, `${name} ${KEYS[i]}: ${r.text.slice(0, 300)}`);
      assert.ok(r.body.equals(BODIES[KEYS[i]]), `${name} ${KEYS[i]} bytes`);
      assert.equal(r.headers.get("content-type"), "application/x-bagroom-test");
      assert.equal(r.headers.get("x-amz-meta-owner"), "alice");
    }
  }
});

test("aws-cli v1 `s3 presign` (SigV2 by default, SigV4 by config) for every key", async () => {
  const v4cfg = path.join(ROOT, ".bagroom/tmp/aws-s3v4.cfg");
  fs.mkdirSync(path.dirname(v4cfg), { recursive: true });
  fs.writeFileSync(v4cfg, "[default]\ns3 =\n    signature_version = s3v4\n");
  for (const [label, env, re] of [["v2", {}, /AWSAccessKeyId=/], ["v4", { AWS_CONFIG_FILE: v4cfg }, /X-Amz-Algorithm=AWS4-HMAC-SHA256/]]) {
    for (const k of KEYS) {
      const r = await aws(["s3", "presign", `s3://${bucket}/${k}`, "--expires-in", "300"], nc.url, { ...AWS_ENV, ...env });
      assert.equal(r.status, 0, r.stderr);
      const u = r.stdout.trim();
      assert.match(u, re, `${label}: ${u}`);
      const g = await get(u);
      assert.equal(g.status, 200, `${label} ${k}: ${g.text.slice(0, 300)}`);
      assert.ok(g.body.equals(BODIES[k]), `${label} ${k} bytes`);
    }
  }
});

test("aws-cli v1 `s3 cp` downloads (header-signed)", async () => {
  for (const k of [SPECIAL, "uni/héllo wörld 日本.txt"]) {
    const dest = path.join(ROOT, ".bagroom/tmp", `dl-${sha(k).slice(0, 8)}`);
    const r = await aws(["s3", "cp", `s3://${bucket}/${k}`, dest], nc.url, AWS_ENV);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.readFileSync(dest).equals(BODIES[k]), k);
    fs.rmSync(dest);
  }
});

test("boto3 get_object (header SigV4) and head_object; header-signed SigV2 is accepted", async () => {
  let out = JSON.parse(await py(nc, `
res = []
for sv in ("s3v4",):
    c = cli(sv)
    for k in KEYS:
        g = c.get_object(Bucket=B, Key=k)
        body = g["Body"].read()
        h = c.head_object(Bucket=B, Key=k)
        res.append({"sv": sv, "key": k, "sha": hashlib.sha256(body).hexdigest(), "len": h["ContentLength"],
                    "etag": [g["ETag"], h["ETag"]], "ct": [g["ContentType"], h["ContentType"]], "meta": h["Metadata"]})
try:
    cli("s3").get_object(Bucket=B, Key=KEYS[0]); v2 = "ok"
except ClientError as e:
    v2 = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
print(json.dumps({"res": res, "v2": v2}))`));
  // header-signed SigV2 (boto3 signature_version='s3') is verified too (clients-first-contact.test.mjs)
  assert.equal(out.v2, "ok", JSON.stringify(out.v2));
  out = out.res;
  assert.equal(out.length, KEYS.length);
  for (const o of out) {
    assert.equal(o.sha, sha(BODIES[o.key]), `${o.sv} ${o.key}`);
    assert.equal(o.len, BODIES[o.key].length);
    assert.equal(o.etag[0], o.etag[1]);
    assert.deepEqual(o.ct, ["application/x-bagroom-test", "application/x-bagroom-test"]);
    assert.deepEqual(o.meta, { owner: "alice" });
  }
});

test("JS SDK v3: getSignedUrl and the GetObjectCommand/HeadObjectCommand client", async () => {
  const client = new S3Client({ endpoint: nc.url, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET } });
  for (const k of KEYS) {
    const u = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: k }), { expiresIn: 300 });
    const r = await get(u);
    assert.equal(r.status, 200, `${k}: ${r.text.slice(0, 300)}`);
    assert.ok(r.body.equals(BODIES[k]), `presigned ${k}`);
    const o = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
    assert.ok(Buffer.from(await o.Body.transformToByteArray()).equals(BODIES[k]), `client ${k}`);
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: k }));
    assert.equal(h.ContentLength, BODIES[k].length);
    assert.equal(h.ETag, o.ETag);
  }
});

test("share tokens: ?token=, Bearer, /s/<token>, /s/<token>/<key>, and the cookie /s/ sets", async () => {
  for (const k of KEYS) {
    const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD"]);
    const q = await get(objUrl(nc, k, `?token=${t}`));
    assert.equal(q.status, 200, `?token= ${k}: ${q.text}`);
    assert.ok(q.body.equals(BODIES[k]));
    const b = await get(objUrl(nc, k), { headers: { authorization: `Bearer ${t}` } });
    assert.equal(b.status, 200, `Bearer ${k}: ${b.text}`);
    assert.ok(b.body.equals(BODIES[k]));
    const s = await get(`${nc.url}/s/${t}`);
    assert.equal(s.status, 200, `/s/ ${k}: ${s.text}`);
    assert.ok(s.body.equals(BODIES[k]));
    // the cookie the link sets authorises a plain path
    const setCookie = s.res.headers.getSetCookie().find((c) => c.startsWith("bagroom_token="));
    assert.ok(setCookie, "the share link sets the bagroom_token cookie");
    assert.match(setCookie, /HttpOnly/);
    const cookie = setCookie.split(";")[0];
    const c = await get(objUrl(nc, k), { headers: { cookie: `other=1; ${cookie}` } });
    assert.equal(c.status, 200, `cookie ${k}: ${c.text}`);
    assert.ok(c.body.equals(BODIES[k]));
  }
  const pt = mint(["--bucket", bucket, "--prefix", "dir/", "--methods", "GET"]);
  const s = await get(`${nc.url}/s/${pt}/${enc(SPECIAL)}`);
  assert.equal(s.status, 200, s.text);
  assert.ok(s.body.equals(BODIES[SPECIAL]));
  const bare = await get(`${nc.url}/s/${pt}`);
  assert.equal(bare.status, 400, "a prefix link without a key");
  // a share link checks partNumber as an S3 path does
  const one = mint(["--bucket", bucket, "--key", KEYS[0], "--methods", "GET,HEAD"]);
  for (const n of ["0", "%2B1", "abc", "10001"]) {
    const p = await get(`${nc.url}/s/${one}?partNumber=${n}`);
    assert.equal(p.status, 400, `partNumber=${n}: ${p.text}`);
    assert.equal(p.code, "InvalidArgument");
  }
});

test("a share link that does not work: a short page for a browser, S3 XML for tools", async () => {
  const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  const k = KEYS[0];
  const expired = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD", "--exp", "1000"]);
  const gone = mint(["--bucket", bucket, "--key", "no/such/file.txt", "--methods", "GET,HEAD"]);
  const tampered = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD"]).slice(0, -4) + "AAAA";
  for (const [t, status, says] of [[expired, 403, /expired/], [gone, 404, /not there any more/], [tampered, 403, /not valid/]]) {
    const page = await get(`${nc.url}/s/${t}`, { headers: { accept: BROWSER } });
    assert.equal(page.status, status, page.text);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.text, says);
    assert.match(page.headers.get("content-security-policy"), /default-src 'none'.*sandbox/);
    assert.doesNotMatch(page.text, /<script/i);
    const tool = await get(`${nc.url}/s/${t}`);
    assert.equal(tool.status, status);
    assert.match(tool.headers.get("content-type"), /xml/);
    assert.ok(tool.code, tool.text);
  }
  // an S3 path keeps S3's errors whatever the client accepts
  const s3 = await get(objUrl(nc, k, `?token=${expired}`), { headers: { accept: BROWSER } });
  assert.equal(s3.code, "AccessDenied");
});

test("response-* overrides on signed URLs (from the store and the cache); ignored for tokens", async () => {
  const k = "plain/report.bin";
  for (const g of [nc, gw]) {
    const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET"]);
    if (g === gw) await untilHit(objUrl(g, k, `?token=${t}`));
    const u = (await py(g, `print(cli("s3v4").generate_presigned_url("get_object", Params={"Bucket": B, "Key": "${k}",
        "ResponseContentDisposition": 'attachment; filename="r é.bin"', "ResponseContentType": "text/x-override"}, ExpiresIn=300))`)).trim();
    const r = await get(u);
    assert.equal(r.status, 200, r.text);
    // header bytes are UTF-8; fetch reads them as Latin-1
    assert.equal(Buffer.from(r.headers.get("content-disposition"), "latin1").toString("utf8"), 'attachment; filename="r é.bin"');
    assert.equal(r.headers.get("content-type"), "text/x-override");
    assert.ok(r.body.equals(BODIES[k]));
    const tq = await get(objUrl(g, k, `?token=${t}&response-content-type=text/html`));
    assert.equal(tq.status, 200);
    assert.equal(tq.headers.get("content-type"), "application/x-bagroom-test", "a token cannot set response headers");
    // the override did not leak into the cached copy
    const plain = await get(objUrl(g, k, `?token=${t}`));
    assert.equal(plain.headers.get("content-type"), "application/x-bagroom-test");
    assert.equal(plain.headers.get("content-disposition"), null);
  }
});

test("boto3 ranged get_object (checksum validation on) from the store and from the cache", async () => {
  const k = "sp ace/file name.bin";
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET"]);
  await untilHit(objUrl(gw, k, `?token=${t}`));
  for (const g of [nc, gw]) {
    const out = JSON.parse(await py(g, `
c = cli("s3v4")
r = c.get_object(Bucket=B, Key=${JSON.stringify(k)}, Range="bytes=100-1099")
body = r["Body"].read()
full = c.get_object(Bucket=B, Key=${JSON.stringify(k)})["Body"].read()
print(json.dumps({"sha": hashlib.sha256(body).hexdigest(), "cr": r["ContentRange"], "status": r["ResponseMetadata"]["HTTPStatusCode"],
                  "full": hashlib.sha256(full).hexdigest()}))`));
    assert.equal(out.status, 206);
    assert.equal(out.cr, `bytes 100-1099/${BODIES[k].length}`);
    assert.equal(out.sha, sha(BODIES[k].subarray(100, 1100)));
    assert.equal(out.full, sha(BODIES[k]));
  }
});

// ---------------------------------------------------------------------------------------------
// Refusals

test("expired, tampered, unknown-key and out-of-scope credentials are refused with S3's codes; HEAD alike", async () => {
  const out = JSON.parse(await py(nc, `
k = KEYS[0]
v4 = cli("s3v4"); v2 = cli("s3")
res = {
  "v4": v4.generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300),
  "v2": v2.generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300),
  "v2_expired": v2.generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=-10),
  "v4_short": v4.generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=1),
  "v4_unknown": cli("s3v4", ak="AKIAUNKNOWNKEY000000").generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300),
  "v2_unknown": cli("s3", ak="AKIAUNKNOWNKEY000000").generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300),
  "v4_wrongsecret": cli("s3v4", sk="not-the-secret").generate_presigned_url("get_object", Params={"Bucket": B, "Key": k}, ExpiresIn=300),
  "v4_otherkey": v4.generate_presigned_url("get_object", Params={"Bucket": B, "Key": KEYS[1]}, ExpiresIn=300),
}
errs = {}
for name, c in (("hdr_wrongsecret", cli("s3v4", sk="not-the-secret")), ("hdr_unknown", cli("s3v4", ak="AKIAUNKNOWNKEY000000"))):
    try:
        c.get_object(Bucket=B, Key=k); errs[name] = "ok"
    except ClientError as e:
        errs[name] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
res["errs"] = errs
print(json.dumps(res))`));
  const flip = (u, param) => u.replace(new RegExp(`(${param}=)([^&])`), (_, p, c) => p + (c === "A" ? "B" : "A"));
  const cases = [
    ["SigV4 signature tampered", flip(out.v4, "X-Amz-Signature"), 403, "SignatureDoesNotMatch"],
    ["SigV2 signature tampered", flip(out.v2, "Signature"), 403, "SignatureDoesNotMatch"],
    ["SigV4 URL for another key", out.v4_otherkey.replace(enc(KEYS[1]), enc(KEYS[0])), 403, "SignatureDoesNotMatch"],
    ["SigV4 wrong secret", out.v4_wrongsecret, 403, "SignatureDoesNotMatch"],
    ["SigV4 unknown key", out.v4_unknown, 403, "InvalidAccessKeyId"],
    ["SigV2 unknown key", out.v2_unknown, 403, "InvalidAccessKeyId"],
    ["SigV2 expired", out.v2_expired, 403, "AccessDenied", /Request has expired/],
    ["SigV4 Expires changed", out.v4.replace("X-Amz-Expires=300", "X-Amz-Expires=301"), 403, "SignatureDoesNotMatch"],
  ];
  const t = mint(["--bucket", bucket, "--key", KEYS[0], "--methods", "GET"]);
  const other = mint(["--bucket", bucket, "--key", KEYS[1], "--methods", "GET"]);
  const otherBucket = mint(["--bucket", "some-other-bucket", "--key", KEYS[0], "--methods", "GET"]);
  const putOnly = mint(["--bucket", bucket, "--key", KEYS[0], "--methods", "PUT"]);
  const expired = mint(["--bucket", bucket, "--key", KEYS[0], "--exp", "1000"]);
  const tampered = t.slice(0, 20) + (t[20] === "A" ? "B" : "A") + t.slice(21);
  cases.push(
    ["token for another key", objUrl(nc, KEYS[0], `?token=${other}`), 403, "AccessDenied", /scope/],
    ["token for another bucket", objUrl(nc, KEYS[0], `?token=${otherBucket}`), 403, "AccessDenied"],
    ["token without GET", objUrl(nc, KEYS[0], `?token=${putOnly}`), 403, "AccessDenied"],
    ["token expired", objUrl(nc, KEYS[0], `?token=${expired}`), 403, "AccessDenied", /expired/],
    ["token tampered", objUrl(nc, KEYS[0], `?token=${tampered}`), 403, "AccessDenied"],
    ["no credentials", objUrl(nc, KEYS[0]), 403, "AccessDenied"],
  );
  for (const [name, url, status, code, msg] of cases) {
    const g = await get(url);
    assert.equal(g.status, status, `${name}: ${g.text}`);
    assert.equal(g.code, code, `${name}: ${g.text}`);
    if (msg) assert.match(g.message, msg, name);
    assert.notEqual(g.headers.get("x-bagroom-cache"), "HIT");
    const h = await get(url, { method: "HEAD" });
    assert.equal(h.status, status, `HEAD ${name}`);
    assert.equal(h.body.length, 0, `HEAD ${name} has no body`);
  }
  assert.deepEqual(out.errs, { hdr_wrongsecret: ["SignatureDoesNotMatch", 403], hdr_unknown: ["InvalidAccessKeyId", 403] });
  // SigV4 expiry: the URL was valid for one second
  await sleep(2100);
  const e = await get(out.v4_short);
  assert.equal(e.status, 403, e.text);
  assert.equal(e.code, "AccessDenied");
  assert.match(e.message, /Request has expired/);
});

test("HEAD gives the same headers as GET, without a body (token and SigV4, store and cache)", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET"]);
  for (const g of [nc, gw]) {
    for (const k of KEYS) {
      const url = objUrl(g, k, `?token=${t}`);
      const full = g === gw ? await untilHit(url) : await get(url);
      const head = await get(url, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      for (const name of ["content-type", "content-length", "etag", "last-modified", "accept-ranges", "x-amz-meta-owner", "cache-control"]) {
        assert.equal(head.headers.get(name), full.headers.get(name), `${name} (${g === gw ? "cache" : "store"})`);
      }
      assert.equal(full.headers.get("content-length"), String(BODIES[k].length));
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The edge cache

test("a second GET with a different valid credential is a cache HIT with the same bytes", async () => {
  const k = "hit/once more+é.bin";
  const kb = randomBytes(20_000);
  await storePut(bucket, k, kb, META);
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET"]);
  const first = await get(objUrl(gw, k, `?token=${t}`));
  assert.equal(first.status, 200);
  assert.match(first.headers.get("x-bagroom-cache"), FROM_STORE);
  const u = (await py(gw, `print(cli("s3v4").generate_presigned_url("get_object", Params={"Bucket": B, "Key": ${JSON.stringify(k)}}, ExpiresIn=300))`)).trim();
  const hit = await untilHit(u);
  assert.equal(hit.headers.get("x-bagroom-cache"), "HIT");
  assert.ok(first.body.equals(kb));
  assert.ok(hit.body.equals(kb));
  assert.equal(hit.headers.get("etag"), first.headers.get("etag"));
  assert.equal(hit.headers.get("content-type"), "application/x-bagroom-test");
  // SigV2 and a Bearer token hit the same entry
  const v2 = (await py(gw, `print(cli("s3").generate_presigned_url("get_object", Params={"Bucket": B, "Key": ${JSON.stringify(k)}}, ExpiresIn=300))`)).trim();
  const h2 = await get(v2);
  assert.equal(h2.headers.get("x-bagroom-cache"), "HIT");
  assert.ok(h2.body.equals(kb));
  const h3 = await get(objUrl(gw, k), { headers: { authorization: `Bearer ${t}` } });
  assert.equal(h3.headers.get("x-bagroom-cache"), "HIT");
  // the cache never answers a request the credential does not allow
  const no = await get(objUrl(gw, k));
  assert.equal(no.status, 403);
});

test("after a PUT through bagroom the next GET returns the new bytes", async () => {
  const k = "rewrite/obj.bin";
  const v1 = randomBytes(10_000);
  const v2 = randomBytes(12_345);
  await storePut(bucket, k, v1);
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET"]);
  const hit = await untilHit(objUrl(gw, k, `?token=${t}`));
  assert.equal(hit.headers.get("x-bagroom-cache"), "HIT");
  assert.ok(hit.body.equals(v1));
  const src = tmpPath("rewrite-v2.bin", v2);
  const out = JSON.parse(await py(gw, `
try:
    with open(os.environ["SRC"], "rb") as f:
        r = cli("s3v4").put_object(Bucket=B, Key="${k}", Body=f.read())
    print(json.dumps({"status": r["ResponseMetadata"]["HTTPStatusCode"], "etag": r.get("ETag")}))
except ClientError as e:
    print(json.dumps({"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"]}))`, { SRC: src }));
  assert.equal(out.status, 200, `PUT through bagroom: ${JSON.stringify(out)}`);
  const after = await get(objUrl(gw, k, `?token=${t}`));
  assert.equal(after.status, 200);
  assert.ok(after.body.equals(v2), "the GET after the PUT returns the new bytes");
  assert.notEqual(after.headers.get("etag"), hit.headers.get("etag"));
});

function tmpPath(name, bytes) {
  const p = path.join(ROOT, ".bagroom/tmp", `${bucket}-${name}`);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
}

test("an error from the store is not cached: 404, create it in the store, then 200", async () => {
  const k = "late/arrival.txt";
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD"]);
  const miss = await get(objUrl(gw, k, `?token=${t}`));
  assert.equal(miss.status, 404);
  assert.equal(miss.code, "NoSuchKey");
  const hmiss = await get(objUrl(gw, k, `?token=${t}`), { method: "HEAD" });
  assert.equal(hmiss.status, 404);
  await sleep(300); // give any (wrong) background cache fill time to land
  const body = randomBytes(777);
  await storePut(bucket, k, body);
  const ok = await get(objUrl(gw, k, `?token=${t}`));
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.body.equals(body));
  const h = await get(objUrl(gw, k, `?token=${t}`), { method: "HEAD" });
  assert.equal(h.status, 200);
});

// ---------------------------------------------------------------------------------------------
// Ranges and conditions, from the store and from the cache

async function rangeAndConditions(g, k, body, t, expectCache) {
  const url = objUrl(g, k, `?token=${t}`);
  const n = body.length;
  const label = (r, what) => {
    const l = r.headers.get("x-bagroom-cache");
    if (expectCache === "HIT" || expectCache === "REVALIDATED") assert.equal(l, expectCache, `${what}: x-bagroom-cache`);
    else assert.match(l ?? "", FROM_STORE, `${what}: x-bagroom-cache`);
  };
  const full = await get(url);
  const etag = full.headers.get("etag");
  const lm = full.headers.get("last-modified");
  assert.ok(etag && lm);
  const ranged = [
    ["bytes=2-9", 2, 9],
    [`bytes=${n - 10}-`, n - 10, n - 1],
    ["bytes=-7", n - 7, n - 1],
    [`bytes=5-${n + 100}`, 5, n - 1],
  ];
  for (const [range, a, b] of ranged) {
    for (const method of ["GET", "HEAD"]) {
      const r = await get(url, { method, headers: { range } });
      assert.equal(r.status, 206, `${method} ${range}: ${r.text}`);
      assert.equal(r.headers.get("content-range"), `bytes ${a}-${b}/${n}`, range);
      assert.equal(r.headers.get("content-length"), String(b - a + 1), range);
      if (method === "GET") assert.ok(r.body.equals(body.subarray(a, b + 1)), `${range} bytes`);
      else assert.equal(r.body.length, 0);
      label(r, `${method} ${range}`);
    }
  }
  const multi = await get(url, { headers: { range: "bytes=0-1,5-6" } });
  assert.equal(multi.status, 200, "several ranges: the whole object");
  assert.ok(multi.body.equals(body));
  label(multi, "multi-range");
  const bad = await get(url, { headers: { range: `bytes=${n}-` } });
  assert.equal(bad.status, 416, bad.text);
  assert.equal(bad.code, "InvalidRange");
  const badHead = await get(url, { method: "HEAD", headers: { range: `bytes=${n + 5}-` } });
  assert.equal(badHead.status, 416);

  const day = 86_400_000;
  const before = new Date(Date.parse(lm) - day).toUTCString();
  const afterLm = new Date(Date.parse(lm) + day).toUTCString();
  const cond = [
    [{ "if-none-match": etag }, 304],
    [{ "if-none-match": '"0123456789abcdef"' }, 200],
    [{ "if-match": '"0123456789abcdef"' }, 412],
    [{ "if-match": etag }, 200],
    [{ "if-modified-since": lm }, 304],
    [{ "if-modified-since": afterLm }, 304],
    [{ "if-modified-since": before }, 200],
    [{ "if-unmodified-since": before }, 412],
    [{ "if-unmodified-since": lm }, 200],
    [{ "if-match": etag, "range": "bytes=0-3" }, 206],
    [{ "if-none-match": etag, "if-modified-since": before }, 304],
  ];
  for (const [headers, status] of cond) {
    for (const method of ["GET", "HEAD"]) {
      const r = await get(url, { method, headers });
      const what = `${method} ${JSON.stringify(headers)}`;
      assert.equal(r.status, status, `${what}: ${r.text}`);
      if (status === 412) {
        if (method === "GET") assert.equal(r.code, "PreconditionFailed", what);
        else assert.equal(r.body.length, 0);
      } else {
        label(r, what);
      }
      if (status === 304) {
        assert.equal(r.body.length, 0);
        assert.equal(r.headers.get("etag"), etag, `${what}: 304 carries the ETag`);
      }
      if (status === 200 && method === "GET") assert.ok(r.body.equals(body), what);
    }
  }
}

test("ranges and conditional GET/HEAD from the store (caching off)", async () => {
  const k = "rc/store.bin";
  const body = randomBytes(5000);
  await storePut(bucket, k, body, { ContentType: "application/octet-stream" });
  const t = mint(["--bucket", bucket, "--prefix", "rc/", "--methods", "GET,HEAD"]);
  await rangeAndConditions(nc, k, body, t, "STORE");
});

test("ranges and conditional GET/HEAD from the store on a caching gateway (fresh key per request: MISS)", async () => {
  const body = randomBytes(4000);
  const t = mint(["--bucket", bucket, "--prefix", "rcm/", "--methods", "GET,HEAD"]);
  let i = 0;
  // a fresh key for every request, so each one is a MISS
  const fresh = async () => {
    const k = `rcm/${i++}.bin`;
    await storePut(bucket, k, body);
    return objUrl(gw, k, `?token=${t}`);
  };
  const r1 = await get(await fresh(), { headers: { range: "bytes=10-19" } });
  assert.equal(r1.status, 206);
  assert.equal(r1.headers.get("x-bagroom-cache"), "MISS");
  assert.ok(r1.body.equals(body.subarray(10, 20)));
  const r2 = await get(await fresh(), { headers: { range: "bytes=-5" } });
  assert.equal(r2.status, 206);
  assert.ok(r2.body.equals(body.subarray(body.length - 5)));
  const r3 = await get(await fresh(), { headers: { range: `bytes=${body.length}-` } });
  assert.equal(r3.status, 416);
  assert.equal(r3.code, "InvalidRange");
  const u4 = await fresh();
  const etag = (await fetch(u4, { method: "HEAD" })).headers.get("etag");
  const r4 = await get(u4, { headers: { "if-none-match": etag } });
  assert.equal(r4.status, 304);
  const r5 = await get(await fresh(), { headers: { "if-match": '"nope"' } });
  assert.equal(r5.status, 412);
  assert.equal(r5.code, "PreconditionFailed");
  const r6 = await get(await fresh(), { headers: { "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT" } });
  assert.equal(r6.status, 412);
  const u7 = await fresh();
  const lm = (await fetch(u7, { method: "HEAD" })).headers.get("last-modified");
  const r7 = await get(u7, { headers: { "if-modified-since": lm } });
  assert.equal(r7.status, 304);
  // a ranged MISS fills the cache in the background: the same range becomes a HIT
  const u8 = await fresh();
  const m = await get(u8, { headers: { range: "bytes=100-199" } });
  assert.equal(m.headers.get("x-bagroom-cache"), "MISS");
  const h = await untilHit(u8, { headers: { range: "bytes=100-199" } });
  assert.equal(h.status, 206);
  assert.equal(h.headers.get("x-bagroom-cache"), "HIT");
  assert.ok(h.body.equals(body.subarray(100, 200)));
});

test("ranges and conditional GET/HEAD from the cache (HIT)", async () => {
  const k = "rc/cached.bin";
  const body = randomBytes(6000);
  await storePut(bucket, k, body, { ContentType: "application/octet-stream" });
  const t = mint(["--bucket", bucket, "--prefix", "rc/", "--methods", "GET,HEAD"]);
  const warm = await untilHit(objUrl(gw, k, `?token=${t}`));
  assert.equal(warm.headers.get("x-bagroom-cache"), "HIT");
  await rangeAndConditions(gw, k, body, t, "HIT");
});

test("ranges and conditional GET/HEAD from the cache after the store confirmed the copy (revalidate: REVALIDATED)", async () => {
  const k = "rv/cached.bin";
  const body = randomBytes(6000);
  await storePut(bucket, k, body, { ContentType: "application/octet-stream" });
  const t = mint(["--bucket", bucket, "--prefix", "rv/", "--methods", "GET,HEAD"]);
  const warm = await untilHit(objUrl(gw, k, `?token=${t}`), {}, "REVALIDATED");
  assert.equal(warm.headers.get("x-bagroom-cache"), "REVALIDATED");
  await rangeAndConditions(gw, k, body, t, "REVALIDATED");
});

// ---------------------------------------------------------------------------------------------
// Large objects stream in flat memory

const BIG = 50 * 1024 * 1024;
const RSS_LIMIT = 40 * 1024 * 1024;

async function measureDownload(g, pids, url) {
  const sample = () => pids.reduce((s, p) => s + rssBytes(p), 0);
  // bytes written (socket sends count in wchar; workerd's receives do not show in rchar)
  const wchar = () => pids.reduce((s, p) => s + Number(/wchar:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/io`, "utf8"))[1]), 0);
  const wrote0 = wchar();
  const base = sample();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, sample()); }, 10);
  const h = createHash("sha256");
  let n = 0;
  try {
    const r = await fetch(url);
    assert.equal(r.status, 200);
    const reader = r.body.getReader();
    let sinceYield = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      h.update(value);
      n += value.length;
      sinceYield += value.length;
      // read a little slower than the store sends, so a gateway that buffered would show it
      if (sinceYield >= 1024 * 1024) {
        sinceYield = 0;
        peak = Math.max(peak, sample());
        await sleep(5);
      }
    }
    peak = Math.max(peak, sample());
    // the bytes really flowed through the processes we sampled
    assert.ok(wchar() - wrote0 >= BIG, `workerd wrote ${wchar() - wrote0} bytes`);
    return { base, peak, growth: peak - base, n, sha: h.digest("hex"), label: r.headers.get("x-bagroom-cache") };
  } finally {
    clearInterval(timer);
  }
}

async function bigGateway(vars) {
  const beforePids = new Set(workerdPids());
  const g = await startGateway({ bucket, vars });
  const pids = workerdPids().filter((p) => !beforePids.has(p));
  assert.ok(pids.length > 0, "found the gateway's workerd process");
  return { g, pids };
}

test("a 50 MiB object streams through with flat memory (caching off, then on)", async () => {
  const big = randomBytes(BIG);
  const bigSha = sha(big);
  await storePut(bucket, "big/fifty.bin", big);
  const t = mint(["--bucket", bucket, "--prefix", "big/", "--methods", "GET"]);
  const mib = (b) => (b / 1048576).toFixed(1);
  for (const [name, vars, expect] of [
    ["caching off (BAGROOM_CACHE=false)", { BAGROOM_CACHE: "false" }, "BYPASS"],
    ["caching bypassed by rule (big/=0)", { BAGROOM_CACHE_RULES: "big/=0" }, "BYPASS"],
    ["caching on (revalidate, the default)", {}, "MISS"],
  ]) {
    const { g, pids } = await bigGateway(vars);
    try {
      // warm the worker (instantiate the wasm) before the baseline
      const w = await get(objUrl(g, "plain/report.bin", `?token=${mint(["--bucket", bucket, "--key", "plain/report.bin"])}`));
      assert.equal(w.status, 200);
      await sleep(200);
      const m = await measureDownload(g, pids, objUrl(g, "big/fifty.bin", `?token=${t}`));
      console.log(`# 50 MiB download, ${name}: workerd RSS ${mib(m.base)} -> peak ${mib(m.peak)} MiB, growth ${mib(m.growth)} MiB (cache ${m.label})`);
      assert.equal(m.n, BIG);
      assert.equal(m.sha, bigSha);
      assert.equal(m.label, expect);
      assert.ok(m.growth < RSS_LIMIT, `${name}: workerd RSS grew ${mib(m.growth)} MiB for a ${mib(BIG)} MiB object`);
      if (expect === "MISS") {
        const r = await untilHit(objUrl(g, "big/fifty.bin", `?token=${t}`), { method: "HEAD" }, "REVALIDATED");
        assert.equal(r.headers.get("x-bagroom-cache"), "REVALIDATED", "the 50 MiB object was cached");
        const m2 = await measureDownload(g, pids, objUrl(g, "big/fifty.bin", `?token=${t}`));
        console.log(`# 50 MiB download, cache hit (REVALIDATED): workerd RSS ${mib(m2.base)} -> peak ${mib(m2.peak)} MiB, growth ${mib(m2.growth)} MiB`);
        assert.equal(m2.label, "REVALIDATED");
        assert.equal(m2.sha, bigSha);
        assert.ok(m2.growth < RSS_LIMIT, `cache HIT: workerd RSS grew ${mib(m2.growth)} MiB`);
      }
    } finally {
      await g.close();
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Listings

test("ListObjectsV2 through boto3 with the gateway key sees everything; paginator with delimiter and MaxKeys", async () => {
  const lk = ["list/a/1.txt", "list/a/2.txt", "list/b/3.txt", "list/c.txt", "list/sp ace+é.txt"];
  for (const k of lk) await storePut(bucket, k, Buffer.from(k));
  const out = JSON.parse(await py(nc, `
c = cli("s3v4")
r = c.list_objects_v2(Bucket=B, Prefix="list/", Delimiter="/")
one = {"keys": [o["Key"] for o in r.get("Contents", [])], "prefixes": [p["Prefix"] for p in r.get("CommonPrefixes", [])]}
pages = []
for p in c.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="list/", Delimiter="/", PaginationConfig={"PageSize": 1}):
    pages.append({"keys": [o["Key"] for o in p.get("Contents", [])], "prefixes": [x["Prefix"] for x in p.get("CommonPrefixes", [])], "n": p["KeyCount"]})
allkeys = []
for p in c.get_paginator("list_objects_v2").paginate(Bucket=B, PaginationConfig={"PageSize": 3}):
    allkeys += [o["Key"] for o in p.get("Contents", [])]
v1 = [o["Key"] for o in c.list_objects(Bucket=B, Prefix="list/a/").get("Contents", [])]
print(json.dumps({"one": one, "pages": pages, "all": allkeys, "v1": v1}))`));
  assert.deepEqual(out.one.keys, ["list/c.txt", "list/sp ace+é.txt"]);
  assert.deepEqual(out.one.prefixes, ["list/a/", "list/b/"]);
  assert.ok(out.pages.length >= 4, `MaxKeys=1 pages: ${JSON.stringify(out.pages)}`);
  for (const p of out.pages) assert.ok(p.n <= 1, JSON.stringify(p));
  assert.deepEqual(out.pages.flatMap((p) => p.keys), ["list/c.txt", "list/sp ace+é.txt"]);
  assert.deepEqual(out.pages.flatMap((p) => p.prefixes), ["list/a/", "list/b/"]);
  assert.deepEqual([...out.all].sort(), [...(await storeKeys(bucket))].sort());
  for (const k of KEYS) assert.ok(out.all.includes(k), k);
  assert.deepEqual(out.v1, ["list/a/1.txt", "list/a/2.txt"]);
});

test("a LIST token sees only its prefix (XML, Bearer, JSON with Accept: application/json)", async () => {
  for (const k of ["list/a/1.txt", "list/a/2.txt", "list/b/3.txt"]) await storePut(bucket, k, Buffer.from(k));
  const t = mint(["--bucket", bucket, "--prefix", "list/a/", "--methods", "LIST"]);
  const keysOf = (xml) => [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  for (const prefix of ["", "list/", "list/a/"]) {
    const r = await get(`${nc.url}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}&token=${t}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(keysOf(r.text), ["list/a/1.txt", "list/a/2.txt"], `prefix ${JSON.stringify(prefix)}`);
    assert.equal(xmlField(r.text, "Name"), bucket);
  }
  const b = await get(`${nc.url}/${bucket}?list-type=2&prefix=list/`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(keysOf(b.text), ["list/a/1.txt", "list/a/2.txt"]);
  const out = await get(`${nc.url}/${bucket}?list-type=2&prefix=list/b/&token=${t}`);
  assert.equal(out.status, 403);
  assert.equal(out.code, "AccessDenied");
  const getOnly = mint(["--bucket", bucket, "--prefix", "list/a/", "--methods", "GET"]);
  const g = await get(`${nc.url}/${bucket}?list-type=2&prefix=list/a/&token=${getOnly}`);
  assert.equal(g.status, 403, "a GET-only token may not list");
  const j = await fetch(`${nc.url}/${bucket}?list-type=2&prefix=list/&delimiter=/&token=${t}`, { headers: { accept: "application/json" } });
  assert.equal(j.status, 200);
  assert.match(j.headers.get("content-type"), /^application\/json/);
  const doc = await j.json();
  // "list/" is narrowed to the token's "list/a/": its keys, no deeper prefixes
  assert.deepEqual(doc.objects.map((o) => o.key), ["list/a/1.txt", "list/a/2.txt"]);
  assert.deepEqual(doc.prefixes, []);
  assert.equal(doc.truncated, false);
  const jb = await fetch(`${nc.url}/${bucket}?list-type=2&prefix=list/b/&token=${t}`, { headers: { accept: "application/json" } });
  assert.equal(jb.status, 403);
  assert.equal((await jb.json()).error.code, "AccessDenied");
  const j2 = await (await fetch(`${nc.url}/${bucket}?list-type=2&token=${t}`, { headers: { accept: "application/json" } })).json();
  assert.deepEqual(j2.objects.map((o) => o.key), ["list/a/1.txt", "list/a/2.txt"]);
  assert.equal(j2.objects[0].size, "list/a/1.txt".length);
  assert.equal(j2.truncated, false);
});

// ---------------------------------------------------------------------------------------------
// A dead, slow or failing store

/** A fake store: `mode` "ok" answers 200 with `okBody`, "500" a 500, "hang" never answers. */
async function fakeStore() {
  const s = { mode: "ok", okBody: Buffer.from("fresh bytes"), hits: 0, pending: [] };
  s.server = http.createServer((req, res) => {
    s.hits++;
    if (s.mode === "hang") { s.pending.push(res); return; }
    if (s.mode === "500") {
      res.writeHead(500, { "content-type": "application/xml" });
      res.end("<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": s.okBody.length, etag: '"fake"',
      "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT" });
    res.end(req.method === "HEAD" ? undefined : s.okBody);
  });
  await new Promise((r) => s.server.listen(0, "127.0.0.1", r));
  s.url = `http://127.0.0.1:${s.server.address().port}`;
  s.close = async () => {
    for (const r of s.pending) r.destroy();
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  };
  return s;
}

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const port = srv.address().port;
  await new Promise((r) => srv.close(r));
  return port;
}

test("the store down is a 502 with an S3 error body", onlyS3("a store endpoint that refuses connections (STORE_ENDPOINT); an R2 binding has none"), async () => {
  const g = await startGateway({ bucket, vars: { STORE_ENDPOINT: `http://127.0.0.1:${await closedPort()}` } });
  try {
    const t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD,LIST"]);
    const r = await get(objUrl(g, KEYS[0], `?token=${t}`));
    assert.equal(r.status, 502, r.text);
    assert.equal(r.headers.get("content-type"), "application/xml");
    assert.equal(r.code, "BadGateway");
    assert.ok(r.message);
    const h = await get(objUrl(g, KEYS[0], `?token=${t}`), { method: "HEAD" });
    assert.equal(h.status, 502);
    assert.equal(h.body.length, 0);
    const l = await get(`${g.url}/${bucket}?list-type=2&token=${t}`);
    assert.equal(l.status, 502);
    const hz = await fetch(`${g.url}/healthz`);
    assert.equal(hz.status, 503);
  } finally {
    await g.close();
  }
});

test("a slow store is a 504, a store 5xx is a 502, and neither is cached", onlyS3("a fake store behind STORE_ENDPOINT that hangs or answers 500; an R2 binding cannot be made to"), async () => {
  const fake = await fakeStore();
  const g = await startGateway({ bucket, vars: { STORE_ENDPOINT: fake.url, BAGROOM_STORE_TIMEOUT_MS: "500" } });
  try {
    const t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD,LIST"]);
    fake.mode = "hang";
    const slow = await get(objUrl(g, "slow/x.txt", `?token=${t}`));
    assert.equal(slow.status, 504, slow.text);
    assert.equal(slow.code, "GatewayTimeout");
    assert.match(slow.message, /500 ms/);
    const slowHead = await get(objUrl(g, "slow/x.txt", `?token=${t}`), { method: "HEAD" });
    assert.equal(slowHead.status, 504);
    const slowList = await get(`${g.url}/${bucket}?list-type=2&token=${t}`);
    assert.equal(slowList.status, 504);

    fake.mode = "500";
    const bad = await get(objUrl(g, "bad/x.txt", `?token=${t}`));
    assert.equal(bad.status, 502, bad.text);
    assert.equal(bad.code, "BadGateway");
    assert.ok(!bad.text.includes("InternalError"), "the store's own error is not passed through as the client's");
    const badHead = await get(objUrl(g, "bad/x.txt", `?token=${t}`), { method: "HEAD" });
    assert.equal(badHead.status, 502);
    const badList = await get(`${g.url}/${bucket}?list-type=2&token=${t}`);
    assert.equal(badList.status, 502);

    await sleep(300);
    fake.mode = "ok";
    for (const k of ["slow/x.txt", "bad/x.txt"]) {
      const ok = await get(objUrl(g, k, `?token=${t}`));
      assert.equal(ok.status, 200, `${k} after the store recovered: ${ok.text}`);
      assert.equal(ok.text, "fresh bytes");
      assert.notEqual(ok.headers.get("x-bagroom-cache"), "HIT");
    }
  } finally {
    await g.close();
    await fake.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Public prefixes

test("public prefixes: public/ is served without credentials, private/ is refused", async () => {
  const pub = randomBytes(1234);
  await storePut(bucket, "public/x.bin", pub, { ContentType: "image/png" });
  await storePut(bucket, "private/x.bin", randomBytes(10));
  const g = await startGateway({ bucket, vars: { BAGROOM_PUBLIC_PREFIXES: "public/" } });
  try {
    const r = await get(`${g.url}/${bucket}/public/x.bin`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.equals(pub));
    assert.equal(r.headers.get("content-type"), "image/png");
    const h = await get(`${g.url}/${bucket}/public/x.bin`, { method: "HEAD" });
    assert.equal(h.status, 200);
    assert.equal(h.headers.get("content-length"), "1234");
    const rr = await get(`${g.url}/${bucket}/public/x.bin`, { headers: { range: "bytes=0-9" } });
    assert.equal(rr.status, 206);
    assert.ok(rr.body.equals(pub.subarray(0, 10)));
    const p = await get(`${g.url}/${bucket}/private/x.bin`);
    assert.equal(p.status, 403);
    assert.equal(p.code, "AccessDenied");
    const dot = await get(`${g.url}/${bucket}/public/../private/x.bin`.replace("/../", "/%2E%2E/"));
    assert.equal(dot.status, 403, "a dot segment cannot escape the public prefix");
    const missing = await get(`${g.url}/${bucket}/public/nope.bin`);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "NoSuchKey");
    const list = await get(`${g.url}/${bucket}?list-type=2&prefix=public/`);
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /<Key>public\/x.bin<\/Key>/);
    assert.doesNotMatch(list.text, /private/);
    const listAll = await get(`${g.url}/${bucket}?list-type=2`);
    assert.equal(listAll.status, 403, "anonymous listing outside the public prefix");
  } finally {
    await g.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Stored bytes are served as stored

/** GET without any decoding of the body (undici's fetch would gunzip). */
function rawGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    // a header given as undefined is not sent
    const all = Object.fromEntries(Object.entries({ "accept-encoding": "gzip, br", ...headers }).filter(([, v]) => v !== undefined));
    http.get(url, { headers: all }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

// An object stored with Content-Encoding: gzip is bytes like any other: S3 serves them as stored,
// whatever the client accepts. These gateways run in a workerd of their own (startDirectGateway):
// under wrangler's test harness the store fetch passes through Node, whose fetch decodes it.
// Python's clients (boto3, aws-cli) send `Accept-Encoding: identity`, and the edge decodes an
// encoded body for a client that does not accept its coding: without care boto3 would read the
// decompressed JSON (failing its CRC check) and a range would break mid-stream.
test("an object stored with Content-Encoding: gzip is served as stored to every client, whole and ranged, from the store and the cache", onlyS3("the S3 store's fetch path"), async () => {
  const { gzipSync } = await import("node:zlib");
  const gz = gzipSync(Buffer.from(JSON.stringify({ hello: "bagroom ".repeat(2000) })));
  const k = "enc/data.json.gz";
  await storePut(bucket, k, gz, { ContentType: "application/json", ContentEncoding: "gzip" });
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD"]);
  const sha = createHash("sha256").update(gz).digest("hex");
  const direct = [
    await startDirectGateway({ bucket, vars: { BAGROOM_CACHE: "false" } }),
    await startDirectGateway({ bucket, vars: { BAGROOM_CACHE_MODE: "ttl" } }),
  ];
  try {
    for (const g of direct) {
      // boto3, three times (a miss, then hits where the cache is on), and a range
      const out = JSON.parse(await py(g, `
import gzip
s3 = cli("s3v4")
got = []
for i in range(3):
    r = s3.get_object(Bucket=B, Key="${k}")
    body = r["Body"].read()
    got.append([hashlib.sha256(body).hexdigest(), json.loads(gzip.decompress(body))["hello"][:8], r["ContentLength"]])
p = s3.get_object(Bucket=B, Key="${k}", Range="bytes=0-9")
print(json.dumps({"got": got, "range": [p["ResponseMetadata"]["HTTPStatusCode"], p["Body"].read().hex()]}))`));
      for (const one of out.got) assert.deepEqual(one, [sha, "bagroom ", gz.length], g.url);
      assert.deepEqual(out.range, [206, gz.subarray(0, 10).toString("hex")]);
      // a client that takes gzip, and one that sends no Accept-Encoding (curl): the header too
      for (const ae of ["gzip, br", undefined]) {
        for (let i = 0; i < 2; i++) {
          const r = await rawGet(objUrl(g, k, `?token=${t}`), ae ? { "accept-encoding": ae } : { "accept-encoding": undefined });
          const what = `${ae} #${i} (${r.headers["x-bagroom-cache"]})`;
          assert.equal(r.status, 200, what);
          assert.equal(r.headers["content-encoding"], "gzip", what);
          assert.ok(r.body.equals(gz), `${what}: ${r.body.length} bytes vs ${gz.length} stored`);
          if (r.headers["content-length"] !== undefined) assert.equal(r.headers["content-length"], String(gz.length), what);
          const p = await rawGet(objUrl(g, k, `?token=${t}`), { "accept-encoding": ae, range: "bytes=0-9" });
          assert.equal(p.status, 206, what);
          assert.ok(p.body.equals(gz.subarray(0, 10)), `${what}: range of the stored bytes`);
          await sleep(100);
        }
      }
    }
  } finally {
    for (const g of direct) await g.close();
  }
});

test("empty objects, the object's own Cache-Control, and no-store objects", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "meta/", "--methods", "GET,HEAD"]);
  await storePut(bucket, "meta/empty", Buffer.alloc(0));
  const e = await untilHit(objUrl(gw, "meta/empty", `?token=${t}`));
  assert.equal(e.status, 200);
  assert.equal(e.body.length, 0);
  assert.equal(e.headers.get("content-length"), "0");
  assert.equal(e.headers.get("x-bagroom-cache"), "HIT");
  await storePut(bucket, "meta/cc", Buffer.from("cc"), { CacheControl: "max-age=60" });
  const c1 = await get(objUrl(gw, "meta/cc", `?token=${t}`));
  assert.equal(c1.headers.get("cache-control"), "max-age=60, no-transform");
  const c2 = await untilHit(objUrl(gw, "meta/cc", `?token=${t}`));
  assert.equal(c2.headers.get("x-bagroom-cache"), "HIT");
  assert.equal(c2.headers.get("cache-control"), "max-age=60, no-transform", "the edge TTL does not leak to clients");
  await storePut(bucket, "meta/nostore", Buffer.from("ns"), { CacheControl: "no-store" });
  for (let i = 0; i < 3; i++) {
    const n = await get(objUrl(gw, "meta/nostore", `?token=${t}`));
    assert.equal(n.status, 200);
    assert.equal(n.headers.get("x-bagroom-cache"), "BYPASS");
    await sleep(100);
  }
});

test("after a DELETE through bagroom the cached copy is gone", async () => {
  const k = "gone/soon.bin";
  await storePut(bucket, k, randomBytes(100));
  const t = mint(["--bucket", bucket, "--key", k, "--methods", "GET,HEAD"]);
  const hit = await untilHit(objUrl(gw, k, `?token=${t}`));
  assert.equal(hit.headers.get("x-bagroom-cache"), "HIT");
  const out = JSON.parse(await py(gw, `
r = cli("s3v4").delete_object(Bucket=B, Key="${k}")
print(json.dumps({"status": r["ResponseMetadata"]["HTTPStatusCode"]}))`));
  assert.equal(out.status, 204);
  const after = await get(objUrl(gw, k, `?token=${t}`));
  assert.equal(after.status, 404);
  assert.equal(after.code, "NoSuchKey");
});
