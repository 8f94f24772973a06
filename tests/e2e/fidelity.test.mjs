// Fidelity: listings, headers and error codes come back through the gateway as they do from the
// store (SeaweedFS) directly. Every check runs the same client code (boto3, or the JS SDK) against
// the store and the gateway and compares the answers.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { S3Client, ListObjectsV2Command, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { startGateway, createBucket, uniqueBucket, storePut, python, STORE_URL, STORE_KEY, STORE_SECRET, GW_KEY, GW_SECRET, BACKEND } from "./harness.mjs";

const bucket = uniqueBucket("fidelity");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
  for (const k of ["a\nb/c", "a\nd", "x+y%41 z/1", "p q/r&s", "plain"]) await storePut(bucket, `l/${k}`, Buffer.from("x"));
  await storePut(bucket, "cc/obj", Buffer.from("cache me"), { CacheControl: "max-age=60, public", ContentType: "text/plain" });
});
after(async () => gw && gw.close());

// On the R2 backend there is no S3 store behind the gateway to compare with: only the gateway's
// side runs, and the fixed expectations below are what it must answer.
const sides = () => [
  ...(BACKEND === "r2" ? [] : [{ name: "store", url: STORE_URL, key: STORE_KEY, secret: STORE_SECRET }]),
  { name: "gateway", url: gw.url, key: GW_KEY, secret: GW_SECRET },
];
const sdk = (s) => new S3Client({ endpoint: s.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: s.key, secretAccessKey: s.secret } });

/** Run a boto3 snippet against one side; `s3` is the client, `out` a dict printed as JSON. */
async function boto(side, body) {
  const code = `
import boto3, botocore, json, sys, base64, hashlib, urllib3
from botocore.config import Config
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(side.url)}, aws_access_key_id=${JSON.stringify(side.key)}, aws_secret_access_key=${JSON.stringify(side.secret)}, region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
B = ${JSON.stringify(bucket)}
out = {}
def err(f):
    try:
        f(); return "ok"
    except botocore.exceptions.ClientError as e:
        return [e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]]
${body}
print(json.dumps(out))
`;
  return JSON.parse((await python(code)).trim().split("\n").pop());
}

async function both(body) {
  const [gwSide, storeSide] = [sides().at(-1), sides().length > 1 ? sides()[0] : null];
  const [store, gateway] = [storeSide ? await boto(storeSide, body) : null, await boto(gwSide, body)];
  return { store: store ?? gateway, gateway };
}

test("listing: a newline prefix comes back as given when the client did not ask for url encoding (JS SDK)", async () => {
  for (const s of sides()) {
    const r = await sdk(s).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "l/a\n", Delimiter: "/" }));
    assert.equal(r.Prefix, "l/a\n", s.name);
    assert.equal(r.EncodingType, undefined, s.name);
    assert.deepEqual((r.CommonPrefixes || []).map((p) => p.Prefix), ["l/a\nb/"], s.name);
    assert.deepEqual((r.Contents || []).map((o) => o.Key), ["l/a\nd"], s.name);
  }
});

test("listing: encoding-type=url covers keys and CommonPrefixes; + and % in echoed fields survive (boto3)", async () => {
  const { store, gateway } = await both(`
r = s3.list_objects_v2(Bucket=B, Prefix="l/", Delimiter="/")
out["prefixes"] = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
out["keys"] = [c["Key"] for c in r.get("Contents", [])]
r = s3.list_objects_v2(Bucket=B, Prefix="l/x+y%41", Delimiter="/", StartAfter="l/x+")
out["v2"] = [r.get("Prefix"), r.get("StartAfter"), [p["Prefix"] for p in r.get("CommonPrefixes", [])]]
r = s3.list_objects(Bucket=B, Prefix="l/", Delimiter="/", Marker="l/m+%", MaxKeys=1)
out["v1"] = [r.get("Marker"), r.get("NextMarker"), [p["Prefix"] for p in r.get("CommonPrefixes", [])]]
`);
  assert.deepEqual(gateway.prefixes, ["l/a\nb/", "l/p q/", "l/x+y%41 z/"]);
  assert.deepEqual(gateway.prefixes, store.prefixes);
  assert.deepEqual(gateway.keys, store.keys);
  // S3 url-encodes Prefix / StartAfter / Marker / NextMarker too; SeaweedFS does not (boto3 then
  // decodes its `+` into a space), so the gateway is checked against what the client sent
  assert.deepEqual(gateway.v2, ["l/x+y%41", "l/x+", ["l/x+y%41 z/"]]);
  assert.deepEqual(gateway.v2[2], store.v2[2]);
  assert.deepEqual(gateway.v1, ["l/m+%", "l/p q/", ["l/p q/"]]);
  assert.deepEqual(gateway.v1[2], store.v1[2]);
});

test("listing: an empty continuation-token= is no token", async () => {
  const { store, gateway } = await both(`
r = s3.list_objects_v2(Bucket=B, Prefix="l/", ContinuationToken="")
out["keys"] = [c["Key"] for c in r.get("Contents", [])]
`);
  assert.equal(gateway.keys.length, 5);
  assert.deepEqual(gateway, store);
});

test("Cache-Control comes back exactly as stored to S3 SDKs (JS SDK GET and HEAD, boto3)", async () => {
  for (const s of sides()) {
    const g = await sdk(s).send(new GetObjectCommand({ Bucket: bucket, Key: "cc/obj" }));
    assert.equal(g.CacheControl, "max-age=60, public", s.name);
    assert.equal(await g.Body.transformToString(), "cache me");
    const h = await sdk(s).send(new HeadObjectCommand({ Bucket: bucket, Key: "cc/obj" }));
    assert.equal(h.CacheControl, "max-age=60, public", s.name);
    const r = await sdk(s).send(new GetObjectCommand({ Bucket: bucket, Key: "cc/obj", Range: "bytes=0-3" }));
    assert.equal(r.CacheControl, "max-age=60, public", s.name);
  }
  const { store, gateway } = await both(`out["cc"] = s3.get_object(Bucket=B, Key="cc/obj")["CacheControl"]`);
  assert.deepEqual(gateway, store);
  // a client that accepts compression (a browser) could see the edge re-encode: no-transform there
  const b = await fetch(`${gw.url}/${bucket}/cc/obj?${await presignedQuery()}`, { headers: { "accept-encoding": "gzip, br" } });
  assert.equal(b.status, 200);
  assert.equal(b.headers.get("cache-control"), "max-age=60, public, no-transform");
});

test("a signed GET's response-* overrides come back exactly as given, an unknown coding's Cache-Control untouched (boto3)", async () => {
  const { store, gateway } = await both(`
r = s3.get_object(Bucket=B, Key="cc/obj", ResponseCacheControl="no-cache", ResponseContentEncoding="aaa",
                  ResponseContentType="foo/bar", ResponseContentLanguage="esperanto", ResponseContentDisposition="bla")
out["h"] = [r.get(k) for k in ("CacheControl", "ContentEncoding", "ContentType", "ContentLanguage", "ContentDisposition")]
out["body"] = r["Body"].read().decode()
`);
  assert.deepEqual(gateway, { h: ["no-cache", "aaa", "foo/bar", "esperanto", "bla"], body: "cache me" });
  assert.deepEqual(gateway, store);
});

async function presignedQuery() {
  const out = await boto(sides().at(-1), `out["u"] = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "cc/obj"}, ExpiresIn=300)`);
  return out.u.split("?")[1];
}

test("empty x-amz-meta-* values: as the store keeps them", async () => {
  const { store, gateway } = await both(`
s3.put_object(Bucket=B, Key="meta/e", Body=b"x", Metadata={"empty": "", "full": "v"})
out["meta"] = s3.head_object(Bucket=B, Key="meta/e")["Metadata"]
out["get"] = s3.get_object(Bucket=B, Key="meta/e")["Metadata"]
`);
  assert.deepEqual(gateway, store);
  assert.equal(gateway.meta.full, "v");
});

test("X-Amz-Expires=0 is 403 AccessDenied (Request has expired)", async () => {
  for (const s of sides()) {
    const out = await boto(s, `out["u"] = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "cc/obj"}, ExpiresIn=0)`);
    assert.match(out.u, /X-Amz-Expires=0/);
    const r = await fetch(out.u);
    const text = await r.text();
    assert.equal(r.status, 403, `${s.name}: ${text}`);
    assert.match(text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/, s.name);
  }
});

test("Content-MD5 on PutObject: garbage is 400 InvalidDigest, a wrong one 400 BadDigest", async () => {
  const { store, gateway } = await both(`
out["garbage"] = err(lambda: s3.put_object(Bucket=B, Key="md5/g", Body=b"abc", ContentMD5="garbage"))
out["wrong"] = err(lambda: s3.put_object(Bucket=B, Key="md5/w", Body=b"abc", ContentMD5=base64.b64encode(hashlib.md5(b"xyz").digest()).decode()))
out["right"] = err(lambda: s3.put_object(Bucket=B, Key="md5/r", Body=b"abc", ContentMD5=base64.b64encode(hashlib.md5(b"abc").digest()).decode()))
`);
  assert.deepEqual(gateway, { garbage: [400, "InvalidDigest"], wrong: [400, "BadDigest"], right: "ok" });
  assert.deepEqual(gateway, store);
});

test("an empty signed Content-Type is accepted", async () => {
  const { store, gateway } = await both(`
url = s3.meta.endpoint_url + "/" + B + "/ct/empty"
r = AWSRequest(method="PUT", url=url, data=b"abc", headers={"Content-Type": ""})
S3SigV4Auth(s3._request_signer._credentials, "s3", "us-east-1").add_auth(r)
assert "content-type;" in r.headers["Authorization"], r.headers["Authorization"]
resp = urllib3.request("PUT", url, body=b"abc", headers=dict(r.headers.items()))
out["status"] = resp.status
out["body"] = s3.get_object(Bucket=B, Key="ct/empty")["Body"].read().decode()
`);
  assert.deepEqual(gateway, { status: 200, body: "abc" });
  assert.deepEqual(gateway, store);
});

// ---------------------------------------------------------------------------------------------
// Cases a conformance sweep (ceph s3-tests' object cases, run against the store and through the
// gateway) found where the gateway lost what the store passes.

test("DeleteObjects with a body cut short (valid Content-MD5) is 400 MalformedXML and deletes nothing", async () => {
  const { store, gateway } = await both(`
import urllib3
def attempt(key):
    s3.put_object(Bucket=B, Key=key, Body=b"keep me")
    body = f"<Delete><Object><Key>{key}</Key>".encode()
    url = f"{s3.meta.endpoint_url}/{B}?delete"
    r = AWSRequest(method="POST", url=url, data=body, headers={"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(), "Content-Type": "application/xml"})
    S3SigV4Auth(s3._request_signer._credentials, "s3", "us-east-1").add_auth(r)
    resp = urllib3.request("POST", url, body=body, headers=dict(r.headers))
    kept = s3.get_object(Bucket=B, Key=key)["Body"].read().decode()
    return [resp.status, b"MalformedXML" in resp.data, kept]
out["cut"] = attempt("del/cut-short")
`);
  assert.deepEqual(gateway.cut, [400, true, "keep me"]);
  if (BACKEND === "s3") assert.deepEqual(store.cut, gateway.cut);
});

test("CopyObject with If-None-Match: * onto an existing key is 412 and the destination stays", async () => {
  const { store, gateway } = await both(`
s3.put_object(Bucket=B, Key="cpc/src", Body=b"new")
s3.put_object(Bucket=B, Key="cpc/dst", Body=b"old")
def copy():
    s3.copy_object(Bucket=B, Key="cpc/dst", CopySource={"Bucket": B, "Key": "cpc/src"}, IfNoneMatch="*")
out["exists"] = err(copy)
out["dst"] = s3.get_object(Bucket=B, Key="cpc/dst")["Body"].read().decode()
s3.delete_object(Bucket=B, Key="cpc/fresh")
out["fresh"] = err(lambda: s3.copy_object(Bucket=B, Key="cpc/fresh", CopySource={"Bucket": B, "Key": "cpc/src"}, IfNoneMatch="*"))
`);
  assert.deepEqual(gateway, { exists: [412, "PreconditionFailed"], dst: "old", fresh: "ok" });
  if (BACKEND === "s3") assert.deepEqual(store, gateway);
});

test("GET and HEAD ?partNumber= answer that part of a multipart object, as the store does", { skip: BACKEND === "r2" ? "R2's binding reads no parts (README: R2 binding)" : false }, async () => {
  const { store, gateway } = await both(`
mp = s3.create_multipart_upload(Bucket=B, Key="pn/obj")
p1 = s3.upload_part(Bucket=B, Key="pn/obj", UploadId=mp["UploadId"], PartNumber=1, Body=b"a" * (5 * 1024 * 1024))
p2 = s3.upload_part(Bucket=B, Key="pn/obj", UploadId=mp["UploadId"], PartNumber=2, Body=b"b" * 10)
s3.complete_multipart_upload(Bucket=B, Key="pn/obj", UploadId=mp["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
for i in range(2):  # twice: a part is never served from the cache as the whole object
    g = s3.get_object(Bucket=B, Key="pn/obj", PartNumber=2)
    out[f"get{i}"] = [g["ResponseMetadata"]["HTTPStatusCode"], g["ContentLength"], g["Body"].read().decode(), g.get("PartsCount"), g.get("ContentRange")]
h = s3.head_object(Bucket=B, Key="pn/obj", PartNumber=1)
out["head"] = [h["ResponseMetadata"]["HTTPStatusCode"], h["ContentLength"], h.get("PartsCount")]
w = s3.get_object(Bucket=B, Key="pn/obj")
out["whole"] = [w["ResponseMetadata"]["HTTPStatusCode"], w["ContentLength"]]
`);
  const part2 = [206, 10, "bbbbbbbbbb", 2, "bytes 5242880-5242889/5242890"];
  assert.deepEqual(gateway, { get0: part2, get1: part2, head: [206, 5242880, 2], whole: [200, 5242890] });
  assert.deepEqual(store, gateway);
});

test("a store's client error the gateway has no name for keeps its 4xx status and code (not a 502)", { skip: BACKEND === "r2" ? "S3 store errors" : false }, async () => {
  const { store, gateway } = await both(`
out["class"] = err(lambda: s3.put_object(Bucket=B, Key="se/bogus", Body=b"x", StorageClass="BOGUS"))
`);
  assert.equal(gateway.class[0], store.class[0]);
  assert.ok(gateway.class[0] >= 400 && gateway.class[0] < 500, JSON.stringify(gateway));
  assert.equal(gateway.class[1], store.class[1]);
});

test("a range past the end is 416 InvalidRange with Content-Range: bytes */size, as the store answers", async () => {
  const { store, gateway } = await both(`
s3.put_object(Bucket=B, Key="r416/obj", Body=b"hello world")
try:
    s3.get_object(Bucket=B, Key="r416/obj", Range="bytes=20-30")
    out["r"] = "ok"
except botocore.exceptions.ClientError as e:
    out["r"] = [e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPHeaders"].get("content-range")]
`);
  assert.deepEqual(gateway.r, [416, "InvalidRange", "bytes */11"]);
  if (BACKEND === "s3") assert.deepEqual(store.r, gateway.r);
});
