// The R2 backend's test plumbing (BAGROOM_TEST_BACKEND=r2; tests/e2e/harness.mjs loads this only
// then): every gateway is the prebuilt `--env r2` worker in its own workerd (Miniflare, as
// wrangler's test harness does it for the S3 backend), with an R2 binding BAGROOM_R2 on the test's
// bucket. The buckets live in Miniflare's local R2, which all instances of this test process
// share: Miniflare's shared storage (one storage owner, elected through a dev registry private to
// this process; the other instances reach R2 through it), persisted under
// .bagroom/r2-test/<pid>/. Each gateway keeps its own edge cache (an isolated persistence
// directory), as separate workerd processes do in S3 mode.
//
// "In the store directly" is an R2 binding too: per bucket a small helper instance (a worker that
// only binds the bucket) whose `getR2Bucket` the harness's createBucket/storePut/storeGet/
// storeKeys use. Helpers start before any gateway on their bucket and stay until the test file's
// end (the storage owner is the first of them), when `disposeAll` stops everything.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import path from "node:path";
import fs from "node:fs";

export const R2_BINDING = "BAGROOM_R2";
export const R2_WORKER_DIR = process.env.BAGROOM_R2_WORKER_DIR || ".bagroom/worker-out-r2";

let rootDir;
let seq = 0;
const helpers = new Map(); // bucket -> Promise<{ mf, r2 }>
const gateways = new Set(); // open gateway instances

function stateRoot(ROOT) {
  if (!rootDir) {
    rootDir = path.join(ROOT, ".bagroom/r2-test", String(process.pid));
    fs.rmSync(rootDir, { recursive: true, force: true });
    fs.mkdirSync(rootDir, { recursive: true });
  }
  return rootDir;
}

/** Shared options of every instance: shared R2, a private cache, a private dev registry. */
function instanceOptions(ROOT, name, logs) {
  const root = stateRoot(ROOT);
  return {
    host: "127.0.0.1",
    port: 0,
    resourcePersistencePath: path.join(root, "shared"),
    isolatedResourcePersistencePath: path.join(root, `own-${name}`),
    unsafeEnableSharedStorage: true,
    enableDevRegistry: true,
    unsafeDevRegistryPath: path.join(root, "registry"),
    handleStructuredLogs: logs ? (l) => logs.push(l) : () => {},
  };
}

/** A v4-style worker list to Miniflare 5's options, plus our instance options. */
function miniflare(v4Workers, extra) {
  const converted = convertV4MiniflareOptions({ workers: v4Workers });
  return new Miniflare({ ...converted, ...extra });
}

/** The helper instance of `bucket` (created on first use): `{ mf, r2 }` with `r2` a Node-side R2Bucket. */
export function helper(ROOT, bucket) {
  let h = helpers.get(bucket);
  if (!h) {
    h = (async () => {
      const name = `store-${seq++}`;
      const mf = miniflare([{
        name,
        modules: true,
        script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
        compatibilityDate: "2026-11-01",
        r2Buckets: { [R2_BINDING]: bucket },
      }], instanceOptions(ROOT, name));
      await mf.ready;
      return { mf, r2: await mf.getR2Bucket(R2_BINDING) };
    })();
    helpers.set(bucket, h);
  }
  return h;
}

/** The Node-side R2 bucket `bucket` (the "store directly" of the R2 backend). */
export async function r2Bucket(ROOT, bucket) {
  return (await helper(ROOT, bucket)).r2;
}

/**
 * Start a gateway: the prebuilt r2 worker with wrangler.toml's `[env.r2]` (vars, the ASSETS
 * binding for www/, compatibility settings), the R2 binding on `bucket`, `vars` and `secrets` on
 * top. Returns { url, mf, logs (structured console lines), close }.
 */
export async function startR2Gateway(ROOT, { bucket, vars, secrets }) {
  await helper(ROOT, bucket);
  const dir = path.join(ROOT, R2_WORKER_DIR);
  const main = path.join(dir, "index.js");
  if (!fs.existsSync(main)) {
    throw new Error(`no prebuilt r2 worker at ${main}: run \`npx wrangler deploy --dry-run --env r2 --outdir ${R2_WORKER_DIR}\``);
  }
  const prev = process.cwd();
  const logLevel = process.env.WRANGLER_LOG;
  let wo;
  try {
    process.chdir(ROOT);
    process.env.WRANGLER_LOG = "error"; // not the warning that [env.r2] does not repeat the S3 vars
    ({ workerOptions: wo } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"), "r2"));
  } finally {
    process.chdir(prev);
    if (logLevel === undefined) delete process.env.WRANGLER_LOG; else process.env.WRANGLER_LOG = logLevel;
  }
  const name = `gw-${seq++}`;
  const logs = [];
  const { modulesRules: _rules, ...woRest } = wo;
  const worker = {
    ...woRest,
    name,
    rootPath: dir,
    // the prebuilt directory's modules as they are: index.js and its wasm
    modules: prebuiltModules(dir),
    modulesRoot: dir,
    bindings: { ...wo.bindings, ...vars, ...secrets },
    r2Buckets: { ...wo.r2Buckets, [R2_BINDING]: bucket },
    // the worker's own fetches (webhooks) from Node, as wrangler's test harness does
    outboundService: (request) => globalThis.fetch(request.url, request),
  };
  const mf = miniflare([worker], instanceOptions(ROOT, name, logs));
  const url = (await mf.ready).href.replace(/\/$/, "");
  let closed;
  const g = {
    url, mf, logs, name,
    close: () => {
      if (!closed) {
        gateways.delete(g);
        closed = mf.dispose();
      }
      return closed;
    },
  };
  gateways.add(g);
  return g;
}

/** index.js and the modules it imports from the directory (older builds' wasm files stay there).
 *  The bundle is minified (wrangler.toml `minify`): `from"./x"` has no space. */
export function prebuiltModules(dir) {
  const main = fs.readFileSync(path.join(dir, "index.js"), "utf8");
  const wanted = [...main.matchAll(/from\s*"\.\/([^"]+)"/g)].map((m) => m[1]);
  return ["index.js", ...new Set(wanted)].map((f) => ({
    type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: path.join(dir, f),
  }));
}

/**
 * The prebuilt S3 worker (wrangler.toml's top level) in a workerd of its own with no Node in its
 * path: its store fetches go from workerd to the store as on the edge (wrangler's test harness
 * sends them through Node's fetch, which decodes a Content-Encoding), and its answers reach the
 * client through workerd's own entry, as under `wrangler dev`. `bindings`: vars and secrets.
 */
export async function startDirectGateway(ROOT, { dir = ".bagroom/worker-out", bindings }) {
  const prev = process.cwd();
  let wo;
  try {
    process.chdir(ROOT);
    ({ workerOptions: wo } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml")));
  } finally {
    process.chdir(prev);
  }
  const d = path.join(ROOT, dir);
  const { modulesRules: _rules, ...woRest } = wo;
  const name = `direct-${seq++}`;
  const logs = [];
  const worker = { ...woRest, name, rootPath: d, modules: prebuiltModules(d), modulesRoot: d, bindings: { ...wo.bindings, ...bindings } };
  const mf = miniflare([worker], { host: "127.0.0.1", port: 0, handleStructuredLogs: (l) => logs.push(l) });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, logs, close: () => mf.dispose() };
}

/** Stop every gateway still open, then the helpers (the storage owner among them) last. */
export async function disposeAll(onGatewayClose) {
  for (const g of [...gateways]) {
    onGatewayClose?.(g);
    await g.close();
  }
  const hs = [...helpers.values()];
  helpers.clear();
  for (const h of hs.reverse()) {
    try {
      await (await h).mf.dispose();
    } catch { /* a helper that failed to start */ }
  }
  if (rootDir) fs.rmSync(rootDir, { recursive: true, force: true });
}
