// An object's sub-resources through the gateway, as against the store directly: tagging (get,
// put, delete; S3's tag limits; tag writes are access keys' only), GetObjectAttributes, the
// object and bucket ACL (read only: ACL writes are AccessDenied for everyone). boto3 and the JS
// SDK, compared with the same calls to the store.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, GetObjectTaggingCommand, PutObjectTaggingCommand, DeleteObjectTaggingCommand, GetObjectAttributesCommand,
  GetObjectAclCommand, PutObjectAclCommand,
} from "@aws-sdk/client-s3";
import {
  startGateway, createBucket, storePut, store, uniqueBucket, python, mint, GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET, botoCall } from "./harness.mjs";

const bucket = uniqueBucket("subres");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

/** Run `code` with `s3` the gateway's client (`gw`) or the store's (`st`): see `botoCall`. */
const boto = (which, code) => botoCall(which === "gw" ? gw.url : null, code);

/** The same calls against the store and through the gateway. */
const both = async (code) => ({ st: await boto("st", code), gw: await boto("gw", code) });

/** The store's tags of `key` (the store keeps them in its own order: sorted here). */
const storeTags = async (key) => {
  const r = await boto("st", `out(call("get_object_tagging", Bucket="${bucket}", Key="${key}"))`);
  if (r.ok) r.ok.TagSet.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  return r;
};

test("boto3 get/put/delete_object_tagging: the same answers and the same tags in the store", async () => {
  await storePut(bucket, "tags/a.txt", "hello", { Tagging: "colour=blue&size=5" });
  const get = await both(`out(call("get_object_tagging", Bucket="${bucket}", Key="tags/a.txt"))`);
  assert.deepEqual(get.gw, get.st);
  assert.deepEqual(get.gw.ok.TagSet, [{ Key: "colour", Value: "blue" }, { Key: "size", Value: "5" }]);

  const put = await boto("gw", `out(call("put_object_tagging", Bucket="${bucket}", Key="tags/a.txt",
  Tagging={"TagSet": [{"Key": "a+-=._:/@ b", "Value": "c d"}, {"Key": "é", "Value": "ü"}, {"Key": "empty", "Value": ""}]}))`);
  assert.ok(put.ok, JSON.stringify(put));
  const want = [{ Key: "a+-=._:/@ b", Value: "c d" }, { Key: "empty", Value: "" }, { Key: "é", Value: "ü" }];
  assert.deepEqual((await storeTags("tags/a.txt")).ok.TagSet, want);
  // characters S3 does not allow in tags: the store's InvalidTag, relayed (and the tags kept)
  const bad = await both(`out(call("put_object_tagging", Bucket="${bucket}", Key="tags/a.txt", Tagging={"TagSet": [{"Key": "k & <x>", "Value": "1"}]}))`);
  assert.deepEqual(bad.gw, bad.st);
  assert.deepEqual([bad.gw.status, bad.gw.err], [400, "InvalidTag"]);
  assert.deepEqual((await storeTags("tags/a.txt")).ok.TagSet, want);

  const del = await boto("gw", `out(call("delete_object_tagging", Bucket="${bucket}", Key="tags/a.txt"))`);
  assert.ok(del.ok, JSON.stringify(del));
  assert.deepEqual((await storeTags("tags/a.txt")).ok.TagSet, []);

  // a missing key: the store's NoSuchKey, relayed
  const missing = await both(`out([call("get_object_tagging", Bucket="${bucket}", Key="tags/none"),
  call("put_object_tagging", Bucket="${bucket}", Key="tags/none", Tagging={"TagSet": []}),
  call("delete_object_tagging", Bucket="${bucket}", Key="tags/none")])`);
  assert.deepEqual(missing.gw.map((r) => [r.err, r.status]), missing.st.map((r) => [r.err, r.status]));
  assert.deepEqual(missing.gw.map((r) => r.err), ["NoSuchKey", "NoSuchKey", "NoSuchKey"]);
});

test("versionId reaches the store with every tagging call", async () => {
  await storePut(bucket, "tags/v.txt", "v", { Tagging: "a=1" });
  // the test bucket is unversioned: the store answers for its "null" version as for the object
  const r = await both(`out([call("get_object_tagging", Bucket="${bucket}", Key="tags/v.txt", VersionId="null"),
  call("get_object_tagging", Bucket="${bucket}", Key="tags/v.txt", VersionId="no-such-version")])`);
  assert.deepEqual(r.gw.map((x) => x.err ?? x.ok.TagSet), r.st.map((x) => x.err ?? x.ok.TagSet));
});

test("S3's tag limits: more than 10 tags, long keys and values, repeated keys are refused before the store", async () => {
  await storePut(bucket, "tags/limits.txt", "x", { Tagging: "keep=1" });
  const r = await boto("gw", `
k = dict(Bucket="${bucket}", Key="tags/limits.txt")
t = lambda pairs: {"TagSet": [{"Key": a, "Value": b} for a, b in pairs]}
out([
  call("put_object_tagging", Tagging=t([("k%d" % i, "v") for i in range(11)]), **k),
  call("put_object_tagging", Tagging=t([("k" * 129, "v")]), **k),
  call("put_object_tagging", Tagging=t([("k", "v" * 257)]), **k),
  call("put_object_tagging", Tagging=t([("k", "1"), ("k", "2")]), **k),
  call("put_object_tagging", Tagging=t([("k%d" % i, "v" * 256) for i in range(10)]), **k),
])`);
  assert.deepEqual(r.slice(0, 4).map((x) => [x.status, x.err]), [[400, "BadRequest"], [400, "InvalidTag"], [400, "InvalidTag"], [400, "InvalidTag"]]);
  assert.match(r[0].message, /cannot be greater than 10/);
  assert.ok(r[4].ok, `ten tags at the limits are fine: ${JSON.stringify(r[4])}`);
  assert.equal((await storeTags("tags/limits.txt")).ok.TagSet.length, 10);

  // a token, with a body that is no Tagging document
  const viaToken = await fetch(`${gw.url}/${bucket}/tags/limits.txt?tagging&token=${mint(["--bucket", bucket, "--prefix", ""])}`, { method: "PUT", body: "<nope" });
  assert.equal(viaToken.status, 403, "tokens never write tags, whatever the body");
});

test("the JS SDK: tagging (with its flexible checksum), attributes and ACL through the gateway", async () => {
  const gwClient = new S3Client({
    endpoint: gw.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET },
  });
  await storePut(bucket, "js/a.txt", "hello js");
  await gwClient.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "js/a.txt", Tagging: { TagSet: [{ Key: "by", Value: "js" }] } }));
  const viaGw = await gwClient.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "js/a.txt" }));
  const viaStore = await store.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "js/a.txt" }));
  assert.deepEqual(viaGw.TagSet, [{ Key: "by", Value: "js" }]);
  assert.deepEqual(viaGw.TagSet, viaStore.TagSet);
  await gwClient.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: "js/a.txt" }));
  assert.deepEqual((await store.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "js/a.txt" }))).TagSet, []);

  const attrs = { Bucket: bucket, Key: "js/a.txt", ObjectAttributes: ["ETag", "ObjectSize", "StorageClass"] };
  const a1 = await gwClient.send(new GetObjectAttributesCommand(attrs));
  const a2 = await store.send(new GetObjectAttributesCommand(attrs));
  assert.equal(a1.ObjectSize, 8);
  for (const f of ["ETag", "ObjectSize", "StorageClass", "LastModified"]) assert.deepEqual(a1[f], a2[f], f);

  const acl1 = await gwClient.send(new GetObjectAclCommand({ Bucket: bucket, Key: "js/a.txt" }));
  const acl2 = await store.send(new GetObjectAclCommand({ Bucket: bucket, Key: "js/a.txt" }));
  assert.deepEqual(acl1.Grants, acl2.Grants);
  await assert.rejects(gwClient.send(new PutObjectAclCommand({ Bucket: bucket, Key: "js/a.txt", ACL: "public-read" })), (e) => {
    assert.equal(e.name, "AccessDenied");
    assert.equal(e.$metadata.httpStatusCode, 403);
    return true;
  });
});

test("boto3 get_object_attributes: the same document as the store's, parts paged by max-parts", async () => {
  await storePut(bucket, "attrs/one.txt", "12345");
  // a multipart object, written through the store, so that ObjectParts has something to page
  await boto("st", `
u = s3.create_multipart_upload(Bucket="${bucket}", Key="attrs/mp.bin")["UploadId"]
ps = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="${bucket}", Key="attrs/mp.bin", UploadId=u, PartNumber=n, Body=b"x" * (5 * 1024 * 1024 if n < 3 else 10))["ETag"]} for n in (1, 2, 3)]
s3.complete_multipart_upload(Bucket="${bucket}", Key="attrs/mp.bin", UploadId=u, MultipartUpload={"Parts": ps})
out(None)`);
  const r = await both(`
all = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
out([
  call("get_object_attributes", Bucket="${bucket}", Key="attrs/one.txt", ObjectAttributes=all),
  call("get_object_attributes", Bucket="${bucket}", Key="attrs/mp.bin", ObjectAttributes=all),
  call("get_object_attributes", Bucket="${bucket}", Key="attrs/mp.bin", ObjectAttributes=["ObjectParts"], MaxParts=1, PartNumberMarker=1),
  call("get_object_attributes", Bucket="${bucket}", Key="attrs/one.txt", ObjectAttributes=["ObjectSize"], VersionId="null"),
  call("get_object_attributes", Bucket="${bucket}", Key="attrs/none", ObjectAttributes=["ETag"]),
])`);
  assert.deepEqual(r.gw, r.st);
  assert.equal(r.gw[0].ok.ObjectSize, 5);
  assert.equal(r.gw[4].err, "NoSuchKey");
});

test("GetObjectAcl and GetBucketAcl relay the store's document; ACL writes are AccessDenied, not NotImplemented", async () => {
  await storePut(bucket, "acl/a.txt", "a");
  const r = await both(`out([call("get_object_acl", Bucket="${bucket}", Key="acl/a.txt"), call("get_bucket_acl", Bucket="${bucket}"),
  call("get_object_acl", Bucket="${bucket}", Key="acl/none")])`);
  assert.deepEqual(r.gw, r.st);
  assert.ok(r.gw[0].ok.Grants.length > 0);
  const w = await boto("gw", `out([call("put_object_acl", Bucket="${bucket}", Key="acl/a.txt", ACL="public-read"),
  call("put_object_acl", Bucket="${bucket}", Key="acl/a.txt", ACL="private"),
  call("put_bucket_acl", Bucket="${bucket}", ACL="public-read")])`);
  for (const x of w) {
    assert.deepEqual([x.status, x.err], [403, "AccessDenied"], JSON.stringify(x));
    assert.match(x.message, /private/);
  }
  const after = await boto("st", `out(call("get_object_acl", Bucket="${bucket}", Key="acl/a.txt"))`);
  assert.deepEqual(after.ok.Grants, r.st[0].ok.Grants, "the store's ACL is unchanged");
});

test("share tokens: GET reads tags, attributes and the ACL in scope; tag writes and the bucket ACL are refused with the reason", async () => {
  await storePut(bucket, "tok/a.txt", "a", { Tagging: "t=1" });
  await storePut(bucket, "other/a.txt", "a", { Tagging: "t=2" });
  const get = mint(["--bucket", bucket, "--prefix", "tok/", "--methods", "GET"]);
  const all = mint(["--bucket", bucket, "--prefix", "tok/", "--methods", "GET,HEAD,PUT,POST,DELETE,LIST"]);
  const at = (path, t, init = {}) => fetch(`${gw.url}/${bucket}/${path}${path.includes("?") ? "&" : "?"}token=${t}`, init);

  const tags = await at("tok/a.txt?tagging", get);
  assert.equal(tags.status, 200);
  assert.match(await tags.text(), /<Key>t<\/Key><Value>1<\/Value>/);
  const attrs = await at("tok/a.txt?attributes", get, { headers: { "x-amz-object-attributes": "ObjectSize,ETag" } });
  assert.equal(attrs.status, 200);
  assert.match(await attrs.text(), /<ObjectSize>1<\/ObjectSize>/);
  const acl = await at("tok/a.txt?acl", get);
  assert.equal(acl.status, 200);
  assert.match(await acl.text(), /AccessControlPolicy/);
  // outside the scope, and without GET
  for (const sub of ["tagging", "attributes", "acl"]) {
    const r = await at(`other/a.txt?${sub}`, get);
    assert.equal(r.status, 403, sub);
    assert.match(await r.text(), /AccessDenied/);
  }
  const putOnly = mint(["--bucket", bucket, "--prefix", "tok/", "--methods", "PUT"]);
  assert.equal((await at("tok/a.txt?tagging", putOnly)).status, 403);

  // writes: never a token's, even with every method
  const doc = `<Tagging><TagSet><Tag><Key>evil</Key><Value>1</Value></Tag></TagSet></Tagging>`;
  for (const [method, body] of [["PUT", doc], ["DELETE", undefined]]) {
    const r = await at("tok/a.txt?tagging", all, { method, body });
    assert.equal(r.status, 403, method);
    const text = await r.text();
    assert.match(text, /<Code>AccessDenied<\/Code>/);
    assert.match(text, /access keys/);
  }
  assert.deepEqual((await storeTags("tok/a.txt")).ok.TagSet, [{ Key: "t", Value: "1" }], "the tags are unchanged");
  const putAcl = await at("tok/a.txt?acl", all, { method: "PUT", headers: { "x-amz-acl": "public-read" } });
  assert.equal(putAcl.status, 403);
  const bucketAcl = await fetch(`${gw.url}/${bucket}?acl&token=${all}`);
  assert.equal(bucketAcl.status, 403);
  // anonymous callers: nothing
  assert.equal((await fetch(`${gw.url}/${bucket}/tok/a.txt?tagging`)).status, 403);
});

test("other methods on these sub-resources stay 501 NotImplemented", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD,PUT,POST,DELETE,LIST"]);
  for (const [method, path] of [["POST", "x.txt?tagging"], ["GET", "?tagging"], ["DELETE", "x.txt?acl"], ["PUT", "x.txt?attributes"]]) {
    const r = await fetch(`${gw.url}/${bucket}/${path}${path.includes("?") ? "&" : "?"}token=${t}`, { method });
    assert.equal(r.status, 501, `${method} ${path}`);
    await r.arrayBuffer();
  }
});
