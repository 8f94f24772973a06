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
  DeleteObjectsCommand, CopyObjectCommand, CreateMultipartUploadCommand, ListObjectsV2Command, ListMultipartUploadsCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  startGateway, createBucket, storePut, storeKeys, storeGet, uniqueBucket, python, aws, mint, store, botoCall, curl, GW_KEY, GW_SECRET, STORE_URL,
} from "./harness.mjs";

const configured = uniqueBucket("nscfg");
// every store bucket this suite's namespace makes starts with this prefix
const prefix = `ns${randomBytes(3).toString("hex")}-`;
const OTHER_KEY = "BAGROOMNOTADMIN00001";
const OTHER_SECRET = "not-an-admin/secret+0123456789abcdefgh";
// virtual-hosted requests: <bucket>.VHOST
const VHOST = "ns.bagroom.test";
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
    vars: { BAGROOM_BUCKET_NAMESPACE: `prefix:${prefix}`, BAGROOM_BUCKET_ADMINS: GW_KEY, BAGROOM_VIRTUAL_HOST: VHOST },
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

// ---------------------------------------------------------------------------------- attacks

/** A namespace bucket made by the admin, holding `secret.txt` and `up/a.txt` (put in the store directly). */
async function victimBucket(tag) {
  const name = `${tag}-${randomBytes(4).toString("hex")}`;
  await client().send(new CreateBucketCommand({ Bucket: name }));
  await storePut(prefix + name, "secret.txt", "the secret");
  await storePut(prefix + name, "up/a.txt", "a");
  return name;
}

async function storeUploads(bucket) {
  const r = await store.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (r.Uploads || []).map((u) => u.Key);
}

/** boto3's generate_presigned_post against the gateway for `bucket`, signed with `key`/`secret`. */
async function presignedPost(bucket, key, secret) {
  return JSON.parse(await python(`
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${gw.url}", region_name="us-east-1", aws_access_key_id="${key}",
  aws_secret_access_key="${secret}", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
print(json.dumps(s3.generate_presigned_post(Bucket="${bucket}", Key="up/\${filename}", ExpiresIn=600)))
`));
}

async function postForm(url, fields, body, headers = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append("file", new Blob([body], { type: "text/plain" }), "posted.txt");
  const r = await fetch(url, { method: "POST", body: fd, headers, redirect: "manual" });
  return { status: r.status, text: await r.text() };
}

test("a POST form signed by a non-admin key writes nothing into a namespace bucket, whatever token rides along", async () => {
  const name = await victimBucket("form");
  const other = await presignedPost(name, OTHER_KEY, OTHER_SECRET);
  const expired = mint(["--bucket", name, "--prefix", "", "--methods", "GET", "--exp", "1000"]);
  const reader = mint(["--bucket", name, "--prefix", "", "--methods", "GET"]);
  const tries = [
    ["no credential", `${gw.url}/${name}`, {}],
    ["a read-only token naming the bucket", `${gw.url}/${name}`, { authorization: `Bearer ${reader}` }],
    ["an expired token naming the bucket", `${gw.url}/${name}`, { authorization: `Bearer ${expired}` }],
    // a browser's share cookie for the bucket (Path=/<bucket>/) rides along to /<bucket>/
    ["the share cookie", `${gw.url}/${name}/`, { cookie: `bagroom_token=${reader}` }],
  ];
  for (const [what, url, headers] of tries) {
    const r = await postForm(url, other.fields, "forged", headers);
    assert.equal(r.status, 403, `${what}: ${r.status} ${r.text}`);
    assert.match(r.text, /AccessDenied/, what);
  }
  assert.deepEqual((await storeKeys(prefix + name)).sort(), ["secret.txt", "up/a.txt"], "nothing was written");
  // the same form signed by the admin, with the same token along, is written (the path works)
  const admin = await presignedPost(name, GW_KEY, GW_SECRET);
  const ok = await postForm(`${gw.url}/${name}`, admin.fields, "by the admin", { authorization: `Bearer ${reader}` });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await storeGet(prefix + name, "up/posted.txt")).toString(), "by the admin");
  await aws(["s3", "rb", `s3://${name}`, "--force"], gw.url);
});

test("a non-admin access key reads, lists, copies, deletes and uploads nothing of a namespace bucket", async () => {
  const name = await victimBucket("nonadmin");
  const other = client(OTHER_KEY, OTHER_SECRET);
  const cmds = [
    new GetObjectCommand({ Bucket: name, Key: "secret.txt" }),
    new ListObjectsV2Command({ Bucket: name }),
    new DeleteObjectCommand({ Bucket: name, Key: "secret.txt" }),
    new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: "secret.txt" }, { Key: "up/a.txt" }] } }),
    new CopyObjectCommand({ Bucket: name, Key: "copied.txt", CopySource: `${configured}/cfg.txt` }),
    new CreateMultipartUploadCommand({ Bucket: name, Key: "mp.bin" }),
    new ListMultipartUploadsCommand({ Bucket: name }),
    new DeleteBucketCommand({ Bucket: name }),
  ];
  await storePut(configured, "cfg.txt", "the configured bucket's object");
  for (const cmd of cmds) {
    const e = await other.send(cmd).then((r) => ({ served: r }), (x) => x);
    assert.equal(e.$metadata?.httpStatusCode, 403, `${cmd.constructor.name}: ${JSON.stringify(e.served ?? String(e))}`);
  }
  // a copy into the configured bucket (which the key may write) from the namespace bucket: no such source
  const cp = await other.send(new CopyObjectCommand({ Bucket: configured, Key: "stolen.txt", CopySource: `${name}/secret.txt` })).catch((x) => x);
  assert.equal(cp.name, "NoSuchBucket", String(cp));
  // ... nor from its store bucket's name
  const cp2 = await other.send(new CopyObjectCommand({ Bucket: configured, Key: "stolen2.txt", CopySource: `${prefix}${name}/secret.txt` })).catch((x) => x);
  assert.equal(cp2.name, "NoSuchBucket", String(cp2));
  assert.deepEqual((await storeKeys(configured)).filter((k) => k.startsWith("stolen")), []);
  assert.deepEqual((await storeKeys(prefix + name)).sort(), ["secret.txt", "up/a.txt"]);
  assert.deepEqual(await storeUploads(prefix + name), []);
  assert.equal(await storeHasBucket(prefix + name), true);
  // the store bucket's own name is no way in either: it maps to prefix + prefix + name
  const viaStoreName = await other.send(new GetObjectCommand({ Bucket: prefix + name, Key: "secret.txt" })).catch((x) => x);
  assert.equal(viaStoreName.$metadata.httpStatusCode, 403);
  const adminViaStoreName = await client().send(new GetObjectCommand({ Bucket: prefix + name, Key: "secret.txt" })).catch((x) => x);
  assert.equal(adminViaStoreName.$metadata.httpStatusCode, 404, String(adminViaStoreName));
  await aws(["s3", "rb", `s3://${name}`, "--force"], gw.url);
});

test("tokens and anonymous callers, by path (encoded, upper case), virtual host or cookie, reach only the bucket a token names", async () => {
  const name = await victimBucket("reach");
  const port = new URL(gw.url).port;
  // every method, so that each refusal is the bucket's or the scope's
  const all = ["--methods", "GET,HEAD,PUT,POST,DELETE,LIST"];
  const anyBucket = mint(["--prefix", "", ...all]);
  const cfgToken = mint(["--bucket", configured, "--prefix", "", ...all]);
  const upOnly = mint(["--bucket", name, "--prefix", "up/", ...all]);
  const cookie = mint(["--bucket", name, "--prefix", "", ...all]);
  const encoded = [...name].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  const fetched = async (method, url, headers = {}, body) => {
    const r = await fetch(url, { method, headers, body });
    return { status: r.status, text: await r.text() };
  };
  const via = async (method, host, pathAndQuery, extra = []) => {
    const r = await curl(["--connect-to", `::127.0.0.1:${port}`, "-X", method, "-o", "-", "-w", "\n%{http_code}", ...extra, `http://${host}:${port}${pathAndQuery}`]);
    const i = r.stdout.lastIndexOf("\n");
    return { status: Number(r.stdout.slice(i + 1)), text: r.stdout.slice(0, i) };
  };
  const refused = [
    ["anonymous GET", () => fetched("GET", `${gw.url}/${name}/secret.txt`)],
    ["anonymous GET, name percent-encoded", () => fetched("GET", `${gw.url}/${encoded}/secret.txt`)],
    ["anonymous PUT, virtual-hosted", () => via("PUT", `${name}.${VHOST}`, "/planted.txt", ["--data-binary", "x"])],
    ["anonymous GET, virtual-hosted", () => via("GET", `${name}.${VHOST}`, "/secret.txt")],
    ["a token for any bucket: GET", () => fetched("GET", `${gw.url}/${name}/secret.txt?token=${anyBucket}`)],
    ["a token for any bucket: PUT", () => fetched("PUT", `${gw.url}/${name}/planted.txt?token=${anyBucket}`, {}, "x")],
    ["a token for any bucket: DELETE", () => fetched("DELETE", `${gw.url}/${name}/secret.txt?token=${anyBucket}`)],
    ["a token for any bucket: list, virtual-hosted", () => via("GET", `${name}.${VHOST}`, `/?token=${anyBucket}`)],
    ["a configured bucket's token", () => fetched("GET", `${gw.url}/${name}/secret.txt?token=${cfgToken}`)],
    ["a configured bucket's token, encoded name", () => fetched("GET", `${gw.url}/${encoded}/secret.txt?token=${cfgToken}`)],
    ["a scoped token outside its scope", () => fetched("GET", `${gw.url}/${name}/secret.txt?token=${upOnly}`)],
    ["a scoped token, copying from outside its scope", () => fetched("PUT", `${gw.url}/${name}/up/copy.txt?token=${upOnly}`, { "x-amz-copy-source": `/${name}/secret.txt` })],
    ["a scoped token, copying from a configured bucket", () => fetched("PUT", `${gw.url}/${name}/up/copy2.txt?token=${upOnly}`, { "x-amz-copy-source": `/${configured}/cfg.txt` })],
    ["the share cookie writes nothing", () => fetched("PUT", `${gw.url}/${name}/planted.txt`, { cookie: `bagroom_token=${cookie}` }, "x")],
    ["the share cookie deletes nothing", () => fetched("DELETE", `${gw.url}/${name}/secret.txt`, { cookie: `bagroom_token=${cookie}` })],
  ];
  await storePut(configured, "cfg.txt", "the configured bucket's object");
  for (const [what, go] of refused) {
    const r = await go();
    assert.ok([403, 404, 400].includes(r.status), `${what}: ${r.status} ${r.text}`);
    assert.doesNotMatch(r.text, /the secret|bucket's object/, what);
  }
  // upper case names are no names the rule takes
  const upper = await fetched("GET", `${gw.url}/${name.toUpperCase()}/secret.txt?token=${cookie}`);
  assert.equal(upper.status, 400, upper.text);
  assert.match(upper.text, /InvalidBucketName/);
  // DeleteObjects by the scoped token: only what is in its scope goes
  const del = await python(`
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${gw.url}", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y",
  config=Config(signature_version=__import__("botocore").UNSIGNED, s3={"addressing_style": "path"}))
s3.meta.events.register("before-sign.s3.*", lambda request, **kw: request.headers.__setitem__("Authorization", "Bearer ${upOnly}"))
r = s3.delete_objects(Bucket="${name}", Delete={"Objects": [{"Key": "up/a.txt"}, {"Key": "secret.txt"}]})
print(json.dumps({"deleted": [d["Key"] for d in r.get("Deleted", [])], "errors": [e["Key"] for e in r.get("Errors", [])]}))
`);
  assert.deepEqual(JSON.parse(del), { deleted: ["up/a.txt"], errors: ["secret.txt"] });
  assert.deepEqual(await storeKeys(prefix + name), ["secret.txt"], "the store holds what it held, but up/a.txt");
  // and what a token naming the bucket may do, it does (the refusals above are not everything refused)
  const own = await fetched("GET", `${gw.url}/${encoded}/secret.txt?token=${cookie}`);
  assert.equal(own.text, "the secret");
  const ownVhost = await via("GET", `${name}.${VHOST}`, `/secret.txt?token=${cookie}`);
  assert.equal(ownVhost.text, "the secret");
  await aws(["s3", "rb", `s3://${name}`, "--force"], gw.url);
});

test("ListBuckets shows the admin the rule's store buckets only, never one outside the prefix", async () => {
  const outside = uniqueBucket("nslist");
  await createBucket(outside);
  const mine = await victimBucket("listed");
  const names = (await client().send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
  assert.ok(names.includes(mine) && names.includes(configured), JSON.stringify(names));
  const store = await storeBucketNames();
  for (const n of names) {
    assert.ok(n === configured || store.includes(prefix + n), `${n} is neither configured nor the rule's`);
  }
  assert.ok(!names.includes(outside), "a store bucket outside the prefix is not listed");
  await aws(["s3", "rb", `s3://${mine}`, "--force"], gw.url);
});

test("a configured bucket's store bucket, its endpoint spelled otherwise, is reached (or deleted) under no namespace name", async () => {
  // the configured bucket lives on the same store, named with localhost instead of 127.0.0.1
  const p2 = `ns${randomBytes(3).toString("hex")}-`;
  const cfgStore = `${p2}taken`;
  await createBucket(cfgStore);
  const port = new URL(STORE_URL).port;
  const buckets = JSON.stringify([{ name: "cfgtaken", store_bucket: cfgStore, endpoint: `http://localhost:${port}` }]);
  const gw2 = await startGateway({ bucket: configured, vars: { BAGROOM_BUCKETS: buckets, BAGROOM_BUCKET_NAMESPACE: `prefix:${p2}`, BAGROOM_BUCKET_ADMINS: GW_KEY } });
  try {
    const s3 = new S3Client({ endpoint: gw2.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET } });
    // (empty, the store bucket would go with a DeleteBucket)
    for (const cmd of [
      new HeadBucketCommand({ Bucket: "taken" }),
      new DeleteBucketCommand({ Bucket: "taken" }),
      new PutObjectCommand({ Bucket: "taken", Key: "planted.txt", Body: "x" }),
    ]) {
      const e = await s3.send(cmd).then((r) => ({ served: r }), (x) => x);
      assert.equal(e.$metadata?.httpStatusCode, 403, `${cmd.constructor.name}: ${JSON.stringify(e.served ?? String(e))}`);
    }
    assert.equal(await storeHasBucket(cfgStore), true, "the configured bucket's store bucket is still there");
    assert.deepEqual(await storeKeys(cfgStore), []);
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
    assert.ok(!names.includes("taken"), JSON.stringify(names));
  } finally {
    await gw2.close();
  }
});
