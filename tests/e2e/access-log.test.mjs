// The access log, end to end: a known set of requests through a gateway (an access-key PUT, a
// token GET that misses, token GETs until the edge serves one, an access-key GET, a HEAD, a 403),
// the worker's console output as the harness captured it, and `bagroom-report --json` over it:
// its counts are the ones the client saw in the answers, and no token, signature or secret is in
// any line. Also: the same report from `wrangler tail --format json` events on stdin, and no line
// at all with BAGROOM_ACCESS_LOG=false.
// backends: s3 r2
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { AwsClient } from "aws4fetch";
import {
  startGateway, createBucket, storePut, uniqueBucket, mint, GW_KEY, GW_SECRET, STORE_SECRET, TOKEN_KEYS, REPORT_BIN, ROOT,
} from "./harness.mjs";

const bucket = uniqueBucket("alog");
const SIZE = 200_000;
const BODY = randomBytes(SIZE);
const PUT_BODY = randomBytes(12_345);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const signer = new AwsClient({ accessKeyId: GW_KEY, secretAccessKey: GW_SECRET, service: "s3", region: "us-east-1" });
let gw, quiet, token, tokenId;
/** Every request the test made through `gw`, as the client saw its answer. */
const seen = [];
/** Every credential and signature the test sent: none may be in the log. */
const secrets = new Set([GW_SECRET, STORE_SECRET, ...TOKEN_KEYS.split(",").map((k) => k.split(":")[1])]);

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "", err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("error", reject);
    c.on("close", (status) => resolve({ status, out, err }));
    if (input !== undefined) {
      c.stdin.on("error", reject);
      c.stdin.end(input);
    }
  });
}

async function send(url, init = {}, { sign = false } = {}) {
  let req = new Request(url, init);
  if (sign) {
    req = await signer.sign(req);
    const auth = req.headers.get("authorization");
    secrets.add(/Signature=([0-9a-f]+)/.exec(auth)[1]);
  }
  const r = await fetch(req);
  const body = Buffer.from(await r.arrayBuffer());
  seen.push({ method: req.method, status: r.status, cache: r.headers.get("x-bagroom-cache"), bytes: init.method === "HEAD" ? 0 : body.length, rid: r.headers.get("x-amz-request-id") });
  return { status: r.status, cache: r.headers.get("x-bagroom-cache"), body };
}

/** The gateway's access lines, once there are `n` of them (the console reaches the harness a little after the answer). */
async function linesOf(g, n) {
  for (let i = 0; i < 100; i++) {
    const lines = g.accessLines();
    if (lines.length >= n) return lines;
    await sleep(50);
  }
  return g.accessLines();
}

before(async () => {
  await createBucket(bucket);
  await storePut(bucket, "big.bin", BODY);
  gw = await startGateway({ bucket });
  quiet = await startGateway({ bucket, vars: { BAGROOM_ACCESS_LOG: "false" } });
  token = mint(["--bucket", bucket, "--prefix", "", "--methods", "GET,HEAD", "--ttl", "3600"]);
  tokenId = JSON.parse((await run(path.join(ROOT, "target/debug/bagroom-token"), ["inspect", token])).out).jti;
  secrets.add(token);
});

after(async () => {
  await gw?.close();
  await quiet?.close();
});

test("access log: a known set of requests, summed by bagroom-report from the captured console", async () => {
  const url = `${gw.url}/${bucket}/big.bin`;
  // an access-key PUT
  const put = await send(`${gw.url}/${bucket}/up/put.bin`, { method: "PUT", body: PUT_BODY }, { sign: true });
  assert.equal(put.status, 200);
  // a token GET: the first one misses
  const miss = await send(`${url}?token=${token}`);
  assert.equal(miss.status, 200);
  assert.equal(miss.cache, "MISS");
  assert.ok(miss.body.equals(BODY));
  // token GETs until the edge serves one (the cache is filled in the background)
  let edge;
  for (let i = 0; i < 50 && !edge; i++) {
    const r = await send(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(BODY));
    if (["HIT", "REVALIDATED"].includes(r.cache)) edge = r;
    else await sleep(100);
  }
  assert.ok(edge, `the edge never served big.bin: ${JSON.stringify(seen.map((s) => s.cache))}`);
  // an access-key GET and a HEAD through the same cache
  assert.equal((await send(url, {}, { sign: true })).status, 200);
  assert.equal((await send(`${url}?token=${token}`, { method: "HEAD" })).status, 200);
  // a 403: no credential for a private key
  assert.equal((await send(url)).status, 403);

  const lines = await linesOf(gw, seen.length);
  assert.equal(lines.length, seen.length, lines.join("\n"));
  const recs = lines.map((l) => JSON.parse(l));
  // one line per answer, under the answer's request id
  assert.deepEqual(recs.map((r) => r.request_id).sort(), seen.map((s) => s.rid).sort());
  const byId = new Map(recs.map((r) => [r.request_id, r]));
  for (const s of seen) {
    const r = byId.get(s.rid);
    assert.equal(r.status, s.status, JSON.stringify(r));
    assert.equal(r.cache, s.cache, JSON.stringify(r));
    assert.equal(r.method, s.method);
    assert.equal(r.bucket, bucket);
  }
  const putRec = byId.get(seen[0].rid);
  assert.deepEqual([putRec.operation, putRec.key, putRec.credential, putRec.credential_id, putRec.store_requests],
    ["PutObject", "up/put.bin", "access_key", GW_KEY, 1]);
  const missRec = byId.get(seen[1].rid);
  assert.deepEqual([missRec.operation, missRec.key, missRec.credential, missRec.credential_id], ["GetObject", "big.bin", "token", tokenId]);
  assert.equal(missRec.bytes_sent, SIZE);
  assert.equal(missRec.store_bytes, SIZE);
  const denied = byId.get(seen.at(-1).rid);
  assert.deepEqual([denied.status, denied.error, denied.credential, denied.credential_id], [403, "AccessDenied", "anonymous", null]);
  assert.equal(denied.store_requests, 0);

  // no token, signature or secret anywhere in what the worker wrote
  const file = path.join(ROOT, "tests/artifacts/access-log.test.log");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const consoleText = gw.server.getLogs().map((l) => l.message).join("\n");
  for (const s of secrets) assert.ok(!consoleText.includes(s), `a secret is in the console output: ${s.slice(0, 6)}...`);
  fs.writeFileSync(file, `some other console output\n${consoleText}\n`);

  // bagroom-report --json over the captured file
  const r = await run(REPORT_BIN, [file, "--json"]);
  assert.equal(r.status, 0, r.err);
  const rep = JSON.parse(r.out);
  const gets = seen.filter((s) => ["GET", "HEAD"].includes(s.method) && s.cache && s.cache !== "BYPASS");
  const edgeServed = gets.filter((s) => ["HIT", "REVALIDATED", "STALE"].includes(s.cache));
  const hits = edgeServed.filter((s) => s.cache === "HIT");
  assert.equal(rep.requests, seen.length);
  const otherLines = consoleText.split("\n").filter((l) => l.trim() && !l.startsWith('{"log":"bagroom.access"')).length;
  assert.equal(rep.other_lines, 1 + otherLines);
  assert.deepEqual(rep.status, { "2xx": seen.length - 1, "4xx": 1 });
  assert.equal(rep.cacheable, gets.length);
  assert.equal(rep.edge_answers, edgeServed.length);
  assert.equal(rep.hit_ratio, edgeServed.length / gets.length);
  assert.equal(rep.edge_bytes, edgeServed.reduce((n, s) => n + s.bytes, 0));
  assert.ok(rep.edge_bytes >= SIZE);
  assert.equal(rep.bytes_sent, recs.reduce((n, x) => n + (x.bytes_sent ?? 0), 0));
  assert.equal(rep.store_bytes, recs.reduce((n, x) => n + x.store_bytes, 0));
  assert.ok(rep.store_bytes >= SIZE, "the miss fetched the object from the store");
  // a HIT asks the store nothing; a revalidated hit asks (and saves the body only)
  assert.equal(rep.store_requests_avoided, hits.length);
  for (const s of hits) assert.equal(byId.get(s.rid).store_requests, 0);
  assert.equal(rep.credentials.access_key, 2);
  assert.equal(rep.credentials.token, seen.length - 3);
  assert.equal(rep.credentials.anonymous, 1);
  const saved = (rep.egress_saved_bytes / 2 ** 30) * 0.09 + (hits.length / 1000) * 0.0004;
  assert.ok(Math.abs(rep.saved.total_usd - saved) < 1e-12, JSON.stringify(rep.saved));
  assert.ok(rep.saved.egress_usd > 0);

  // prices are flags
  const cheap = JSON.parse((await run(REPORT_BIN, [file, "--json", "--egress-per-gb", "0", "--get-per-1000", "1000"])).out);
  assert.equal(cheap.saved.egress_usd, 0);
  assert.equal(cheap.saved.requests_usd, hits.length);

  // the same lines as `wrangler tail --format json` prints them (indented events), on stdin
  const tail = recs.map((x) => JSON.stringify({ outcome: "ok", scriptName: "bagroom", exceptions: [],
    logs: [{ message: [JSON.stringify(x)], level: "log", timestamp: Date.now() }], eventTimestamp: Date.now(),
    event: { request: { url: "https://gateway.example/x", method: "GET", headers: {} } } }, null, 2)).join("\n");
  const fromTail = await run(REPORT_BIN, ["--json"], `Connected to bagroom, waiting for logs...\n${tail}\n`);
  assert.equal(fromTail.status, 0, fromTail.err);
  const tailRep = JSON.parse(fromTail.out);
  assert.equal(tailRep.other_lines, 1);
  assert.deepEqual({ ...tailRep, other_lines: rep.other_lines }, rep);

  // text for people
  const text = await run(REPORT_BIN, [file]);
  assert.match(text.out, new RegExp(`^requests\\s+${seen.length} `, "m"));
  assert.match(text.out, /^hit ratio\s+\d+\.\d%/m);
});

test("access log: BAGROOM_ACCESS_LOG=false writes no line", async () => {
  const r = await fetch(`${quiet.url}/${bucket}/big.bin?token=${token}`);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  assert.equal((await fetch(`${quiet.url}/${bucket}/big.bin`)).status, 403);
  await sleep(300);
  assert.deepEqual(quiet.accessLines(), []);
  // and the gateway that logs does write a line for the same request
  const before = gw.accessLines().length;
  await (await fetch(`${gw.url}/${bucket}/big.bin`)).arrayBuffer();
  assert.equal((await linesOf(gw, before + 1)).length, before + 1);
});
