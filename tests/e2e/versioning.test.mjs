// Bucket versioning through the gateway, as against the store directly: GetBucketVersioning (an
// unversioned bucket, then a versioned one; PutBucketVersioning is AccessDenied for everyone),
// ListObjectVersions (the same versions, ids and IsLatest as the store's; a token sees only its
// scope), GET/HEAD/DELETE/copy by version id, delete markers (DELETE answers with the marker's
// headers; GET of the latest is then the store's 404, with its `x-amz-delete-marker`). boto3 and
// the JS SDK, compared with the same calls to the store.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { S3Client, ListObjectVersionsCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { startGateway, createBucket, storePut, store, uniqueBucket, python, mint, xmlField, GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET, botoCall } from "./harness.mjs";

const bucket = uniqueBucket("versions");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

/** Run `code` with `s3` the gateway's client (`gw`) or the store's (`st`): see `botoCall`. */
const boto = (which, code) => botoCall(which === "gw" ? gw.url : null, code);

const both = async (code) => ({ st: await boto("st", code), gw: await boto("gw", code) });

/** A version listing reduced to what both must agree on (owners are the gateway's through it). */
const versionsOf = (r) => ({
  versions: (r.Versions || []).map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size, v.ETag]),
  markers: (r.DeleteMarkers || []).map((m) => [m.Key, m.VersionId, m.IsLatest]),
  prefixes: (r.CommonPrefixes || []).map((p) => p.Prefix),
  truncated: r.IsTruncated,
});

test("GetBucketVersioning: an unversioned bucket's answer is the store's; PutBucketVersioning is AccessDenied", async () => {
  const get = await both(`out(call("get_bucket_versioning", Bucket="${bucket}"))`);
  assert.deepEqual(get.gw, get.st);
  assert.equal(get.gw.ok.Status, undefined);
  const put = await boto("gw", `out(call("put_bucket_versioning", Bucket="${bucket}", VersioningConfiguration={"Status": "Enabled"}))`);
  assert.deepEqual([put.status, put.err], [403, "AccessDenied"]);
  const after = await boto("st", `out(call("get_bucket_versioning", Bucket="${bucket}"))`);
  assert.equal(after.ok.Status, undefined, "the store's configuration is unchanged");
  // a token may read it (LIST on its scope), never set it
  const t = mint(["--bucket", bucket, "--prefix", "v/", "--methods", "GET,PUT,LIST"]);
  const r = await fetch(`${gw.url}/${bucket}?versioning&token=${t}`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<VersioningConfiguration[^>]*><\/VersioningConfiguration>$/);
  const p = await fetch(`${gw.url}/${bucket}?versioning&token=${t}`, { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" });
  assert.equal(p.status, 403);
  assert.match(await p.text(), /<Code>AccessDenied<\/Code><Message>PutBucketVersioning is refused: bucket versioning is the store&apos;s configuration/);
  // without LIST the bucket's state is not the token's to read
  const noList = mint(["--bucket", bucket, "--prefix", "v/", "--methods", "GET"]);
  assert.equal((await fetch(`${gw.url}/${bucket}?versioning&token=${noList}`)).status, 403);
});

test("boto3 on a versioned bucket: versions, GET/HEAD by id, copy of a version, delete markers, as the store answers", async () => {
  await store.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  const get = await both(`out(call("get_bucket_versioning", Bucket="${bucket}"))`);
  assert.deepEqual(get.gw, get.st);
  assert.equal(get.gw.ok.Status, "Enabled");

  const puts = await boto("gw", `out([call("put_object", Bucket="${bucket}", Key="v/a b.txt", Body=b"one"),
  call("put_object", Bucket="${bucket}", Key="v/a b.txt", Body=b"two!")])`);
  const [v1, v2] = puts.map((p) => p.ok.VersionId);
  assert.ok(v1 && v2 && v1 !== v2, JSON.stringify(puts));
  await storePut(bucket, "other/x.txt", "x");

  const list = await both(`out(call("list_object_versions", Bucket="${bucket}", Prefix="v/"))`);
  assert.deepEqual(versionsOf(list.gw.ok), versionsOf(list.st.ok));
  assert.deepEqual(list.gw.ok.Versions.map((v) => [v.VersionId, v.IsLatest]).sort(), [[v1, false], [v2, true]].sort());
  assert.equal(list.gw.ok.Name, bucket);
  assert.ok(list.gw.ok.Versions.every((v) => !v.Owner || v.Owner.ID === "bagroom"), JSON.stringify(list.gw.ok.Versions));
  // the whole bucket, with a delimiter
  const all = await both(`out(call("list_object_versions", Bucket="${bucket}", Delimiter="/"))`);
  assert.deepEqual(versionsOf(all.gw.ok), versionsOf(all.st.ok));
  assert.deepEqual(all.gw.ok.CommonPrefixes.map((p) => p.Prefix).sort(), ["other/", "v/"]);

  // each version by its id, as the store serves it
  const reads = await both(`out([call("get_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${v1}")["ok"]["Body"],
  call("get_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${v2}")["ok"]["Body"],
  call("get_object", Bucket="${bucket}", Key="v/a b.txt")["ok"]["Body"],
  call("head_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${v1}")["ok"]["ContentLength"],
  call("head_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${v1}")["ok"]["VersionId"]])`);
  assert.deepEqual(reads.gw, ["one", "two!", "two!", 3, v1]);
  assert.deepEqual(reads.gw, reads.st);

  // a copy of the older version
  const copy = await boto("gw", `out(call("copy_object", Bucket="${bucket}", Key="v/copy.txt", CopySource={"Bucket": "${bucket}", "Key": "v/a b.txt", "VersionId": "${v1}"}))`);
  assert.ok(copy.ok, JSON.stringify(copy));
  const copied = await boto("st", `out(call("get_object", Bucket="${bucket}", Key="v/copy.txt")["ok"]["Body"])`);
  assert.equal(copied, "one");

  // DELETE makes a delete marker, and says so
  const del = await boto("gw", `out(call("delete_object", Bucket="${bucket}", Key="v/a b.txt"))`);
  assert.equal(del.ok.DeleteMarker, true, JSON.stringify(del));
  const marker = del.ok.VersionId;
  assert.ok(marker && marker !== v1 && marker !== v2, JSON.stringify(del));
  const after = await both(`out(call("list_object_versions", Bucket="${bucket}", Prefix="v/a"))`);
  assert.deepEqual(versionsOf(after.gw.ok), versionsOf(after.st.ok));
  assert.deepEqual(versionsOf(after.gw.ok).markers, [["v/a b.txt", marker, true]]);
  assert.ok(after.gw.ok.Versions.every((v) => !v.IsLatest));

  // the latest is a delete marker: the store's answer (SeaweedFS: 404 NoSuchKey, without the
  // x-amz-delete-marker header S3 adds; the gateway relays the header when the store sends it)
  const gone = await both(`out([call("get_object", Bucket="${bucket}", Key="v/a b.txt"),
  call("head_object", Bucket="${bucket}", Key="v/a b.txt"),
  call("get_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${marker}"),
  call("head_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${marker}"),
  call("get_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${v1}")["ok"]["Body"]])`);
  assert.deepEqual(gone.gw, gone.st);
  assert.deepEqual([gone.gw[0].status, gone.gw[0].err], [404, "NoSuchKey"]);
  assert.equal(gone.gw[0].headers["x-amz-delete-marker"], gone.st[0].headers["x-amz-delete-marker"]);
  assert.equal(gone.gw[4], "one", "older versions stay readable by id");

  // deleting the marker by its id brings the object back, as in the store
  const undelete = await boto("gw", `out(call("delete_object", Bucket="${bucket}", Key="v/a b.txt", VersionId="${marker}"))`);
  assert.equal(undelete.ok.VersionId, marker, JSON.stringify(undelete));
  const back = await both(`out(call("get_object", Bucket="${bucket}", Key="v/a b.txt")["ok"]["Body"])`);
  assert.deepEqual([back.gw, back.st], ["two!", "two!"]);
});

test("a token scoped to a prefix lists only its own versions", async () => {
  const t = mint(["--bucket", bucket, "--prefix", "v/", "--methods", "GET,LIST"]);
  const r = await fetch(`${gw.url}/${bucket}?versions&token=${t}`);
  const xml = await r.text();
  assert.equal(r.status, 200, xml);
  const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  assert.ok(keys.length >= 3 && keys.every((k) => k.startsWith("v/")), xml);
  assert.equal(xmlField(xml, "Prefix"), "v/", "the listing is clamped to the token's scope");
  assert.equal(xmlField(xml, "Name"), bucket);
  assert.ok(!xml.includes("other/"), xml);
  // a prefix outside the scope, and a token without LIST
  assert.equal((await fetch(`${gw.url}/${bucket}?versions&prefix=other/&token=${t}`)).status, 403);
  const noList = mint(["--bucket", bucket, "--prefix", "v/", "--methods", "GET"]);
  assert.equal((await fetch(`${gw.url}/${bucket}?versions&token=${noList}`)).status, 403);
  // the key marker pages inside the scope only
  const paged = await fetch(`${gw.url}/${bucket}?versions&max-keys=1&key-marker=a&token=${t}`);
  const pxml = await paged.text();
  assert.equal(paged.status, 200, pxml);
  assert.ok([...pxml.matchAll(/<Key>([^<]*)<\/Key>/g)].every((m) => m[1].startsWith("v/")), pxml);
});

test("JS SDK ListObjectVersions pages as the store does", async () => {
  const gwClient = new S3Client({
    endpoint: gw.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: GW_KEY, secretAccessKey: GW_SECRET },
  });
  const pages = async (client) => {
    const out = [];
    let km, vm;
    for (let i = 0; i < 10; i++) {
      const r = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "v/", MaxKeys: 1, KeyMarker: km, VersionIdMarker: vm }));
      out.push(versionsOf(r));
      if (!r.IsTruncated) break;
      [km, vm] = [r.NextKeyMarker, r.NextVersionIdMarker];
    }
    return out;
  };
  const [viaGw, viaStore] = [await pages(gwClient), await pages(store)];
  assert.deepEqual(viaGw, viaStore);
  assert.ok(viaGw.length >= 2, JSON.stringify(viaGw));
});
