// More real S3 clients from Debian against the gateway: rclone (which signs Accept-Encoding, a
// header the edge rewrites), s3cmd (SigV4 requests, SigV2 `signurl` links) and aws-cli v2
// (CRC32 checksums on uploads, multipart, SigV4 presign).
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { randomBytes, createHash } from "node:crypto";
import { startGateway, createBucket, uniqueBucket, storeKeys, storeGet, GW_KEY, GW_SECRET, ROOT, runTool } from "./harness.mjs";

const bucket = uniqueBucket("clients");
const dir = path.join(ROOT, ".bagroom/tmp", bucket);
let gw;

const run = runTool;

const rcloneEnv = () => ({
  RCLONE_CONFIG_GW_TYPE: "s3", RCLONE_CONFIG_GW_PROVIDER: "Other", RCLONE_CONFIG_GW_ENDPOINT: gw.url,
  RCLONE_CONFIG_GW_ACCESS_KEY_ID: GW_KEY, RCLONE_CONFIG_GW_SECRET_ACCESS_KEY: GW_SECRET,
  RCLONE_CONFIG_GW_REGION: "us-east-1", RCLONE_CONFIG_GW_FORCE_PATH_STYLE: "true",
});
const rclone = (...args) => run("rclone", [...args, "--low-level-retries", "1", "--retries", "1"], rcloneEnv());

before(async () => {
  await createBucket(bucket);
  gw = await startGateway({ bucket });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "src/sub"), { recursive: true });
  fs.writeFileSync(path.join(dir, "src/a b+c.txt"), "hello from rclone\n");
  fs.writeFileSync(path.join(dir, "src/sub/big.bin"), randomBytes(12 * 1024 * 1024));
  fs.writeFileSync(path.join(dir, "s3cfg"), [
    "[default]", `access_key = ${GW_KEY}`, `secret_key = ${GW_SECRET}`,
    `host_base = ${new URL(gw.url).host}`, `host_bucket = ${new URL(gw.url).host}`,
    "use_https = False", "signature_v2 = False", "",
  ].join("\n"));
});
after(async () => gw && gw.close());

test("rclone copy (multipart), check, cat, link and delete", async () => {
  let r = await rclone("copy", path.join(dir, "src"), `gw:${bucket}/rc`, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M");
  assert.equal(r.status, 0, r.err);
  const big = fs.readFileSync(path.join(dir, "src/sub/big.bin"));
  assert.deepEqual(await storeGet(bucket, "rc/sub/big.bin"), big);
  r = await rclone("check", path.join(dir, "src"), `gw:${bucket}/rc`);
  assert.equal(r.status, 0, r.err);
  r = await rclone("cat", `gw:${bucket}/rc/a b+c.txt`); // a GET with a signed Accept-Encoding
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out, "hello from rclone\n");
  r = await rclone("link", `gw:${bucket}/rc/sub/big.bin`, "--expire", "1h");
  assert.equal(r.status, 0, r.err);
  const got = Buffer.from(await (await fetch(r.out.trim())).arrayBuffer());
  assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(big).digest("hex"));
  r = await rclone("delete", `gw:${bucket}/rc`);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(await storeKeys(bucket, "rc/"), []);
});

test("s3cmd put, ls, get, signurl (SigV2) and del", async () => {
  const cfg = ["-c", path.join(dir, "s3cfg")];
  const src = path.join(dir, "src/a b+c.txt");
  let r = await run("s3cmd", [...cfg, "put", src, `s3://${bucket}/s3cmd/x y+z.txt`]);
  assert.equal(r.status, 0, r.err);
  r = await run("s3cmd", [...cfg, "ls", `s3://${bucket}/s3cmd/`]);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /s3cmd\/x y\+z\.txt/);
  const dest = path.join(dir, "s3cmd-get.txt");
  r = await run("s3cmd", [...cfg, "get", "--force", `s3://${bucket}/s3cmd/x y+z.txt`, dest]);
  assert.equal(r.status, 0, r.err);
  assert.equal(fs.readFileSync(dest, "utf8"), "hello from rclone\n");
  r = await run("s3cmd", [...cfg, "signurl", `s3://${bucket}/s3cmd/x y+z.txt`, "+300"]);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /AWSAccessKeyId=/);
  const f = await fetch(r.out.trim());
  assert.equal(f.status, 200);
  assert.equal(await f.text(), "hello from rclone\n");
  r = await run("s3cmd", [...cfg, "del", `s3://${bucket}/s3cmd/x y+z.txt`]);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(await storeKeys(bucket, "s3cmd/"), []);
});

test("aws-cli v2 cp up (multipart with checksums) and down, ls, presign, rm", async () => {
  const env = { AWS_ACCESS_KEY_ID: GW_KEY, AWS_SECRET_ACCESS_KEY: GW_SECRET, AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" };
  const aws2 = (...args) => run("/usr/bin/aws", ["--endpoint-url", gw.url, "--region", "us-east-1", ...args], env);
  let r = await aws2("--version");
  assert.match(r.out + r.err, /aws-cli\/2\./);
  const big = fs.readFileSync(path.join(dir, "src/sub/big.bin"));
  r = await aws2("s3", "cp", path.join(dir, "src/sub/big.bin"), `s3://${bucket}/v2/big.bin`);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(await storeGet(bucket, "v2/big.bin"), big);
  const down = path.join(dir, "v2-down.bin");
  r = await aws2("s3", "cp", `s3://${bucket}/v2/big.bin`, down);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(fs.readFileSync(down), big);
  r = await aws2("s3", "ls", `s3://${bucket}/v2/`);
  assert.match(r.out, /big\.bin/);
  r = await aws2("s3", "presign", `s3://${bucket}/v2/big.bin`);
  assert.match(r.out, /X-Amz-Signature=/);
  const got = Buffer.from(await (await fetch(r.out.trim())).arrayBuffer());
  assert.deepEqual(got, big);
  r = await aws2("s3", "rm", "--recursive", `s3://${bucket}/v2/`);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(await storeKeys(bucket, "v2/"), []);
});
