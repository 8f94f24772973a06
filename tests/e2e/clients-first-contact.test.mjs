// The first things S3 clients do, through bagroom as against the store: `aws s3 ls` and boto3's
// list_buckets (a signed `GET /`, which the demo page must not answer), header-signed SigV2
// (boto3 `signature_version='s3'`), and `Transfer-Encoding: chunked` PUTs without a length.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { S3Client, ListBucketsCommand } from "@aws-sdk/client-s3";
import {
  startGateway, createBucket, uniqueBucket, storeGet, storeKeys, storePut, python, aws, curl,
  GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET, runTool, BACKEND } from "./harness.mjs";

const bucket = uniqueBucket("first");
let gw, noV2;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
  noV2 = await startGateway({ bucket, vars: { BAGROOM_ALLOW_SIGV2: "false" } });
});
after(async () => {
  for (const g of [gw, noV2]) if (g) await g.close();
});

const run = runTool;

// ------------------------------------------------------------------------------------------
// ListBuckets: the worker runs first; the demo page is still served.

test("aws s3 ls (aws-cli v1 and v2) and s3api list-buckets list the bucket", async () => {
  let r = await aws(["s3", "ls"], gw.url);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`\\s${bucket}\\s*$`, "m"));
  r = await aws(["s3api", "list-buckets", "--query", "Buckets[].Name", "--output", "text"], gw.url);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), bucket);
  const env = { AWS_ACCESS_KEY_ID: GW_KEY, AWS_SECRET_ACCESS_KEY: GW_SECRET, AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" };
  const v2 = await run("/usr/bin/aws", ["--endpoint-url", gw.url, "--region", "us-east-1", "s3", "ls"], env);
  assert.equal(v2.status, 0, v2.err);
  assert.match(v2.out, new RegExp(`\\s${bucket}\\s*$`, "m"));
  // the same command against the store lists the bucket too (an S3 store: not on the R2 backend)
  if (BACKEND === "r2") return;
  const st = await aws(["s3", "ls"], STORE_URL, { AWS_ACCESS_KEY_ID: STORE_KEY, AWS_SECRET_ACCESS_KEY: STORE_SECRET });
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, new RegExp(`\\s${bucket}\\s*$`, "m"));
});

test("boto3 list_buckets (SigV4 and SigV2) and the JS SDK's ListBuckets", async () => {
  const out = await python(`
import boto3, botocore.config, json
names = []
for sv in ("s3v4", "s3"):
    c = boto3.client("s3", endpoint_url="${gw.url}", aws_access_key_id="${GW_KEY}", aws_secret_access_key="${GW_SECRET}",
                     region_name="us-east-1", config=botocore.config.Config(signature_version=sv, s3={"addressing_style": "path"}))
    names.append([b["Name"] for b in c.list_buckets()["Buckets"]])
print(json.dumps(names))
`);
  assert.deepEqual(JSON.parse(out), [[bucket], [bucket]]);
  const sdk = new S3Client({ endpoint: gw.url, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET } });
  const r = await sdk.send(new ListBucketsCommand({}));
  assert.deepEqual(r.Buckets.map((b) => b.Name), [bucket]);
  // a wrong signature on GET / is the worker's 403, not the demo page
  const wrong = new S3Client({ endpoint: gw.url, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: GW_KEY, secretAccessKey: "not-the-secret" } });
  await assert.rejects(wrong.send(new ListBucketsCommand({})), (e) => e.name === "SignatureDoesNotMatch" && e.$metadata.httpStatusCode === 403);
});

test("the demo page and its files still load (unsigned GET/HEAD, ?token=)", async () => {
  for (const p of ["/", "/?token=abc"]) {
    const r = await fetch(gw.url + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get("content-type"), /text\/html/);
    assert.match(await r.text(), /<html/i);
  }
  const h = await fetch(gw.url + "/", { method: "HEAD" });
  assert.equal(h.status, 200);
  assert.match(h.headers.get("content-type"), /text\/html/);
  const js = await fetch(gw.url + "/_bagroom/app.js");
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type"), /javascript/);
  // everything else is the worker's: anonymous GET / of a path that is no asset, health
  const hz = await fetch(gw.url + "/healthz");
  assert.equal(hz.status, 200);
  assert.equal((await hz.json()).service, "bagroom");
  // a signed request to /_bagroom/ is S3 (no such bucket), never the asset
  const signed = await curl(["-H", `Authorization: AWS ${GW_KEY}:x`, "-H", `Date: ${new Date().toUTCString()}`, `${gw.url}/_bagroom/app.js`]);
  assert.match(signed.stdout, /<Code>NoSuchBucket<\/Code>/);
});

// ------------------------------------------------------------------------------------------
// Header-signed SigV2.

const v2client = (url) => `
import boto3, botocore.config
s3 = boto3.client("s3", endpoint_url="${url}", aws_access_key_id="${GW_KEY}", aws_secret_access_key="${GW_SECRET}",
                  region_name="us-east-1", config=botocore.config.Config(signature_version="s3", s3={"addressing_style": "path"}))
`;

test("boto3 signature_version='s3': put, head, get, list, copy, multipart, delete", async () => {
  const out = await python(v2client(gw.url) + `
import json
B = "${bucket}"
r = {}
s3.put_object(Bucket=B, Key="v2/a b+c.txt", Body=b"hello sigv2", ContentType="text/plain", Metadata={"m": "1"})
h = s3.head_object(Bucket=B, Key="v2/a b+c.txt")
r["head"] = [h["ContentLength"], h["ContentType"], h["Metadata"]]
r["get"] = s3.get_object(Bucket=B, Key="v2/a b+c.txt")["Body"].read().decode()
s3.copy_object(Bucket=B, Key="v2/copy.txt", CopySource={"Bucket": B, "Key": "v2/a b+c.txt"})
r["list"] = [o["Key"] for o in s3.list_objects(Bucket=B, Prefix="v2/")["Contents"]]
r["list2"] = [o["Key"] for o in s3.list_objects_v2(Bucket=B, Prefix="v2/")["Contents"]]
u = s3.create_multipart_upload(Bucket=B, Key="v2/mp.bin")["UploadId"]
p1 = s3.upload_part(Bucket=B, Key="v2/mp.bin", UploadId=u, PartNumber=1, Body=b"a" * (5 * 1024 * 1024))
p2 = s3.upload_part(Bucket=B, Key="v2/mp.bin", UploadId=u, PartNumber=2, Body=b"b" * 10)
# ListParts: an R2 binding has none (S3 backend only)
if ${BACKEND === "s3" ? "True" : "False"}:
    r["parts"] = [p["PartNumber"] for p in s3.list_parts(Bucket=B, Key="v2/mp.bin", UploadId=u)["Parts"]]
s3.complete_multipart_upload(Bucket=B, Key="v2/mp.bin", UploadId=u,
    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
s3.delete_object(Bucket=B, Key="v2/copy.txt")
print(json.dumps(r))
`);
  const r = JSON.parse(out);
  assert.deepEqual(r.head, [11, "text/plain", { m: "1" }]);
  assert.equal(r.get, "hello sigv2");
  assert.deepEqual(r.list, ["v2/a b+c.txt", "v2/copy.txt"]);
  assert.deepEqual(r.list2, r.list);
  if (BACKEND === "s3") assert.deepEqual(r.parts, [1, 2]);
  // what the store holds
  assert.equal((await storeGet(bucket, "v2/a b+c.txt")).toString(), "hello sigv2");
  assert.equal((await storeGet(bucket, "v2/mp.bin")).length, 5 * 1024 * 1024 + 10);
  assert.deepEqual(await storeKeys(bucket, "v2/"), ["v2/a b+c.txt", "v2/mp.bin"]);
  // delete_objects (a signed ?delete and Content-MD5)
  await python(v2client(gw.url) + `
s3.delete_objects(Bucket="${bucket}", Delete={"Objects": [{"Key": "v2/a b+c.txt"}, {"Key": "v2/mp.bin"}]})
`);
  assert.deepEqual(await storeKeys(bucket, "v2/"), []);
});

test("header-signed SigV2: a tampered request fails; BAGROOM_ALLOW_SIGV2=false refuses it", async () => {
  await storePut(bucket, "v2t/x.txt", "x");
  // signed for one key, sent for another
  const date = new Date().toUTCString();
  const sts = `GET\n\n\n${date}\n/${bucket}/v2t/x.txt`;
  const sig = createHmac("sha1", GW_SECRET).update(sts).digest("base64");
  const get = (p, extra = []) => curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", `Date: ${date}`,
    "-H", `Authorization: AWS ${GW_KEY}:${sig}`, ...extra, `${gw.url}${p}`]);
  assert.equal((await get(`/${bucket}/v2t/x.txt`)).stdout, "200");
  assert.equal((await get(`/${bucket}/v2t/other.txt`)).stdout, "403");
  // an x-amz-* header added after signing is not signed, so the signature fails
  assert.equal((await get(`/${bucket}/v2t/x.txt`, ["-H", "x-amz-request-payer: requester"])).stdout, "403");
  // a stale Date: RequestTimeTooSkewed
  const old = new Date(Date.now() - 20 * 60 * 1000).toUTCString();
  const oldSig = createHmac("sha1", GW_SECRET).update(`GET\n\n\n${old}\n/${bucket}/v2t/x.txt`).digest("base64");
  const skew = await curl(["-H", `Date: ${old}`, "-H", `Authorization: AWS ${GW_KEY}:${oldSig}`, `${gw.url}/${bucket}/v2t/x.txt`]);
  assert.match(skew.stdout, /<Code>RequestTimeTooSkewed<\/Code>/);
  // turned off
  await assert.rejects(python(v2client(noV2.url) + `s3.list_objects(Bucket="${bucket}")`), /AccessDenied/);
  await python(v2client(noV2.url).replace('signature_version="s3"', 'signature_version="s3v4"') + `s3.list_objects(Bucket="${bucket}")`);
});

// ------------------------------------------------------------------------------------------
// Transfer-Encoding: chunked, no length.

class Sha256 {
  constructor(secret) { this.h = secret ? createHmac("sha256", Buffer.from(secret)) : createHash("sha256"); }
  update(d) { this.h.update(typeof d === "string" ? d : Buffer.from(d)); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

/**
 * A SigV4-signed (UNSIGNED-PAYLOAD) PUT whose body goes chunked, with no Content-Length. With
 * `cut`, the connection is dropped after the chunks instead of ending the body.
 */
async function chunkedPut(base, keyId, secret, path, chunks, headers = {}, cut = false) {
  const u = new URL(base);
  const signer = new SignatureV4({ credentials: { accessKeyId: keyId, secretAccessKey: secret }, region: "us-east-1",
    service: "s3", sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign({ method: "PUT", protocol: "http:", hostname: u.hostname, port: Number(u.port), path,
    headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...headers } });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: "PUT", path,
      headers: { ...signed.headers, "transfer-encoding": "chunked" } }, (res) => {
      const out = [];
      res.on("data", (d) => out.push(d));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(out).toString() }));
    });
    req.on("error", (e) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? null : reject(e)));
    (async () => {
      // (node buffers what the socket does not take: waiting for 'drain' could wait forever on a
      // server that answers before reading the body, as bagroom's 411 does)
      for (const c of chunks) {
        req.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (!cut) return req.end();
      await new Promise((r) => setTimeout(r, 300));
      req.socket.destroy();
      resolve({ status: 0, body: "" });
    })().catch(() => {});
  });
}

// bagroom keeps the 411 for a body without a length (src/upload/plan.rs): the store takes a
// chunked PUT, and discards one cut short, but workerd ends a chunked store request whose body
// stream fails as if it had ended, so a body bagroom cut at its limit (or a client cut) would be
// stored truncated. A first version that streamed such bodies stored 600 of 1001 bytes here.
// (a cut chunked body sent straight to the store is dropped by it; that probe can hang on a
// loaded machine, so it is not part of the suite: the point here is bagroom's 411)
test("a chunked PUT without a length: the store takes it; bagroom answers 411", { timeout: 60_000 }, async () => {
  const chunks = [randomBytes(300), randomBytes(70000), randomBytes(5)];
  const whole = Buffer.concat(chunks);
  let r;
  if (BACKEND === "s3") { // (the store's side needs an S3 store)
    r = await chunkedPut(STORE_URL, STORE_KEY, STORE_SECRET, `/${bucket}/te/store.bin`, chunks);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(await storeGet(bucket, "te/store.bin"), whole);
  }
  // through bagroom: 411, nothing stored, an existing object untouched
  await storePut(bucket, "te/keep.bin", "previous");
  for (const key of ["te/gw.bin", "te/keep.bin"]) {
    r = await chunkedPut(gw.url, GW_KEY, GW_SECRET, `/${bucket}/${key}`, chunks, { "content-type": "application/x-test" });
    assert.equal(r.status, 411, r.body);
    assert.match(r.body, /<Code>MissingContentLength<\/Code>/);
  }
  assert.deepEqual(await storeKeys(bucket, "te/gw"), []);
  assert.equal((await storeGet(bucket, "te/keep.bin")).toString(), "previous");
  // aws-chunked framing needs x-amz-decoded-content-length, as S3 requires
  r = await chunkedPut(gw.url, GW_KEY, GW_SECRET, `/${bucket}/te/awschunked.bin`, ["5\r\nhello\r\n0\r\n\r\n"],
    { "content-encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER" });
  assert.equal(r.status, 411, r.body);
  assert.match(r.body, /<Code>MissingContentLength<\/Code>/);
  assert.deepEqual(await storeKeys(bucket, "te/awschunked"), []);
});
