// Virtual-hosted requests (`<bucket>.<gateway host>/<key>`), routed when BAGROOM_VIRTUAL_HOST names
// the gateway's hostname: boto3 presigns in virtual style (SigV4 and SigV2) and curl fetches the
// URL with the hostname resolved to the test gateway.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startGateway, createBucket, storePut, uniqueBucket, python, curl, GW_KEY, GW_SECRET, mint, ROOT } from "./harness.mjs";

const bucket = uniqueBucket("vhost");
const SUFFIX = "gw.bagroom.test";
const body = randomBytes(4096);
let gw, port;

before(async () => {
  await createBucket(bucket);
  await storePut(bucket, "dir/a b+c.bin", body);
  gw = await startGateway({ bucket, vars: { BAGROOM_VIRTUAL_HOST: SUFFIX } });
  port = new URL(gw.url).port;
});
after(async () => gw && gw.close());

async function presign(signatureVersion) {
  return (await python(`
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://${SUFFIX}:${port}", region_name="us-east-1",
  aws_access_key_id="${GW_KEY}", aws_secret_access_key="${GW_SECRET}",
  config=Config(signature_version="${signatureVersion}", s3={"addressing_style": "virtual"}))
print(s3.generate_presigned_url("get_object", Params={"Bucket": "${bucket}", "Key": "dir/a b+c.bin"}, ExpiresIn=300))
`)).trim();
}

async function fetchVia(url, extra = []) {
  // send to the test gateway whatever the hostname says, keeping the Host header
  const r = await curl(["--connect-to", `::127.0.0.1:${port}`, "-o", "-", "-w", "\n%{http_code}", ...extra, url]);
  const i = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(i + 1)), text: r.stdout.slice(0, i) };
}

test("boto3 virtual-hosted presigned URLs (SigV4 and SigV2) download through the gateway", async () => {
  for (const v of ["s3v4", "s3"]) {
    const url = await presign(v);
    assert.ok(url.startsWith(`http://${bucket}.${SUFFIX}:${port}/dir/`), url);
    const out = path.join(ROOT, ".bagroom/tmp", `vhost-${bucket}-${v}.bin`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const r = await curl(["--connect-to", `::127.0.0.1:${port}`, "-o", out, "-w", "%{http_code}", url]);
    assert.equal(r.stdout, "200", `${v}: ${r.stderr}`);
    assert.deepEqual(fs.readFileSync(out), body, v);
  }
});

test("a virtual-hosted URL signed for another bucket is refused", async () => {
  const url = (await presign("s3v4")).replace(`http://${bucket}.`, `http://other.`);
  const r = await fetchVia(url);
  assert.equal(r.status, 404, r.text);
  assert.match(r.text, /NoSuchBucket/);
});

test("a token works on a virtual-hosted path; path style keeps working", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "dir/"]);
  const v = await fetchVia(`http://${bucket}.${SUFFIX}:${port}/dir/a%20b%2Bc.bin?token=${t}`);
  assert.equal(v.status, 200);
  const p = await fetch(`${gw.url}/${bucket}/dir/a%20b%2Bc.bin?token=${t}`);
  assert.equal(p.status, 200);
  assert.deepEqual(Buffer.from(await p.arrayBuffer()), body);
});
