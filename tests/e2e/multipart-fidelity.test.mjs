// Multipart and checksum fidelity: the same operations, with the same bytes, against the store
// directly and through bagroom, and the answers compared (what the store does for a client, it
// does through bagroom too). boto3 for UploadPartCopy and the multipart flows, the JS SDK for
// object checksums on PUT/GET/HEAD (cache miss and hit).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import {
  startGateway, createBucket, uniqueBucket, python, tmpFile, GW_KEY, GW_SECRET, STORE_URL, STORE_KEY, STORE_SECRET,
} from "./harness.mjs";

const MiB = 1024 * 1024;
const bucket = uniqueBucket("mpf");
let gw;

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
});
after(async () => gw && gw.close());

/** Deterministic bytes (the same on both sides, so ETags and checksums must be equal). */
function bytes(n, seed) {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let i = 0, c = 0; i < n; i += 32, c++) {
    block = createHash("sha256").update(`${seed}:${c}`).digest();
    block.copy(out, i, 0, Math.min(32, n - i));
  }
  return out;
}

const sides = () => [
  { name: "store", url: STORE_URL, key: STORE_KEY, secret: STORE_SECRET },
  { name: "gateway", url: gw.url, key: GW_KEY, secret: GW_SECRET },
];

/** Run `body` (Python, with `s3`, `B`, `P` (a key prefix per side) and `out` (a dict printed as JSON)) on both sides. */
async function both(body, env = {}) {
  const code = `
import boto3, hashlib, json, os
from botocore.config import Config
from boto3.s3.transfer import TransferConfig
B = os.environ["BUCKET"]; P = os.environ["PREFIX"]
s3 = boto3.client("s3", endpoint_url=os.environ["URL"], region_name="us-east-1", aws_access_key_id=os.environ["AK"],
    aws_secret_access_key=os.environ["SK"], config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
out = {}
def err(f):
    try:
        f(); return None
    except Exception as e:
        return getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
def sha_of(k):
    return hashlib.sha256(s3.get_object(Bucket=B, Key=k)["Body"].read()).hexdigest()
def cks(d):
    return {k: v for k, v in d.items() if k.startswith("Checksum")}
def hdrs(r):
    return {k: v for k, v in r["ResponseMetadata"]["HTTPHeaders"].items() if k.startswith("x-amz-checksum")}
${body}
print(json.dumps(out, sort_keys=True))
`;
  const res = {};
  for (const s of sides()) {
    const o = await python(code, { URL: s.url, AK: s.key, SK: s.secret, BUCKET: bucket, PREFIX: `${s.name}/`, ...env });
    res[s.name] = JSON.parse(o.trim().split("\n").pop());
  }
  return res;
}

describe("multipart through bagroom, compared with the store", () => {
  test("boto3 upload_part_copy returns CopyPartResult with the ETag, and completing with it works", async () => {
    const src = tmpFile(`mpf-src-${bucket}.bin`, bytes(6 * MiB + 7, "copy-src"));
    const r = await both(`
s3.upload_file(os.environ["SRC"], B, P + "copy-src.bin")
k = P + "copied.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
c = s3.upload_part_copy(Bucket=B, Key=k, UploadId=u, PartNumber=1, CopySource={"Bucket": B, "Key": P + "copy-src.bin"})
out["has_etag"] = bool(c.get("CopyPartResult", {}).get("ETag"))
out["part_etag"] = c["CopyPartResult"]["ETag"]
d = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": c["CopyPartResult"]["ETag"]}]})
out["etag"] = d["ETag"]
out["sha"] = sha_of(k)
`, { SRC: src });
    assert.equal(r.gateway.has_etag, true, JSON.stringify(r));
    assert.deepEqual(r.gateway, r.store);
  });

  test("boto3 upload_file with a small multipart_threshold (5 MiB parts), and a small-part upload", async () => {
    const f = tmpFile(`mpf-uf-${bucket}.bin`, bytes(16 * MiB + 5, "upload-file"));
    const r = await both(`
cfg = TransferConfig(multipart_threshold=1024*1024, multipart_chunksize=5*1024*1024, max_concurrency=2)
s3.upload_file(os.environ["FILE"], B, P + "upload-file.bin", Config=cfg)
out["etag"] = s3.head_object(Bucket=B, Key=P + "upload-file.bin")["ETag"]
out["sha"] = sha_of(P + "upload-file.bin")
k = P + "small-parts.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
ps = [{"PartNumber": i, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=i, Body=b"x" * 10)["ETag"]} for i in [1, 2, 3]]
out["small_parts"] = err(lambda: s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": ps}))
s3.abort_multipart_upload(Bucket=B, Key=k, UploadId=u)
`, { FILE: f });
    assert.match(r.gateway.etag, /-4"$/);
    assert.deepEqual(r.gateway, r.store);
  });

  test("a retried CompleteMultipartUpload (the client lost the first answer) succeeds again, not NoSuchUpload", async () => {
    const a = tmpFile(`mpf-rt-${bucket}.bin`, bytes(5 * MiB, "retry-1"));
    const r = await both(`
k = P + "retried.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
ps = [{"PartNumber": 1, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=1, Body=open(os.environ["A"], "rb").read())["ETag"]},
      {"PartNumber": 2, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=2, Body=b"tail of the upload")["ETag"]}]
out["first"] = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": ps})["ETag"]
out["again"] = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": ps})["ETag"]
out["sha"] = sha_of(k)
# an upload that never existed stays NoSuchUpload
out["made_up"] = err(lambda: s3.complete_multipart_upload(Bucket=B, Key=P + "never.bin", UploadId="made-up-upload-id", MultipartUpload={"Parts": ps}))
`, { A: a });
    assert.equal(r.gateway.again, r.gateway.first);
    assert.equal(r.gateway.made_up, "NoSuchUpload");
    assert.deepEqual(r.gateway, r.store);
  });

  test("re-sending part 1 after the others finished, completing with every attempt the client recorded", async () => {
    const f1 = tmpFile(`mpf-rs1-${bucket}.bin`, bytes(5 * MiB, "resend-1"));
    const f1b = tmpFile(`mpf-rs1b-${bucket}.bin`, bytes(5 * MiB, "resend-1-again"));
    const f2 = tmpFile(`mpf-rs2-${bucket}.bin`, bytes(5 * MiB, "resend-2"));
    const r = await both(`
k = P + "resent.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
rec = []
for n, f in [(1, "F1"), (2, "F2")]:
    rec.append({"PartNumber": n, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=n, Body=open(os.environ[f], "rb").read())["ETag"]})
rec.append({"PartNumber": 3, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=3, Body=b"last")["ETag"]})
rec.append({"PartNumber": 1, "ETag": s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=1, Body=open(os.environ["F1B"], "rb").read())["ETag"]})
parts = sorted(rec, key=lambda p: p["PartNumber"])
d = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": parts})
out["etag"] = d["ETag"]
out["sha"] = sha_of(k)
# the same upload re-sent, completed with only the latest attempt of each part
k = P + "resent-latest.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
e = {}
for n, f in [(1, "F1"), (2, "F2"), (1, "F1B")]:
    e[n] = s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=n, Body=open(os.environ[f], "rb").read())["ETag"]
out["listed"] = [(p["PartNumber"], p["ETag"]) for p in s3.list_parts(Bucket=B, Key=k, UploadId=u)["Parts"]]
out["latest"] = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e[n]} for n in [1, 2]]})["ETag"]
# descending part numbers are refused by both
k = P + "descending.bin"
u = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
e = {n: s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=n, Body=open(os.environ["F1"], "rb").read())["ETag"] for n in [1, 2]}
out["descending"] = err(lambda: s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e[n]} for n in [2, 1]]}))
s3.abort_multipart_upload(Bucket=B, Key=k, UploadId=u)
`, { F1: f1, F1B: f1b, F2: f2 });
    assert.match(r.gateway.etag, /-3"$/, JSON.stringify(r));
    assert.equal(r.gateway.descending, "InvalidPartOrder");
    // the store lists every attempt of a retried part; bagroom lists the latest, once
    assert.equal(r.gateway.listed.length, 2, JSON.stringify(r.gateway.listed));
    const { listed: _s, ...store } = r.store;
    const { listed: _g, ...gwr } = r.gateway;
    assert.deepEqual(gwr, store);
  });

  test("a checksummed upload: the algorithm echoed on create, part and complete checksums as the store returns them", async () => {
    const f = tmpFile(`mpf-ck-${bucket}.bin`, bytes(5 * MiB, "checksummed"));
    const r = await both(`
for algo, typ in [("SHA256", None), ("CRC32", "FULL_OBJECT"), ("SHA1", None)]:
    k = P + "checksummed-" + algo + ".bin"
    kw = {"ChecksumType": typ} if typ else {}
    c = s3.create_multipart_upload(Bucket=B, Key=k, ChecksumAlgorithm=algo, **kw)
    o = out[algo] = {"create": {k2: c.get(k2) for k2 in ["ChecksumAlgorithm", "ChecksumType"]}, "create_headers": hdrs(c)}
    u = c["UploadId"]
    parts = []
    for n, body in [(1, open(os.environ["FILE"], "rb").read()), (2, b"the last part")]:
        p = s3.upload_part(Bucket=B, Key=k, UploadId=u, PartNumber=n, Body=body, ChecksumAlgorithm=algo)
        parts.append({"PartNumber": n, "ETag": p["ETag"], **cks(p)})
        o.setdefault("parts", []).append({"etag": p["ETag"], **cks(p), "headers": hdrs(p)})
    d = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=u, MultipartUpload={"Parts": parts})
    o["complete"] = {"ETag": d["ETag"], **cks(d)}
    h = s3.head_object(Bucket=B, Key=k, ChecksumMode="ENABLED")
    o["head"] = hdrs(h)
`, { FILE: f });
    assert.equal(r.gateway.SHA256.create.ChecksumAlgorithm, "SHA256", JSON.stringify(r.gateway.SHA256));
    assert.equal(r.gateway.SHA256.create_headers["x-amz-checksum-algorithm"], "SHA256");
    assert.ok(r.gateway.SHA256.complete.ChecksumSHA256, JSON.stringify(r.gateway.SHA256.complete));
    assert.equal(r.gateway.CRC32.complete.ChecksumType, "FULL_OBJECT");
    assert.deepEqual(r.gateway, r.store);
  });
});

describe("object checksums on PUT, GET and HEAD (JS SDK), compared with the store", () => {
  const client = (s) => {
    const c = new S3Client({
      endpoint: s.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: s.key, secretAccessKey: s.secret },
    });
    c.raw = {};
    c.middlewareStack.add((next) => async (args) => {
      const r = await next(args);
      c.raw = r.response.headers;
      return r;
    }, { step: "deserialize", name: "rawHeaders" });
    return c;
  };
  const checksums = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith("Checksum")));
  const rawChecksums = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase().startsWith("x-amz-checksum")).map(([k, v]) => [k.toLowerCase(), v]));

  for (const algo of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]) {
    test(`${algo}: returned on PUT, and on GET/HEAD with x-amz-checksum-mode: ENABLED, cache miss and hit`, async () => {
      const body = bytes(100_000 + algo.length, `cks-${algo}`);
      const got = {};
      for (const s of sides()) {
        const c = client(s);
        const key = `${s.name}/object-${algo}.bin`;
        const o = { };
        const put = await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: algo }));
        o.put = checksums(put);
        o.putRaw = rawChecksums(c.raw);
        for (const round of ["first", "second"]) {
          const g = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
          assert.ok(Buffer.from(await g.Body.transformToByteArray()).equals(body));
          o[`get-${round}`] = { ...checksums(g), raw: rawChecksums(c.raw) };
          if (s.name === "gateway") o[`cache-${round}`] = c.raw["x-bagroom-cache"];
          const h = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
          o[`head-${round}`] = { ...checksums(h), raw: rawChecksums(c.raw) };
        }
        got[s.name] = o;
      }
      const field = `Checksum${algo}`;
      assert.ok(got.store.put[field], `the store returns ${field} on PUT: ${JSON.stringify(got.store)}`);
      assert.equal(got.gateway["cache-first"], "MISS");
      assert.equal(got.gateway["cache-second"], "REVALIDATED", "the default mode confirms the copy with the store");
      const { "cache-first": _a, "cache-second": _b, ...gwr } = got.gateway;
      assert.deepEqual(gwr, got.store);
      assert.equal(got.gateway["get-second"][field], got.store.put[field]);
    });
  }
});
