// POST Object to the gateway itself: browser form uploads, with boto3's generate_presigned_post
// (endpoint_url = bagroom, signed with a bagroom access key). What is written is checked in the
// store; every refusal is checked there too (nothing written).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { startGateway, createBucket, uniqueBucket, storeGet, storeKeys, store, python, mint, GW_KEY, GW_SECRET, xmlField } from "./harness.mjs";

const bucket = uniqueBucket("post");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

/** boto3's generate_presigned_post against the gateway: {url, fields}. */
async function presignedPost({ key = "up/${filename}", fields = {}, conditions = [], expires = 600, v2 = false } = {}) {
  const out = await python(`
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${gw.url}", region_name="us-east-1", aws_access_key_id="${GW_KEY}",
  aws_secret_access_key="${GW_SECRET}", config=Config(${v2 ? "" : 'signature_version="s3v4", '}s3={"addressing_style": "path"}))
print(json.dumps(s3.generate_presigned_post(Bucket="${bucket}", Key=${JSON.stringify(key)}, Fields=json.loads(${JSON.stringify(JSON.stringify(fields))}),
  Conditions=json.loads(${JSON.stringify(JSON.stringify(conditions))}), ExpiresIn=${expires})))
`);
  return JSON.parse(out);
}

/** A browser's form post: the fields in order, then the file. */
async function postForm(url, fields, body, filename = "hello.txt", type = "text/plain") {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append("file", new Blob([body], { type }), filename);
  const r = await fetch(url, { method: "POST", body: fd, redirect: "manual" });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

const typed = { fields: { "Content-Type": "text/plain", "x-amz-meta-owner": "me" }, conditions: [{ "Content-Type": "text/plain" }, { "x-amz-meta-owner": "me" }, ["content-length-range", 1, 100]] };

test("a boto3 presigned POST uploads through bagroom: 204, the object, its type and metadata in the store", async () => {
  const p = await presignedPost(typed);
  assert.equal(p.url, `${gw.url}/${bucket}`);
  const r = await postForm(p.url, p.fields, "hello form");
  assert.equal(r.status, 204, r.text);
  assert.equal((await storeGet(bucket, "up/hello.txt")).toString(), "hello form");
  const h = await store.send(new HeadObjectCommand({ Bucket: bucket, Key: "up/hello.txt" }));
  assert.equal(h.ContentType, "text/plain");
  assert.equal(h.Metadata.owner, "me");
  assert.equal(r.headers.get("etag"), h.ETag);
});

test("boto3's default presigned POST (SigV2 fields) uploads too; a wrong SigV2 signature writes nothing", async () => {
  const p = await presignedPost({ key: "v2/${filename}", v2: true });
  assert.ok(p.fields.AWSAccessKeyId && p.fields.signature, JSON.stringify(p.fields));
  const bad = await postForm(p.url, { ...p.fields, signature: "AAAA" }, "nope");
  assert.equal(bad.status, 403, bad.text);
  assert.match(bad.text, /SignatureDoesNotMatch/);
  assert.deepEqual(await storeKeys(bucket, "v2/"), []);
  const r = await postForm(p.url, p.fields, "signed v2", "two.txt");
  assert.equal(r.status, 204, r.text);
  assert.equal((await storeGet(bucket, "v2/two.txt")).toString(), "signed v2");
});

test("success_action_status 201 answers the PostResponse document; 200 an empty body", async () => {
  const p = await presignedPost({ key: "up/created.txt", fields: { success_action_status: "201" }, conditions: [{ success_action_status: "201" }] });
  const r = await postForm(p.url, p.fields, "created");
  assert.equal(r.status, 201, r.text);
  const h = await store.send(new HeadObjectCommand({ Bucket: bucket, Key: "up/created.txt" }));
  assert.equal(xmlField(r.text, "Key"), "up/created.txt");
  assert.equal(xmlField(r.text, "Bucket"), bucket);
  assert.equal(xmlField(r.text, "ETag").replaceAll("&quot;", '"'), h.ETag);
  assert.equal(xmlField(r.text, "Location"), `${gw.url}/${bucket}/up/created.txt`);
  const p2 = await presignedPost({ key: "up/ok.txt", fields: { success_action_status: "200" }, conditions: [{ success_action_status: "200" }] });
  const r2 = await postForm(p2.url, p2.fields, "ok");
  assert.equal(r2.status, 200, r2.text);
  assert.equal((await storeGet(bucket, "up/ok.txt")).toString(), "ok");
});

test("success_action_redirect answers 303 with bucket, key and etag", async () => {
  const to = "https://app.example/done";
  const p = await presignedPost({ key: "up/redirect.txt", fields: { success_action_redirect: to }, conditions: [{ success_action_redirect: to }] });
  const r = await postForm(p.url, p.fields, "redirected");
  assert.equal(r.status, 303, r.text);
  const loc = new URL(r.headers.get("location"));
  assert.equal(loc.origin + loc.pathname, to);
  assert.equal(loc.searchParams.get("bucket"), bucket);
  assert.equal(loc.searchParams.get("key"), "up/redirect.txt");
  const h = await store.send(new HeadObjectCommand({ Bucket: bucket, Key: "up/redirect.txt" }));
  assert.equal(loc.searchParams.get("etag"), h.ETag);
});

test("forms outside their policy, unsigned or expired are refused and write nothing", async () => {
  const before = await storeKeys(bucket, "bad/");
  assert.deepEqual(before, []);
  const p = await presignedPost({ key: "bad/${filename}", ...typed });
  const cases = [
    ["key outside starts-with", { ...p.fields, key: "elsewhere/x.txt" }, "x", 403],
    ["tampered policy", { ...p.fields, policy: Buffer.from(Buffer.from(p.fields.policy, "base64").toString().replace("bad/", "")).toString("base64") }, "x", 403],
    ["wrong signature", { ...p.fields, "x-amz-signature": "0".repeat(64) }, "x", 403],
    ["no signature", Object.fromEntries(Object.entries(p.fields).filter(([k]) => k !== "x-amz-signature")), "x", 403],
    ["a field no condition covers", { ...p.fields, "x-amz-meta-extra": "1" }, "x", 403],
    ["metadata other than the policy's", { ...p.fields, "x-amz-meta-owner": "you" }, "x", 403],
    ["longer than content-length-range", p.fields, "x".repeat(101), 400],
    ["shorter than content-length-range", p.fields, "", 400],
  ];
  for (const [what, fields, body, status] of cases) {
    const r = await postForm(p.url, fields, body);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.match(r.text, /<Error><Code>/, what);
  }
  const expired = await presignedPost({ key: "bad/${filename}", expires: -10 });
  const r = await postForm(expired.url, expired.fields, "late");
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /Policy expired/);
  // a share token on the request gains nothing: the form itself must be signed by an access key
  const t = mint(["--bucket", bucket, "--prefix", "bad/"]);
  const unsigned = Object.fromEntries(Object.entries(p.fields).filter(([k]) => k !== "x-amz-signature"));
  const rt = await postForm(`${p.url}?token=${t}`, unsigned, "x");
  assert.notEqual(rt.status, 204, rt.text);
  assert.ok(rt.status >= 400, rt.text);
  const rb = await fetch(p.url, { method: "POST", headers: { authorization: `Bearer ${t}` }, body: (() => { const fd = new FormData(); for (const [k, v] of Object.entries(unsigned)) fd.append(k, v); fd.append("file", new Blob(["x"]), "t.txt"); return fd; })() });
  assert.equal(rb.status, 403, await rb.text());
  assert.deepEqual(await storeKeys(bucket, "bad/"), []);
});

test("the same forms get the same answers from the store directly and through bagroom", async () => {
  const { STORE_URL, STORE_KEY, STORE_SECRET } = await import("./harness.mjs");
  const form = async (endpoint, keyId, secret, key) => JSON.parse(await python(`
import boto3, json
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="${endpoint}", region_name="us-east-1", aws_access_key_id="${keyId}",
  aws_secret_access_key="${secret}", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
print(json.dumps(s3.generate_presigned_post(Bucket="${bucket}", Key="${key}", Conditions=[["content-length-range", 1, 10]], ExpiresIn=600)))
`));
  const statuses = async (endpoint, keyId, secret, tag) => {
    const p = await form(endpoint, keyId, secret, `cmp/${tag}/\${filename}`);
    return [
      (await postForm(p.url, p.fields, "fits")).status,
      (await postForm(p.url, p.fields, "x".repeat(11), "big.txt")).status,
      (await postForm(p.url, { ...p.fields, key: "elsewhere/x" }, "x")).status,
      (await postForm(p.url, { ...p.fields, "x-amz-signature": "0".repeat(64) }, "x", "sig.txt")).status,
    ];
  };
  const direct = await statuses(STORE_URL, STORE_KEY, STORE_SECRET, "store");
  const via = await statuses(gw.url, GW_KEY, GW_SECRET, "gw");
  assert.deepEqual(via, direct);
  assert.deepEqual((await storeKeys(bucket, "cmp/")).sort(), ["cmp/gw/hello.txt", "cmp/store/hello.txt"]);
});
