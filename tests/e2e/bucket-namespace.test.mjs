// The bucket namespace (BAGROOM_BUCKET_NAMESPACE, BAGROOM_BUCKET_ADMINS): client bucket names that
// are not configured map to store buckets by a rule, for the access keys named as admins. The
// script a boto3 user writes first (create_bucket, upload_file, head_object, a presigned GET,
// delete_object, delete_bucket) runs with only endpoint_url changed; aws-cli `s3 mb/ls/rb` and the
// JS SDK too. Every refusal is checked against the store directly: nothing made, nothing removed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, DeleteBucketCommand, ListBucketsCommand, PutObjectCommand, GetObjectCommand, DeleteObjectCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  startGateway, createBucket, storePut, storeKeys, uniqueBucket, python, aws, mint, store, botoCall, GW_KEY, GW_SECRET,
} from "./harness.mjs";

const configured = uniqueBucket("nscfg");
// every store bucket this suite's namespace makes starts with this prefix
const prefix = `ns${randomBytes(3).toString("hex")}-`;
const OTHER_KEY = "BAGROOMNOTADMIN00001";
const OTHER_SECRET = "not-an-admin/secret+0123456789abcdefgh";
let gw;

async function storeHasBucket(name) {
  try {
    await store.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (e) {
    if (e.$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

async function storeBucketNames() {
  const r = await store.send(new ListBucketsCommand({}));
  return (r.Buckets || []).map((b) => b.Name);
}

function client(key = GW_KEY, secret = GW_SECRET) {
  return new S3Client({ endpoint: gw.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: key, secretAccessKey: secret } });
}

before(async () => {
  await createBucket(configured);
  gw = await startGateway({
    bucket: configured,
    vars: { BAGROOM_BUCKET_NAMESPACE: `prefix:${prefix}`, BAGROOM_BUCKET_ADMINS: GW_KEY },
    secrets: { BAGROOM_ACCESS_KEYS: `${GW_KEY}:${GW_SECRET},${OTHER_KEY}:${OTHER_SECRET}` },
  });
});
after(async () => gw && gw.close());

test("the first boto3 script runs unmodified but for endpoint_url, and its bucket is the rule's store bucket", async () => {
  const name = `scratch-${randomBytes(4).toString("hex")}`;
  const out = await python(`
import boto3, json, os, tempfile, urllib.request, uuid
s3 = boto3.client("s3", endpoint_url="${gw.url}", region_name="us-east-1",
                  aws_access_key_id="${GW_KEY}", aws_secret_access_key="${GW_SECRET}")
bucket = "${name}"
s3.create_bucket(Bucket=bucket)
path = os.path.join(tempfile.mkdtemp(), "hello.txt")
with open(path, "wb") as f:
    f.write(b"hello from a new bucket")
s3.upload_file(path, bucket, "docs/hello.txt")
head = s3.head_object(Bucket=bucket, Key="docs/hello.txt")
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "docs/hello.txt"}, ExpiresIn=300)
body = urllib.request.urlopen(url).read().decode()
listed = [b["Name"] for b in s3.list_buckets()["Buckets"]]
print(json.dumps({"size": head["ContentLength"], "body": body, "listed": bucket in listed}))
s3.delete_object(Bucket=bucket, Key="docs/hello.txt")
s3.delete_bucket(Bucket=bucket)
print(json.dumps({"done": True}))
`);
  const [first, second] = out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(first, { size: 23, body: "hello from a new bucket", listed: true });
  assert.deepEqual(second, { done: true });
  assert.equal(await storeHasBucket(prefix + name), false, "deleted in the store");
  assert.equal(await storeHasBucket(name), false, "the rule's name, never the client's, is made in the store");
});

test("the JS SDK creates, heads, uses, lists and deletes a namespace bucket; the store holds it under the prefix", async () => {
  const s3 = client();
  const name = `js-${randomBytes(4).toString("hex")}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  assert.equal(await storeHasBucket(prefix + name), true);
  await s3.send(new HeadBucketCommand({ Bucket: name }));
  await s3.send(new PutObjectCommand({ Bucket: name, Key: "a.txt", Body: "A" }));
  assert.deepEqual(await storeKeys(prefix + name), ["a.txt"]);
  const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: "a.txt" }));
  assert.equal(await got.Body.transformToString(), "A");
  const presigned = await getSignedUrl(s3, new GetObjectCommand({ Bucket: name, Key: "a.txt" }), { expiresIn: 60 });
  assert.equal(await (await fetch(presigned)).text(), "A");
  const names = (await s3.send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
  assert.ok(names.includes(name) && names.includes(configured), JSON.stringify(names));
  assert.ok(!names.some((n) => n.startsWith(prefix)), "store names are never shown");
  // a bucket that still holds objects is not deleted
  const notEmpty = await s3.send(new DeleteBucketCommand({ Bucket: name })).catch((e) => e);
  assert.equal(notEmpty.name, "BucketNotEmpty");
  assert.equal(await storeHasBucket(prefix + name), true);
  // the same name again: the store's answer to its owner
  const again = await s3.send(new CreateBucketCommand({ Bucket: name })).catch((e) => e);
  assert.equal(again.$metadata.httpStatusCode, 409, String(again));
  await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "a.txt" }));
  await s3.send(new DeleteBucketCommand({ Bucket: name }));
  assert.equal(await storeHasBucket(prefix + name), false);
  const gone = await s3.send(new HeadBucketCommand({ Bucket: name })).catch((e) => e);
  assert.equal(gone.$metadata.httpStatusCode, 404);
});

test("aws-cli s3 mb, ls and rb --force", async () => {
  const name = `cli-${randomBytes(4).toString("hex")}`;
  const mb = await aws(["s3", "mb", `s3://${name}`], gw.url);
  assert.equal(mb.status, 0, mb.stderr);
  assert.equal(await storeHasBucket(prefix + name), true);
  await storePut(prefix + name, "x/y.txt", "y");
  const ls = await aws(["s3", "ls"], gw.url);
  assert.equal(ls.status, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`\\s${name}\\n`));
  assert.match(ls.stdout, new RegExp(`\\s${configured}\\n`));
  const rb = await aws(["s3", "rb", `s3://${name}`, "--force"], gw.url);
  assert.equal(rb.status, 0, rb.stderr);
  assert.equal(await storeHasBucket(prefix + name), false);
});

test("CreateBucket on a configured bucket answers as S3 answers its owner, and nobody deletes it", async () => {
  const s3 = client();
  const e = await s3.send(new CreateBucketCommand({ Bucket: configured })).catch((x) => x);
  assert.equal(e.name, "BucketAlreadyOwnedByYou");
  assert.equal(e.$metadata.httpStatusCode, 409);
  const d = await s3.send(new DeleteBucketCommand({ Bucket: configured })).catch((x) => x);
  assert.equal(d.name, "AccessDenied");
  assert.equal(await storeHasBucket(configured), true);
  // HeadBucket of the configured bucket answers from the configuration, for any access key
  await client(OTHER_KEY, OTHER_SECRET).send(new HeadBucketCommand({ Bucket: configured }));
});

test("only the admins reach the namespace: other access keys, tokens and anonymous callers make nothing", async () => {
  const name = `deny-${randomBytes(4).toString("hex")}`;
  const other = client(OTHER_KEY, OTHER_SECRET);
  for (const cmd of [new CreateBucketCommand({ Bucket: name }), new HeadBucketCommand({ Bucket: name }), new PutObjectCommand({ Bucket: name, Key: "k", Body: "x" })]) {
    const e = await other.send(cmd).catch((x) => x);
    assert.equal(e.$metadata.httpStatusCode, 403, `${cmd.constructor.name}: ${e}`);
  }
  const anon = await fetch(`${gw.url}/${name}`, { method: "PUT" });
  assert.equal(anon.status, 403);
  assert.match(await anon.text(), /AccessDenied/);
  const t = mint(["--bucket", configured, "--prefix", ""]);
  const tok = await fetch(`${gw.url}/${name}?token=${t}`, { method: "PUT" });
  assert.equal(tok.status, 403);
  assert.equal(await storeHasBucket(prefix + name), false, "nothing was made in the store");
  // non-admins list the configured buckets only
  const listed = (await other.send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
  assert.deepEqual(listed, [configured]);
});

test("an admin cannot reach a configured bucket's store bucket under another name, nor delete other store buckets", async () => {
  // a store bucket outside the rule's prefix: the namespace never names it
  const outside = uniqueBucket("nsout");
  await createBucket(outside);
  const s3 = client();
  const e = await s3.send(new DeleteBucketCommand({ Bucket: outside })).catch((x) => x);
  assert.equal(e.$metadata.httpStatusCode, 404, "the client name maps to prefix+name, which does not exist");
  assert.equal(await storeHasBucket(outside), true);
  // names that are no valid new bucket names are refused before the store
  const before = await storeBucketNames();
  const out = await botoCall(gw.url, `out([call("create_bucket", Bucket=b) for b in ["Bad_Name", "ab", "a..b", "192.168.1.1", "x-"]])`);
  for (const r of out) assert.equal(r.err, "InvalidBucketName", JSON.stringify(r));
  const madeNow = (await storeBucketNames()).filter((n) => !before.includes(n) && n.startsWith(prefix));
  assert.deepEqual(madeNow, []);
});

test("a share token stays bound to the namespace bucket it names", async () => {
  const s3 = client();
  const a = `tok-a-${randomBytes(3).toString("hex")}`;
  const b = `tok-b-${randomBytes(3).toString("hex")}`;
  await s3.send(new CreateBucketCommand({ Bucket: a }));
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  await storePut(prefix + a, "f.txt", "in a");
  await storePut(prefix + b, "f.txt", "in b");
  const t = mint(["--bucket", a, "--prefix", ""]);
  const ok = await fetch(`${gw.url}/${a}/f.txt?token=${t}`);
  assert.equal(await ok.text(), "in a");
  const cross = await fetch(`${gw.url}/${b}/f.txt?token=${t}`);
  assert.equal(cross.status, 403);
  assert.doesNotMatch(await cross.text(), /in b/);
  const share = await fetch(`${gw.url}/s/${t}/f.txt`);
  assert.equal(await share.text(), "in a");
  // a token may not create or delete buckets, even its own
  const del = await fetch(`${gw.url}/${a}?token=${t}`, { method: "DELETE" });
  assert.equal(del.status, 403);
  assert.equal(await storeHasBucket(prefix + a), true);
  for (const n of [a, b]) {
    await aws(["s3", "rb", `s3://${n}`, "--force"], gw.url);
    assert.equal(await storeHasBucket(prefix + n), false);
  }
});

test("without a namespace, CreateBucket says how to turn it on and makes nothing", async () => {
  const plain = await startGateway({ bucket: configured });
  try {
    const name = `off-${randomBytes(4).toString("hex")}`;
    const s3 = new S3Client({ endpoint: plain.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET } });
    const e = await s3.send(new CreateBucketCommand({ Bucket: name })).catch((x) => x);
    assert.equal(e.name, "AccessDenied");
    assert.equal(await storeHasBucket(name), false);
    const h = await s3.send(new HeadBucketCommand({ Bucket: name })).catch((x) => x);
    assert.equal(h.$metadata.httpStatusCode, 404);
  } finally {
    await plain.close();
  }
});
