// Bucket-level operations clients use for housekeeping: DeleteObjects (boto3, `aws s3 rm
// --recursive`, and a token whose scope covers only some of the keys) and GetBucketLocation.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, createBucket, storePut, storeKeys, uniqueBucket, python, aws, mint, GW_KEY, GW_SECRET } from "./harness.mjs";

const bucket = uniqueBucket("bops");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

const boto = (code) => python(`
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${gw.url}", region_name="us-east-1", aws_access_key_id="${GW_KEY}",
  aws_secret_access_key="${GW_SECRET}", config=Config(s3={"addressing_style": "path"}))
${code}`);

test("boto3 delete_objects removes every key and purges the cached copies", async () => {
  for (const k of ["del/a.txt", "del/b c.txt", "del/ü+.txt"]) await storePut(bucket, k, `body of ${k}`);
  const t = mint(["--bucket", bucket, "--prefix", "del/"]);
  const first = await fetch(`${gw.url}/${bucket}/del/a.txt?token=${t}`);
  assert.equal(first.status, 200);
  await first.arrayBuffer();
  const out = JSON.parse(await boto(`
r = s3.delete_objects(Bucket="${bucket}", Delete={"Objects": [{"Key": "del/a.txt"}, {"Key": "del/b c.txt"}, {"Key": "del/ü+.txt"}]})
print(json.dumps({"deleted": sorted(d["Key"] for d in r.get("Deleted", [])), "errors": r.get("Errors", [])}))`));
  assert.deepEqual(out.deleted, ["del/a.txt", "del/b c.txt", "del/ü+.txt"]);
  assert.deepEqual(out.errors, []);
  assert.deepEqual(await storeKeys(bucket, "del/"), []);
  const after = await fetch(`${gw.url}/${bucket}/del/a.txt?token=${t}`);
  assert.equal(after.status, 404, "the cached copy was purged");
});

test("a token deletes only inside its scope; the others are per-key AccessDenied errors", async () => {
  await storePut(bucket, "mine/1.txt", "1");
  await storePut(bucket, "theirs/1.txt", "1");
  const t = mint(["--bucket", bucket, "--prefix", "mine/", "--methods", "GET,DELETE"]);
  const body = `<Delete><Object><Key>mine/1.txt</Key></Object><Object><Key>theirs/1.txt</Key></Object></Delete>`;
  const r = await fetch(`${gw.url}/${bucket}?delete&token=${t}`, { method: "POST", body, headers: { "content-type": "application/xml" } });
  assert.equal(r.status, 200);
  const xml = await r.text();
  assert.match(xml, /<Deleted><Key>mine\/1.txt<\/Key><\/Deleted>/);
  assert.match(xml, /<Error><Key>theirs\/1.txt<\/Key><Code>AccessDenied<\/Code>/);
  assert.deepEqual(await storeKeys(bucket, "mine/"), []);
  assert.deepEqual(await storeKeys(bucket, "theirs/"), ["theirs/1.txt"]);
  const noDelete = mint(["--bucket", bucket, "--prefix", "theirs/", "--methods", "GET"]);
  const r2 = await fetch(`${gw.url}/${bucket}?delete&token=${noDelete}`, { method: "POST", body: `<Delete><Object><Key>theirs/1.txt</Key></Object></Delete>` });
  assert.match(await r2.text(), /<Code>AccessDenied<\/Code>/);
  assert.deepEqual(await storeKeys(bucket, "theirs/"), ["theirs/1.txt"]);
  const bad = await fetch(`${gw.url}/${bucket}?delete&token=${t}`, { method: "POST", body: "<nope" });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /MalformedXML/);
});

test("aws s3 rm --recursive empties a prefix through the gateway", async () => {
  for (let i = 0; i < 5; i++) await storePut(bucket, `rm/dir/f${i}.txt`, `${i}`);
  await storePut(bucket, "rm/keep.txt", "keep");
  const r = await aws(["s3", "rm", "--recursive", `s3://${bucket}/rm/dir/`], gw.url);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await storeKeys(bucket, "rm/"), ["rm/keep.txt"]);
});

test("GetBucketLocation answers the gateway's region", async () => {
  const out = JSON.parse(await boto(`print(json.dumps(s3.get_bucket_location(Bucket="${bucket}").get("LocationConstraint")))`));
  assert.equal(out, null, "us-east-1 is the empty constraint");
});
